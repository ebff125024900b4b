"""Secrets out of provider text: what an upstream says is redacted before we repeat it.

Providers echo what they were sent ("Incorrect API key provided: gsk_…"), and their error
text reaches a client's 400 body, the route trace, the 502 body's attempts, the ledger
(``GET /traces/{id}``) and the health records. Before this module a provider echoing the
key sent the operator's raw pool key to whichever brand's request used it. Every provider
text therefore passes through :func:`redact_failure` where it enters the system (the
router's and the connection test's ``except UpstreamFailure``), and loses:

1. **the attempt's own secret**, and
2. **every secret routing knows** (pool, brand and environment keys: a :class:`Redactor`
   is built from each routing snapshot), whole or as a fragment of at least
   :data:`MIN_FRAGMENT` characters, anywhere in the text; secrets shorter than
   :data:`MIN_SECRET` (placeholders for keyless local servers) are not secrets worth a
   hole in the text;
3. **well-known key formats** whoever they belong to (:data:`FORMATS`: OpenAI, Anthropic,
   OpenRouter, Groq, Google, xAI, NVIDIA, Hugging Face, our own agent tokens and client
   credential parts), ``Bearer`` tokens, and a long high-entropy word right after "key",
   "token", "secret" or "password" (letters and digits mixed, at least 20 characters and
   3.5 bits of entropy per character: ordinary words and numbers stay).

A redacted secret reads as its format's prefix and ``…[redacted]`` (``gsk_…[redacted]``),
so a reader still sees which kind of key a message was about. Text longer than
:data:`MAX_TEXT` is cut first: a provider's message is a sentence, and the cut bounds the
work.

Known secrets are found through an index of :data:`GRAM`-character slices of every secret,
so the cost per text does not grow with the number of keys: measured on the 2-core test
machine with 1,000 keys, 45-50 microseconds for a 300-character message holding no secret,
110-130 for one echoing a key. Building the index for 1,000 keys takes 20-25 ms; routing
builds it when the set of secrets has changed and a failure needs it
(:class:`gate_service.routing.keys.KeyPool`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Iterable

from gate_service.providers.base import UpstreamFailure

REDACTED = "[redacted]"
ELLIPSIS = "…"
MIN_SECRET = 8
MIN_FRAGMENT = 12
GRAM = 8
_STRIDE = MIN_FRAGMENT - GRAM
MAX_TEXT = 2000
# A slice shared by more secrets than this is a format prefix ("sk-proj-"), not evidence.
_COMMON_GRAM = 8

# (prefix shown, pattern); the longest prefixes first, so "sk-ant-" wins over "sk-".
FORMATS: tuple[tuple[str, str], ...] = (
    ("sk-ant-", r"sk-ant-[A-Za-z0-9_\-*]{8,}"),
    ("sk-or-", r"sk-or-[A-Za-z0-9_\-*]{8,}"),
    ("sk-proj-", r"sk-proj-[A-Za-z0-9_\-*]{8,}"),
    ("sk-", r"sk-[A-Za-z0-9_\-*]{16,}"),
    ("gsk_", r"gsk_[A-Za-z0-9*]{16,}"),
    ("AIza", r"AIza[0-9A-Za-z_\-]{20,}"),
    ("xai-", r"xai-[A-Za-z0-9*]{16,}"),
    ("nvapi-", r"nvapi-[A-Za-z0-9_\-*]{16,}"),
    ("hf_", r"hf_[A-Za-z0-9*]{16,}"),
    ("spideriq_pat_", r"spideriq_pat_[0-9a-f]{8,}"),
    ("sk_", r"sk_[0-9a-f]{16,}"),
    ("secret_", r"secret_[0-9a-f]{16,}"),
)
# No lookbehind in the pattern (it would stop the engine skipping ahead by first
# character, 8x slower); a match preceded by a letter or digit ("gsk_" read as "sk_",
# "task_") is left alone by the replacement instead.
_FORMAT_RE = re.compile("|".join(f"(?P<f{i}>{p})" for i, (_, p) in enumerate(FORMATS)))
# Where a secret can be: runs of characters that are not space, quotes or brackets.
_SPLIT_CHARS = " \t\r\n\"'`<>()[]{},;"
_RUN_RE = re.compile(f"[^{re.escape(_SPLIT_CHARS)}]{{{GRAM},}}")
_BEARER_RE = re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=\-]{8,}")
_AFTER_WORD_RE = re.compile(
    r"(?i)\b(?:api[_\- ]?key|key|token|secret|password|passwd|credential|authorization)s?"
    r"(?:\s+(?:provided|given|supplied|used|sent|is|was|value))?[\"']?\s*[:=]?\s*[\"']?"
    r"(?P<value>[A-Za-z0-9._~+/\-]{20,})"
)
_MIN_ENTROPY_BITS = 3.5
_PREFIXES = tuple(prefix for prefix, _ in FORMATS)
_KEY_WORDS = ("key", "token", "secret", "passw", "credential", "authorization")


def masked(prefix: str = "") -> str:
    """What a secret is replaced with: its format prefix, if any, and ``…[redacted]``."""
    return f"{prefix}{ELLIPSIS}{REDACTED}" if prefix else REDACTED


def format_prefix(secret: str) -> str:
    """The well-known prefix ``secret`` starts with ("gsk_"), or ""."""
    return next((prefix for prefix in _PREFIXES if secret.startswith(prefix)), "")


def _entropy_bits(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _looks_random(value: str) -> bool:
    return (
        any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and _entropy_bits(value) >= _MIN_ENTROPY_BITS
    )


def redact_formats(text: str) -> str:
    """Rule 3 alone: well-known formats, Bearer tokens, random words after "key".

    Substring tests first: a regex scan costs about 80 microseconds per 300 characters,
    the tests 2, and most messages hold none of the words."""
    if any(prefix in text for prefix in _PREFIXES):
        text = _FORMAT_RE.sub(_format_mask, text)
    lowered = text.lower()
    if "bearer" in lowered:
        text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    if any(word in lowered for word in _KEY_WORDS):
        text = _AFTER_WORD_RE.sub(_after_word_mask, text)
    return text


def _format_mask(match: re.Match[str]) -> str:
    start = match.start()
    if start > 0 and match.string[start - 1].isalnum():
        return match.group(0)
    assert match.lastgroup is not None
    return masked(FORMATS[int(match.lastgroup[1:])][0])


def _after_word_mask(match: re.Match[str]) -> str:
    value = match.group("value")
    if REDACTED in match.group(0) or not _looks_random(value):
        return match.group(0)
    start = match.start("value") - match.start()
    return match.group(0)[:start] + REDACTED


class _Index:
    """``GRAM``-character slices of some secrets -> (secret, offset) pairs.

    Only runs of text without spaces, quotes or brackets are scanned (a few words of an
    ordinary message); a secret that itself holds such a character is looked for whole.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)
        self.odd = [s for s in self.secrets if any(c in _SPLIT_CHARS for c in s)]
        grams: dict[str, list[tuple[str, int]]] = {}
        for secret in self.secrets:
            # Every STRIDE-th slice: a fragment of MIN_FRAGMENT = GRAM + STRIDE characters
            # holds at least one of them, at a quarter of the memory and build time.
            for offset in range(0, len(secret) - GRAM + 1, _STRIDE):
                grams.setdefault(secret[offset : offset + GRAM], []).append((secret, offset))
        self.grams = {g: hits for g, hits in grams.items() if len(hits) <= _COMMON_GRAM}
        self.labels = {secret: masked(format_prefix(secret)) for secret in self.secrets}

    def spans(self, text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
        """(start, end, replacement) of each secret, or fragment of one at least
        ``MIN_FRAGMENT`` long, in ``text``; spans may overlap."""
        found: list[tuple[int, int, str]] = []
        grams = self.grams
        for run_start, run_end in runs if grams else ():
            i, last = run_start, run_end - GRAM
            while i <= last:
                hits = grams.get(text[i : i + GRAM])
                if hits:
                    start, end, secret = max(
                        ((*_extend(text, i, s, offset), s) for s, offset in hits),
                        key=lambda span: span[1] - span[0],
                    )
                    if end - start >= min(MIN_FRAGMENT, len(secret)):
                        found.append((start, end, self.labels[secret]))
                        i = end
                        continue
                i += 1
        for secret in self.odd:
            at = text.find(secret)
            while at >= 0:
                found.append((at, at + len(secret), self.labels[secret]))
                at = text.find(secret, at + len(secret))
        return found


def _extend(text: str, at: int, secret: str, offset: int) -> tuple[int, int]:
    """The widest span around ``text[at:at+GRAM]`` that equals the secret around ``offset``."""
    start, s = at, offset
    while start > 0 and s > 0 and text[start - 1] == secret[s - 1]:
        start, s = start - 1, s - 1
    end, e = at + GRAM, offset + GRAM
    while end < len(text) and e < len(secret) and text[end] == secret[e]:
        end, e = end + 1, e + 1
    return start, end


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    if not spans:
        return text
    out, position = [], 0
    for start, end, label in sorted(spans):
        if start < position:
            start = position
        if start >= end:
            continue
        out.append(text[position:start])
        out.append(label)
        position = end
    out.append(text[position:])
    return "".join(out)


class Redactor:
    """Removes the secrets it was built with, and well-known key formats, from text.

    Built once per routing snapshot (the pool's, brands' and environment keys' secrets),
    then shared: immutable, safe from any thread.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._index = _Index(secrets)
        self._known = frozenset(self._index.secrets)

    def __len__(self) -> int:
        return len(self._known)

    def redact(self, text: str, *extra: str) -> str:
        """``text`` without any known secret, any of ``extra`` (the attempt's own), or
        any well-known key format; cut to :data:`MAX_TEXT` characters first."""
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT] + ELLIPSIS
        runs = [m.span() for m in _RUN_RE.finditer(text)]
        spans = self._index.spans(text, runs)
        others = [s for s in extra if s and s not in self._known]
        if others:
            spans += _Index(others).spans(text, runs)
        return redact_formats(_apply(text, spans))


EMPTY = Redactor()


def redact_failure(
    failure: UpstreamFailure, secret: str = "", redactor: Redactor = EMPTY
) -> UpstreamFailure:
    """The same failure with its provider text redacted (see the module docstring)."""
    message = redactor.redact(failure.message, secret)
    if message == failure.message:
        return failure
    return dataclasses.replace(failure, message=message)
