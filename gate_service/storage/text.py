"""Which strings a text column takes: no control characters, no lone surrogates.

PostgreSQL refuses a NUL in any text value (the driver raises, and before this check the
caller got a 500); SQLite stores it and hands it back. Other control characters store
fine on both but have no business in a name, label, address or secret (a newline in a
secret breaks the upstream's HTTP header; in a label it forges lines in a listing), and a
lone surrogate cannot be encoded at all. So every text a caller gives to be stored is
refused with a 400 naming the field, the same on both backends, instead of stripped: a
silently changed secret or name would surprise its owner later.
"""

from __future__ import annotations

import re

from gate_service.errors import GateError, invalid

# C0 controls, DEL, C1 controls and the UTF-16 surrogate range.
_UNSTORABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def storable(value: str) -> bool:
    """Whether ``value`` can be stored (and looked up) as text on every backend."""
    return _UNSTORABLE.search(value) is None


def check_storable(value: str, param: str) -> str:
    """``value`` unchanged, or a 400 naming ``param`` if it holds a control character."""
    if not storable(value):
        raise unstorable(param)
    return value


def unstorable(param: str) -> GateError:
    return invalid(f"{param} must not contain control characters", param)
