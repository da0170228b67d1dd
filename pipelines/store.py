"""Set-based writes of staged DataFrames into lake tables (never row by row)."""
from __future__ import annotations

import logging
import time

import duckdb
import pandas as pd

from ioc_app.lake.schema import columns

log = logging.getLogger("ioc.pipelines")


def time_range(frame: pd.DataFrame, column: str) -> str:
    """SQL condition keeping the existing rows of the batch's time range (narrows the anti-join scan)."""
    if frame.empty:
        return "FALSE"
    low, high = frame[column].min(), frame[column].max()
    return f"t.{column} BETWEEN TIMESTAMP '{low}' AND TIMESTAMP '{high}'"


def _select(table: str, stage: str, available: set[str]) -> str:
    parts = [
        f"CAST({name} AS {sql_type}) AS {name}" if name in available else f"CAST(NULL AS {sql_type}) AS {name}"
        for name, sql_type in columns(table)
    ]
    return f"SELECT {', '.join(parts)} FROM {stage}"


def stage(con: duckdb.DuckDBPyConnection, name: str, table: str, frame: pd.DataFrame) -> str:
    """A temp table `name` holding `frame` with the columns and types of lake table `table`."""
    con.register(f"{name}_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                    + _select(table, f"{name}_frame", set(frame.columns)))
    finally:
        con.unregister(f"{name}_frame")
    return name


def _key_match(keys: list[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{key} = {right}.{key}" for key in keys)


def _missing(table: str, staged: str, keys: list[str], where: str) -> str:
    return (f"SELECT s.* FROM {staged} s WHERE NOT EXISTS "
            f"(SELECT 1 FROM lake.main.{table} t WHERE {where} AND {_key_match(keys, 't', 's')})")


def _has_rows(con: duckdb.DuckDBPyConnection, table: str, where: str) -> bool:
    return con.execute(f"SELECT count(*) FROM (SELECT 1 FROM lake.main.{table} t WHERE {where} LIMIT 1)"
                       ).fetchone()[0] > 0


def new_rows(con: duckdb.DuckDBPyConnection, table: str, staged: str, keys: list[str], where: str = "TRUE") -> str:
    """A relation of the staged rows whose natural key is not in the table yet.

    `where` narrows the existing rows to compare with (e.g. the batch's time range, which
    DuckLake answers from its file statistics). When no stored row matches it (a feed
    appending newer data) the staged relation itself is returned, without an anti-join.
    """
    if not _has_rows(con, table, where):
        return staged
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staged}_new AS " + _missing(table, staged, keys, where))
    return f"{staged}_new"


def _ordered(order_by: str | None) -> str:
    """The ORDER BY rows are written in. A feed's rows go in time order: a row group then holds a few
    hours, and a query of a time window reads only the row groups of it (DuckDB skips the others by
    their min/max), where rows in the order of the source file (one sensor's year after another's)
    would make every row group span the whole file."""
    return f" ORDER BY {order_by}" if order_by else ""


def append_new(con: duckdb.DuckDBPyConnection, table: str, staged: str, keys: list[str],
               where: str = "TRUE", order_by: str | None = None) -> int:
    """Insert the staged rows whose natural key is not in the table yet, in the order `order_by`
    (`_ordered`); returns how many.

    `where` narrows the scan of the existing rows (e.g. to the batch's time range). The
    inserted rows stay in the temp table `<staged>_new` for the rollups.
    """
    started = time.perf_counter()
    missing = _missing(table, staged, keys, where) if _has_rows(con, table, where) else f"SELECT * FROM {staged}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staged}_new AS " + missing)
    count = con.execute(f"SELECT count(*) FROM {staged}_new").fetchone()[0]
    if count:
        con.execute(f"INSERT INTO lake.main.{table} SELECT * FROM {staged}_new" + _ordered(order_by))
    log.info("%s: %d new rows loaded in %.2f s", table, count, time.perf_counter() - started)
    return int(count)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: str, lineage: list[object],
                order_by: str | None = None) -> int:
    """Insert `rows` (the table's columns before the lineage ones) with lineage values
    (batch_id, source, loaded_at) bound once for the whole batch, in the order `order_by`
    (`_ordered`); returns how many."""
    started = time.perf_counter()
    names = [name for name, _ in columns(table)][:-len(lineage)]
    count = con.execute(f"INSERT INTO lake.main.{table} SELECT {', '.join(names)}, "
                        f"{', '.join('?' for _ in lineage)} FROM {rows}{_ordered(order_by)}", lineage).fetchone()[0]
    log.info("%s: %d new rows loaded in %.2f s", table, count, time.perf_counter() - started)
    return int(count)


def upsert(con: duckdb.DuckDBPyConnection, table: str, staged: str, keys: list[str]) -> int:
    """Make the table rows with the staged keys equal to the staged rows; returns rows added or changed."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staged}_changed AS "
                f"SELECT * FROM {staged} EXCEPT SELECT * FROM lake.main.{table}")
    count = con.execute(f"SELECT count(*) FROM {staged}_changed").fetchone()[0]
    if count:
        con.execute(f"DELETE FROM lake.main.{table} AS t WHERE EXISTS "
                    f"(SELECT 1 FROM {staged}_changed c WHERE {_key_match(keys, 't', 'c')})")
        con.execute(f"INSERT INTO lake.main.{table} SELECT * FROM {staged}_changed")
    return int(count)


def replace_all(con: duckdb.DuckDBPyConnection, table: str, staged: str) -> int:
    """Make the table equal to the staged rows; returns rows added or changed (0 when already equal)."""
    changed = con.execute(f"SELECT count(*) FROM (SELECT * FROM {staged} EXCEPT SELECT * FROM lake.main.{table})"
                          ).fetchone()[0]
    removed = con.execute(f"SELECT count(*) FROM (SELECT * FROM lake.main.{table} EXCEPT SELECT * FROM {staged})"
                          ).fetchone()[0]
    if changed or removed:
        con.execute(f"DELETE FROM lake.main.{table}")
        con.execute(f"INSERT INTO lake.main.{table} SELECT * FROM {staged}")
    return int(changed)
