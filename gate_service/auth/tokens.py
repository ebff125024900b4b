"""Token formats: generating, recognising and hashing them. Pure functions, no I/O.

Two formats are accepted in ``Authorization: Bearer <token>``:

- client credential ``cli_<16 [a-z0-9]>:sk_<32 hex>:secret_<32 hex>`` (the whole brand);
- agent token ``spideriq_pat_<32 hex>`` (one agent of one brand).

Secret parts carry 128 random bits from :mod:`secrets`; the client id is an identifier,
not a secret. Only keyed hashes of secrets are stored. Because the secrets are long and
random, a fast keyed hash (HMAC-SHA256) is as strong as a slow password hash here, and
cheap enough for the request path. Parsing runs on every request, hence the precompiled regexes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Literal

from gate_service.errors import GateError

CLIENT_ID_PREFIX = "cli_"
API_KEY_PREFIX = "sk_"
API_SECRET_PREFIX = "secret_"
AGENT_TOKEN_PREFIX = "spideriq_pat_"
TOKEN_ID_PREFIX = "tok_"

_CLIENT_ID_ALPHABET = string.ascii_lowercase + string.digits
_CLIENT_ID_LENGTH = 16
# Characters of an agent token kept in clear, to recognise it in a list (16 bits of 128).
_PREFIX_HEX_CHARS = 4

_CLIENT_ID = r"cli_[a-z0-9]{16}"
_CLIENT_ID_RE = re.compile(_CLIENT_ID)
_AGENT_TOKEN_RE = re.compile(r"spideriq_pat_[0-9a-f]{32}")
_CREDENTIAL_RE = re.compile(
    rf"(?P<client_id>{_CLIENT_ID}):(?P<api_key>sk_[0-9a-f]{{32}}):(?P<api_secret>secret_[0-9a-f]{{32}})"
)
_BEARER_RE = re.compile(r"\s*bearer(?:\s+(?P<token>.*?))?\s*", re.IGNORECASE | re.DOTALL)

MISSING_MESSAGE = "Missing API key. Pass it as 'Authorization: Bearer <token>'."
FORMAT_MESSAGE = (
    "Malformed token. Pass 'Authorization: Bearer <token>' with an agent token "
    "(spideriq_pat_ followed by 32 lowercase hex digits) or a client credential "
    "(<client_id>:<api_key>:<api_secret>)."
)

TokenKind = Literal["client_credential", "agent_token"]


@dataclass(frozen=True, slots=True)
class ParsedToken:
    """A syntactically valid token, split into its parts; secrets stay out of ``repr``."""

    kind: TokenKind
    raw: str = field(repr=False)
    client_id: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)


def missing_api_key() -> GateError:
    """401 ``missing_api_key`` (the catalogue adds ``WWW-Authenticate: Bearer``)."""
    return GateError("missing_api_key", MISSING_MESSAGE)


def invalid_token_format() -> GateError:
    """401 ``invalid_token_format``; never echoes what was sent."""
    return GateError("invalid_token_format", FORMAT_MESSAGE)


def parse_bearer(header: str | None) -> ParsedToken:
    """Parse an ``Authorization`` header value: scheme ``Bearer`` (any case) and a token.

    No header, a blank one, or ``Bearer`` without a token -> ``missing_api_key``; another
    scheme or a token in neither format -> ``invalid_token_format``.
    """
    if header is None or not header.strip():
        raise missing_api_key()
    match = _BEARER_RE.fullmatch(header)
    if match is None:
        raise invalid_token_format()
    token = match.group("token")
    if not token:
        raise missing_api_key()
    return parse_token(token)


def parse_token(token: str) -> ParsedToken:
    """Recognise a bare token (without the scheme) or raise ``invalid_token_format``."""
    if _AGENT_TOKEN_RE.fullmatch(token):
        return ParsedToken("agent_token", token)
    match = _CREDENTIAL_RE.fullmatch(token)
    if match is None:
        raise invalid_token_format()
    return ParsedToken(
        "client_credential",
        token,
        client_id=match.group("client_id"),
        api_key=match.group("api_key"),
        api_secret=match.group("api_secret"),
    )


def is_client_id(value: str) -> bool:
    """Whether ``value`` has the shape of a client id."""
    return _CLIENT_ID_RE.fullmatch(value) is not None


def new_client_id() -> str:
    """``cli_`` + 16 random lowercase letters and digits."""
    return CLIENT_ID_PREFIX + "".join(
        secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(_CLIENT_ID_LENGTH)
    )


def new_api_key() -> str:
    """``sk_`` + 32 lowercase hex digits (128 bits)."""
    return API_KEY_PREFIX + secrets.token_hex(16)


def new_api_secret() -> str:
    """``secret_`` + 32 lowercase hex digits (128 bits)."""
    return API_SECRET_PREFIX + secrets.token_hex(16)


def new_agent_token() -> str:
    """``spideriq_pat_`` + 32 lowercase hex digits (128 bits)."""
    return AGENT_TOKEN_PREFIX + secrets.token_hex(16)


def new_token_id() -> str:
    """``tok_`` + 16 hex digits: the public id of an agent token (not a secret)."""
    return TOKEN_ID_PREFIX + secrets.token_hex(8)


def credential_token(client_id: str, api_key: str, api_secret: str) -> str:
    """The bearer form of a client credential."""
    return f"{client_id}:{api_key}:{api_secret}"


def token_prefix(token: str) -> str:
    """The first characters of an agent token, shown in listings to recognise it."""
    return token[: len(AGENT_TOKEN_PREFIX) + _PREFIX_HEX_CHARS]


def api_key_prefix(api_key: str) -> str:
    """The first characters of a credential's ``sk_`` part (16 of its 128 bits), kept
    in clear beside its hash to recognise it in a list."""
    return api_key[: len(API_KEY_PREFIX) + _PREFIX_HEX_CHARS]


def hash_secret(key: bytes, secret: str) -> str:
    """Keyed hash of a secret (HMAC-SHA256, hex): what is stored instead of the secret."""
    return hmac.new(key, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def digests_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))
