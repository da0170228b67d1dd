"""Operational DB: users, catalogs, submissions and the audit log (SQLAlchemy 2 + Alembic)."""
