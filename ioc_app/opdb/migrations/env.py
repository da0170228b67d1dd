"""Alembic environment: runs on the connection that ioc_app.opdb.session.migrate hands over."""

from __future__ import annotations

from alembic import context

from ioc_app.opdb.models import Base

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations through ioc_app.opdb.session.migrate(url)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
