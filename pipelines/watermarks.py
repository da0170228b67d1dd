"""Per-source watermarks of the HTTP pulls (lake table source_watermark).

A watermark is the newest source time (naive ICT) a pull has committed: the next pull asks
the service for what changed after it (minus a safety overlap). `advance` is called inside
the transaction of the batch that loaded the data, so a crash or a failed batch never moves
a watermark past rows that were not committed; it never moves a watermark backwards.
"""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from ioc_app.clock import now_ict


def read(con: duckdb.DuckDBPyConnection, source: str) -> datetime | None:
    """The watermark of `source`, or None before its first committed pull."""
    row = con.execute("SELECT max(watermark) FROM lake.main.source_watermark WHERE source = ?", [source]).fetchone()
    return None if row is None or row[0] is None else row[0]


def read_prefix(con: duckdb.DuckDBPyConnection, prefix: str) -> dict[str, datetime]:
    """Watermarks of every source whose name starts with `prefix` (e.g. the datastreams of one pull)."""
    rows = con.execute("SELECT source, max(watermark) FROM lake.main.source_watermark "
                       "WHERE starts_with(source, ?) GROUP BY source", [prefix]).fetchall()
    return {source: watermark for source, watermark in rows}


def advance(con: duckdb.DuckDBPyConnection, marks: dict[str, datetime]) -> None:
    """Move each source's watermark forward to the given time (never backwards).

    Must run inside the caller's open transaction: the watermark commits with its batch.
    """
    marks = {source: mark for source, mark in marks.items() if mark is not None and not pd.isna(mark)}
    if not marks:
        return
    frame = pd.DataFrame({"source": list(marks), "watermark": pd.to_datetime(list(marks.values())).astype(
        "datetime64[us]")})
    con.register("watermark_frame", frame)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE watermark_next AS "
                    "SELECT f.source, f.watermark "
                    "FROM watermark_frame f LEFT JOIN (SELECT source, max(watermark) AS watermark "
                    "FROM lake.main.source_watermark GROUP BY source) w ON w.source = f.source "
                    "WHERE w.watermark IS NULL OR f.watermark > w.watermark")
    finally:
        con.unregister("watermark_frame")
    if con.execute("SELECT count(*) FROM watermark_next").fetchone()[0]:
        con.execute("DELETE FROM lake.main.source_watermark WHERE source IN (SELECT source FROM watermark_next)")
        con.execute("INSERT INTO lake.main.source_watermark SELECT source, watermark, CAST(? AS TIMESTAMP) "
                    "FROM watermark_next", [now_ict().replace(microsecond=0)])
