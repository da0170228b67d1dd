"""Which lake tables a query reads, from DuckDB's own parser (`json_serialize_sql`).

The query cache keys a result by the versions of the tables it read (ioc_app.lake.changes), so a
statement whose inputs are not all named tables of the lake (a table function such as
`snapshots()`, another catalog, a statement that is no SELECT) gets no table list: its result is
keyed by the whole lake's snapshot, as every result was before.
"""
from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from typing import Any

import duckdb

_LAKE_CATALOGS = {"", "lake"}
_LAKE_SCHEMAS = {"", "main"}

_parser: tuple[int, duckdb.DuckDBPyConnection] | None = None  # (process id, connection): one per process
_parser_lock = threading.Lock()


def _serialized(sql: str) -> str:
    """`json_serialize_sql` on an in-memory DuckDB of this process (never one inherited across a fork)."""
    global _parser
    with _parser_lock:
        if _parser is None or _parser[0] != os.getpid():
            _parser = (os.getpid(), duckdb.connect(config={"autoinstall_known_extensions": False,
                                                           "autoload_known_extensions": False}))
        return _parser[1].execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]


@lru_cache(maxsize=2048)
def tables_read(sql: str) -> frozenset[str] | None:
    """The lake tables a SELECT names (its CTEs excluded), or None when it reads anything else."""
    tree = json.loads(_serialized(sql))
    if tree.get("error"):
        return None
    tables: set[str] = set()
    return frozenset(tables) if _walk(tree["statements"], frozenset(), tables) else None


def _walk(node: Any, ctes: frozenset[str], tables: set[str]) -> bool:
    """Collect the base tables under `node`, where the names in `ctes` are CTEs in scope; False at
    a reference that is no lake table. A CTE's body sees the CTEs defined before it, not itself."""
    if isinstance(node, list):
        return all(_walk(item, ctes, tables) for item in node)
    if not isinstance(node, dict):
        return True
    kind = node.get("type")
    if kind == "TABLE_FUNCTION":
        return False
    cte_map = node.get("cte_map")
    if isinstance(cte_map, dict):
        for entry in cte_map.get("map", []):
            if not _walk(entry["value"], ctes, tables):
                return False
            ctes = ctes | {entry["key"]}
    if kind == "BASE_TABLE":
        catalog, schema, name = node.get("catalog_name"), node.get("schema_name"), node["table_name"]
        if not catalog and not schema and name in ctes:
            return True
        if catalog not in _LAKE_CATALOGS or schema not in _LAKE_SCHEMAS:
            return False
        tables.add(name)
    return all(_walk(value, ctes, tables) for key, value in node.items() if key != "cte_map")
