"""The analytical store: DuckDB with a DuckLake catalog (see docs/interfaces.md)."""
from ioc_app.lake.connection import connect, snapshot_id
from ioc_app.lake.schema import ensure_schema

__all__ = ["connect", "ensure_schema", "snapshot_id"]
