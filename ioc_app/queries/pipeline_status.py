"""Queries behind the pipeline status page: runs, batches, freshness and quarantine."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd


def source_activity(con: duckdb.DuckDBPyConnection, now: datetime) -> pd.DataFrame:
    """Per source: last run and its outcome, last successful run, rows of the last 24 hours."""
    return con.execute("""
        WITH runs AS (
            SELECT source, max(started_at) AS last_run,
                   arg_max(status, started_at) AS last_status, arg_max(message, started_at) AS last_message,
                   max(finished_at) FILTER (WHERE status = 'ok') AS last_ok
            FROM source_run GROUP BY source),
             batches AS (
            SELECT source, max(finished_at) AS last_batch,
                   coalesce(sum(rows_loaded) FILTER (WHERE finished_at >= ?::TIMESTAMP - INTERVAL 1 DAY), 0)
                       AS loaded_24h,
                   coalesce(sum(rows_quarantined) FILTER (WHERE finished_at >= ?::TIMESTAMP - INTERVAL 1 DAY), 0)
                       AS quarantined_24h
            FROM ingest_batch GROUP BY source)
        SELECT coalesce(r.source, b.source) AS source, r.last_run, r.last_status, r.last_message,
               coalesce(r.last_ok, b.last_batch) AS last_ok, b.last_batch,
               coalesce(b.loaded_24h, 0) AS loaded_24h, coalesce(b.quarantined_24h, 0) AS quarantined_24h
        FROM runs r FULL JOIN batches b ON b.source = r.source
        ORDER BY 1""", [now, now]).df()


# Per kind of record: its newest time and how many the store holds. A kind is a query of its own, so
# a five-minute sensor or heartbeat commit leaves the other kinds' answers cached (counting a
# province-year's 100M readings alone takes 25 ms).
FRESHNESS = {
    "reports": "SELECT max(approved_at), count(*) FROM fact_indicator_value",
    "tickets": "SELECT max(updated_at), count(*) FROM fact_ticket",
    "cameras": "SELECT (SELECT max(observed_at) FROM agg_camera_latest), (SELECT count(*) FROM fact_camera_status)",
    "sensors": "SELECT (SELECT max(observed_at) FROM agg_sensor_latest), (SELECT count(*) FROM fact_sensor_reading)",
}


def kind_freshness(con: duckdb.DuckDBPyConnection, kind: str) -> pd.DataFrame:
    """One row: the kind, its newest record (`newest`) and how many records the store holds."""
    newest, records = con.execute(FRESHNESS[kind]).fetchone()
    return pd.DataFrame({"kind": [kind], "newest": [newest], "records": [records]})


def data_freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every kind's row of `kind_freshness`, in FRESHNESS order."""
    return pd.concat([kind_freshness(con, kind) for kind in FRESHNESS], ignore_index=True)


def recent_batches(con: duckdb.DuckDBPyConnection, limit: int) -> pd.DataFrame:
    return con.execute("""
        SELECT started_at, finished_at, kind, source, file, rows_read, rows_loaded, rows_quarantined, status
        FROM ingest_batch ORDER BY started_at DESC, batch_id DESC LIMIT ?""", [limit]).df()


def quarantine_reasons(con: duckdb.DuckDBPyConnection, since: datetime) -> pd.DataFrame:
    """Why records were refused since a time, most frequent first."""
    return con.execute("""
        SELECT kind, column_name, reason, count(*) AS records, max(quarantined_at) AS last_seen
        FROM quarantine WHERE quarantined_at >= ?
        GROUP BY kind, column_name, reason ORDER BY records DESC, kind LIMIT 50""", [since]).df()
