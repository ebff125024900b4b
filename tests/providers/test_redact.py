"""Redaction of provider text: own and known secrets (whole or in part), well-known key
formats, Bearer tokens and random words after "key"; ordinary text stays as it is."""

from __future__ import annotations

import secrets

import pytest

from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.providers.redact import MAX_TEXT, Redactor, redact_failure, redact_formats

KNOWN = [
    "gsk_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "local-vllm-secret-Zq81Lm",
    "short",  # too short to be worth a hole in the text
]


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        ("sk-" + "a1B2" * 12, "sk-…[redacted]"),
        ("sk-proj-" + "Zx9_" * 10, "sk-proj-…[redacted]"),
        ("sk-ant-api03-" + "q7W-" * 10, "sk-ant-…[redacted]"),
        ("sk-or-v1-" + "0f" * 32, "sk-or-…[redacted]"),
        ("gsk_" + "Ab1" * 17, "gsk_…[redacted]"),
        ("AIzaSy" + "B1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q", "AIza…[redacted]"),
        ("xai-" + "Q1w2E3r4" * 6, "xai-…[redacted]"),
        ("nvapi-" + "Aa0_" * 12, "nvapi-…[redacted]"),
        ("hf_" + "Kk9" * 12, "hf_…[redacted]"),
        ("spideriq_pat_" + "0123456789abcdef" * 2, "spideriq_pat_…[redacted]"),
        ("sk_" + "0123456789abcdef" * 2, "sk_…[redacted]"),
        ("secret_" + "fedcba9876543210" * 2, "secret_…[redacted]"),
    ],
)
def test_well_known_formats_are_masked(secret: str, shown: str) -> None:
    text = f"Incorrect API key provided: {secret}. See the docs."
    assert redact_formats(text) == f"Incorrect API key provided: {shown}. See the docs."


def test_a_whole_client_credential_loses_both_secret_parts() -> None:
    credential = f"cli_0123456789abcdef:sk_{'1' * 32}:secret_{'2' * 32}"
    assert redact_formats(credential) == "cli_0123456789abcdef:sk_…[redacted]:secret_…[redacted]"


def test_bearer_tokens_and_random_words_after_key_words() -> None:
    assert redact_formats("got Authorization: Bearer abc.DEF-123_xyz") == (
        "got Authorization: Bearer [redacted]"
    )
    assert redact_formats('invalid x-api-key "Qm9vE3r7TtYp2LzW8nKc4dHs"') == (
        'invalid x-api-key "[redacted]"'
    )
    assert redact_formats("the token provided Zx8kQ2mN9pL4vB7cR1tY6u is wrong") == (
        "the token provided [redacted] is wrong"
    )


@pytest.mark.parametrize(
    "text",
    [
        "This model's maximum context length is 8192 tokens; you requested 10000 tokens.",
        "token limit exceeded for model llama-3.1-70b-versatile-0914",
        "model 'gpt-4o-mini-2024-07-18' does not exist or you do not have access to it",
        "Rate limit reached for requests per minute: Limit 30, Used 30, Requested 1.",
        "key must be a string of characters and numbers with no spaces at all",
        "the task-scheduler-for-background-jobs ran, risk-assessment-module-complete",
        "See https://console.groq.com/docs/errors for details (request req_01hx2k).",
    ],
)
def test_ordinary_provider_text_is_left_alone(text: str) -> None:
    assert Redactor(KNOWN).redact(text, "own-secret-0123456789") == text


def test_known_secrets_whole_and_in_part_anywhere() -> None:
    redactor = Redactor(KNOWN)
    groq, local = KNOWN[0], KNOWN[1]
    assert redactor.redact(f"bad key {groq}") == "bad key gsk_…[redacted]"
    assert redactor.redact(f"bad key '{local}'") == "bad key '[redacted]'"
    # A fragment of 12 or more characters, even glued to other text, is a secret too.
    assert redactor.redact(f"x={local[3:17]}!") == "x=[redacted]!"
    assert redactor.redact(f"key ending {groq[-12:]}") == "key ending gsk_…[redacted]"
    # Fewer characters are not evidence enough; short secrets are not secrets.
    assert redactor.redact(f"{local[:11]} and short") == f"{local[:11]} and short"


def test_the_attempts_own_secret_whatever_its_form() -> None:
    own = "Custom-Server-Key:4f9a2e71c0"  # no known format, holds a colon
    text = f"rejected credentials {own} for this endpoint"
    assert Redactor(KNOWN).redact(text, own) == "rejected credentials [redacted] for this endpoint"


def test_fragments_of_many_keys_are_found() -> None:
    keys = [f"sk-proj-{secrets.token_urlsafe(36)}" for _ in range(300)]
    keys += [f"gsk_{secrets.token_hex(24)}" for _ in range(300)]
    redactor = Redactor(keys)
    for key in keys:
        for length in (12, 19, len(key)):
            for start in (0, len(key) - length, (len(key) - length) // 2):
                fragment = key[start : start + length]
                assert fragment not in redactor.redact(f"a{fragment}b c {fragment}"), key


def test_long_text_is_cut_and_unchanged_failures_are_kept() -> None:
    assert len(Redactor().redact("x" * 10 * MAX_TEXT)) == MAX_TEXT + 1
    plain = UpstreamFailure(FailureKind.SERVER, 500, "upstream answered HTTP 500", 2.0)
    assert redact_failure(plain, "gsk_" + "x" * 30) is plain
    echoed = UpstreamFailure(FailureKind.AUTH, 401, f"bad key {KNOWN[0]}")
    redacted = redact_failure(echoed, "", Redactor(KNOWN))
    assert (redacted.kind, redacted.status, redacted.message) == (
        FailureKind.AUTH,
        401,
        "bad key gsk_…[redacted]",
    )
