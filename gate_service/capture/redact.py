"""Secrets that must never be stored with captured messages: each match is replaced by
``[REDACTED:<kind>]`` before the content is journaled or written.

The patterns are the credentials this gateway issues (agent tokens, client credentials
and their parts) and the provider key formats it stores in its vault (OpenAI ``sk-``,
Anthropic ``sk-ant-``, Groq ``gsk_``, Google ``AIza``, OpenRouter ``sk-or-``), plus any
``Bearer`` value. One alternation, compiled once, so a clean text costs one scan.
Anthropic's prefix is listed before OpenAI's so that it names the right kind.
"""

from __future__ import annotations

import re

# (kind, pattern); the first that matches at a position names the kind.
PATTERNS: tuple[tuple[str, str], ...] = (
    ("client_credential", r"cli_[a-z0-9]{16}:[^\s:\"']+:[^\s\"']+"),
    ("agent_token", r"spideriq_pat_[0-9a-fA-F]{32}"),
    ("api_key", r"\bsk_[A-Za-z0-9_\-]{16,}"),
    ("api_secret", r"\bsecret_[A-Za-z0-9_\-]{16,}"),
    ("anthropic_key", r"\bsk-ant-[A-Za-z0-9_\-]{8,}"),
    ("openai_key", r"\bsk-[A-Za-z0-9_\-]{16,}"),
    ("groq_key", r"\bgsk_[A-Za-z0-9]{16,}"),
    ("google_key", r"\bAIza[0-9A-Za-z_\-]{30,}"),
    # The whole value up to white space or a quote: a token of any format after it goes too.
    ("bearer", r"\b(?i:bearer)\s+[^\s\"'<>]{8,}"),
)
_PATTERN = re.compile("|".join(f"(?P<{kind}>{body})" for kind, body in PATTERNS))


def _mark(match: re.Match[str]) -> str:
    return f"[REDACTED:{match.lastgroup}]"


def redact(text: str) -> str:
    """``text`` with every secret of a known format replaced by ``[REDACTED:<kind>]``."""
    return _PATTERN.sub(_mark, text)
