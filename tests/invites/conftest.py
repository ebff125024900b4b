"""Database fixtures (``database_url``, ``db``) parametrised over SQLite and PostgreSQL."""

from tests.db_backends import database_url, db

__all__ = ["database_url", "db"]
