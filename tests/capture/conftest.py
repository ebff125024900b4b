"""Database fixtures over SQLite and PostgreSQL (tests/db_backends.py)."""

from __future__ import annotations

from tests.db_backends import database_url, db

__all__ = ["database_url", "db"]
