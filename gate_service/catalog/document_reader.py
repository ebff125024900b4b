"""Typed field access on one catalog document, for :mod:`gate_service.catalog.schema`.

Every catalog document is read through it, so a malformed one (a shipped file with a
typo, a stored row an operator edited) fails with a ``ValueError`` that names the record
and the field, never with a ``KeyError`` or ``TypeError`` deep inside a constructor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class DocumentReader:
    """Typed field access on a document, with errors that name the record and field."""

    def __init__(self, kind: str, doc: Mapping[str, Any]) -> None:
        if not isinstance(doc, Mapping):
            raise ValueError(f"{kind} document must be a mapping, got {type(doc).__name__}")
        self.doc = doc
        self.where = f"{kind} {doc.get('id') or doc.get('provider_model') or '?'!s}"

    def _get(self, key: str, default: Any, required: bool) -> Any:
        if key not in self.doc or self.doc[key] is None:
            if required:
                raise ValueError(f"{self.where}: missing field {key!r}")
            return default
        return self.doc[key]

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        value = self._get(key, default, required)
        if not isinstance(value, str):
            raise ValueError(f"{self.where}: {key!r} must be a string")
        if required and not value:
            raise ValueError(f"{self.where}: {key!r} must not be empty")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self._get(key, None, False)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{self.where}: {key!r} must be a string or null")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default, False)
        if not isinstance(value, bool):
            raise ValueError(f"{self.where}: {key!r} must be true or false")
        return value

    def integer(self, key: str, default: int = 0, *, required: bool = False) -> int:
        value = self._get(key, default, required)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{self.where}: {key!r} must be an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        value = self._get(key, None, False)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{self.where}: {key!r} must be an integer or null")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key, (), False)
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ValueError(f"{self.where}: {key!r} must be a list of strings")
        if not all(isinstance(v, str) for v in value):
            raise ValueError(f"{self.where}: {key!r} must be a list of strings")
        return tuple(value)

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self._get(key, {}, False)
        if not isinstance(value, Mapping):
            raise ValueError(f"{self.where}: {key!r} must be a mapping")
        return value
