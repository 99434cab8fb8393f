"""Persistence adapter: SQLModel tables, the database engine, migrations and the store."""
