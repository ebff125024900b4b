"""Durable state through SQLModel: SQLite by default, PostgreSQL via DATABASE_URL."""
