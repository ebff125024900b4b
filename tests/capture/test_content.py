"""Redaction, the per-message cap and stream assembly: what a captured record keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gate_service.capture.content import CapturePolicy, StreamAssembler, seal_messages
from gate_service.capture.redact import redact
from gate_service.domain import Chunk, ToolCall
from gate_service.domain.completion import ChunkChoice, Delta
from gate_service.domain.request import FunctionCall


def test_every_known_secret_format_is_redacted_and_plain_text_is_not() -> None:
    secrets = {
        "client_credential": "cli_abcdefgh12345678:sk_live1234567890abcd:secret_xyz1234567890abcd",
        "agent_token": "spideriq_pat_" + "ab" * 16,
        "anthropic_key": "sk-ant-api03-" + "x" * 30,
        "openai_key": "sk-proj-" + "Y" * 40,
        "groq_key": "gsk_" + "Z" * 40,
        "google_key": "AIza" + "k" * 35,
        "bearer": "Bearer eyJhbGciOi.abc.def",
    }
    for kind, secret in secrets.items():
        assert redact(f"before {secret} after") == f"before [REDACTED:{kind}] after"
    token = "spideriq_pat_" + "cd" * 16
    for header in (f"Bearer {token}", f"authorization: bearer {token}", f"BEARER {token}"):
        assert token[-32:] not in redact(header) and "[REDACTED:bearer]" in redact(header)
    plain = "ask sk- about task-list and gsk_ AIza Bearer of news"
    assert redact(plain) == plain


def test_each_message_is_cut_to_the_cap_and_says_so() -> None:
    messages = [
        {"role": "user", "content": "a" * 1000},
        {"role": "user", "content": "short"},
    ]
    kept, cut = seal_messages(messages, 300)
    assert cut
    assert kept[0]["content"].startswith("a" * 290)
    assert kept[0]["content"].endswith("…[truncated from 1000 chars]")
    assert kept[1] == {"role": "user", "content": "short"}  # its own budget


def test_a_secret_straddling_the_cut_is_still_redacted() -> None:
    key = "sk-proj-" + "Q" * 40
    text = "x" * 290 + key + "y" * 50
    (kept,), cut = seal_messages([{"role": "user", "content": text}], 300)
    assert cut and "QQQQQQ" not in kept["content"]


def test_the_policy_seals_both_sides_with_an_expiry() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    sealed = CapturePolicy(max_chars=256, retention_days=7).seal(
        [{"role": "user", "content": "hi"}], [{"role": "assistant", "content": "b" * 600}], at
    )
    assert sealed.expires_at == at + timedelta(days=7)
    assert (sealed.input_truncated, sealed.output_truncated) == (False, True)


def _chunk(delta: Delta, index: int = 0) -> Chunk:
    return Chunk(id="c", model="m", choices=[ChunkChoice(index=index, delta=delta)])


def test_a_stream_is_assembled_per_choice_with_its_tool_calls() -> None:
    assembler = StreamAssembler()
    assembler.add(
        [
            _chunk(Delta(role="assistant", content="Hel")),
            _chunk(Delta(content="lo")),
            _chunk(
                Delta(
                    tool_calls=[
                        ToolCall(index=0, id="call_1", function=FunctionCall("get_", '{"a":'))
                    ]
                )
            ),
            _chunk(Delta(tool_calls=[ToolCall(index=0, function=FunctionCall("weather", "1}"))])),
            _chunk(Delta(content="other"), index=1),
        ]
    )
    first, second = assembler.messages()
    assert first == {
        "role": "assistant",
        "content": "Hello",
        "tool_calls": [
            {
                "type": "function",
                "id": "call_1",
                "function": {"name": "get_weather", "arguments": '{"a":1}'},
            }
        ],
    }
    assert second == {"role": "assistant", "content": "other"}
