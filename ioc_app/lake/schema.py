"""The tables of the analytical store (docs/interfaces.md), created if missing."""
from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb

from ioc_app.lake import device_latest, ticket_rollups

log = logging.getLogger("ioc.lake")

LINEAGE = "batch_id VARCHAR, source VARCHAR, loaded_at TIMESTAMP"

TABLES: dict[str, str] = {
    "dim_area": "area_key VARCHAR, code VARCHAR, name VARCHAR, short_name VARCHAR, level VARCHAR, "
                "parent_key VARCHAR, province_code VARCHAR, valid_from DATE, valid_to DATE, "
                "lat DOUBLE, lon DOUBLE, area_km2 DOUBLE",
    "dim_area_crosswalk": "old_key VARCHAR, old_level VARCHAR, new_key VARCHAR, new_level VARCHAR, weight DOUBLE",
    "dim_unit": "unit_code VARCHAR, name VARCHAR, kind VARCHAR, parent_code VARCHAR, area_key VARCHAR, "
                "valid_from DATE, valid_to DATE",
    "dim_indicator": "indicator_code VARCHAR, name_vi VARCHAR, name_en VARCHAR, unit VARCHAR, sector VARCHAR, "
                     "frequency VARCHAR, aggregation VARCHAR, direction VARCHAR, value_type VARCHAR, level VARCHAR",
    "dim_indicator_target": "indicator_code VARCHAR, year INTEGER, target DOUBLE",
    "dim_category": "category_code VARCHAR, criterion VARCHAR, name_vi VARCHAR, name_en VARCHAR",
    "dim_camera": "camera_id VARCHAR, name VARCHAR, kind VARCHAR, lat DOUBLE, lon DOUBLE, area_key VARCHAR, "
                  "installed_at TIMESTAMP",
    "dim_sensor": "sensor_id VARCHAR, name VARCHAR, kind VARCHAR, unit VARCHAR, threshold DOUBLE, "
                  "lat DOUBLE, lon DOUBLE, area_key VARCHAR",
    "fact_indicator_value": "indicator_code VARCHAR, area_key VARCHAR, original_area_code VARCHAR, "
                            "unit_code VARCHAR, period VARCHAR, period_type VARCHAR, period_start DATE, "
                            "category_code VARCHAR, value DOUBLE, submission_id VARCHAR, approved_at TIMESTAMP, "
                            + LINEAGE,
    "fact_ticket": "ticket_id VARCHAR, service_code VARCHAR, service_name VARCHAR, status VARCHAR, "
                   "requested_at TIMESTAMP, updated_at TIMESTAMP, expected_at TIMESTAMP, closed_at TIMESTAMP, "
                   "lat DOUBLE, lon DOUBLE, area_key VARCHAR, original_area_code VARCHAR, agency VARCHAR, "
                   "address VARCHAR, description VARCHAR, satisfaction INTEGER, " + LINEAGE,
    "fact_ticket_event": "ticket_id VARCHAR, status VARCHAR, event_at TIMESTAMP, " + LINEAGE,
    "fact_camera_status": "camera_id VARCHAR, observed_at TIMESTAMP, online BOOLEAN, " + LINEAGE,
    "fact_camera_event": "camera_id VARCHAR, event_at TIMESTAMP, event_type VARCHAR, detail VARCHAR, " + LINEAGE,
    "fact_sensor_reading": "sensor_id VARCHAR, observed_at TIMESTAMP, value DOUBLE, " + LINEAGE,
    "agg_sensor_hourly": "sensor_id VARCHAR, area_key VARCHAR, hour TIMESTAMP, n BIGINT, avg_value DOUBLE, "
                         "min_value DOUBLE, max_value DOUBLE",
    "agg_sensor_daily": "sensor_id VARCHAR, area_key VARCHAR, day DATE, n BIGINT, avg_value DOUBLE, "
                        "min_value DOUBLE, max_value DOUBLE",
    # Derived from fact_ticket (ioc_app/lake/ticket_rollups.py); columns after `closed` and after
    # `expected_at` came later.
    "agg_ticket_daily": "day DATE, area_key VARCHAR, service_code VARCHAR, status VARCHAR, opened BIGINT, "
                        "closed BIGINT, agency VARCHAR, opened_on_time BIGINT, closed_on_time BIGINT, "
                        "closed_days DOUBLE, rated BIGINT, satisfaction_sum DOUBLE",
    "agg_ticket_backlog": "ticket_id VARCHAR, area_key VARCHAR, service_code VARCHAR, agency VARCHAR, "
                          "status VARCHAR, requested_at TIMESTAMP, expected_at TIMESTAMP, service_name VARCHAR, "
                          "satisfaction INTEGER",
    # Derived from the device feeds (ioc_app/lake/device_latest.py).
    "agg_sensor_latest": "sensor_id VARCHAR, observed_at TIMESTAMP, value DOUBLE",
    "agg_camera_latest": "camera_id VARCHAR, observed_at TIMESTAMP, online BOOLEAN, last_online TIMESTAMP",
    "agg_indicator_area": "indicator_code VARCHAR, area_key VARCHAR, level VARCHAR, period VARCHAR, "
                          "period_type VARCHAR, period_start DATE, category_code VARCHAR, value DOUBLE",
    "ingest_batch": "batch_id VARCHAR, kind VARCHAR, source VARCHAR, file VARCHAR, started_at TIMESTAMP, "
                    "finished_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, "
                    "status VARCHAR, content_sha256 VARCHAR",
    "quarantine": "batch_id VARCHAR, kind VARCHAR, source VARCHAR, file VARCHAR, row_number BIGINT, "
                  "column_name VARCHAR, reason VARCHAR, raw VARCHAR, quarantined_at TIMESTAMP",
    # Newest source time committed per pulled source (pipelines/watermarks.py).
    "source_watermark": "source VARCHAR, watermark TIMESTAMP, updated_at TIMESTAMP",
    # One row per scheduler run of a configured source, failures included (pipelines/scheduler.py).
    "source_run": "source VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, message VARCHAR, "
                  "files BIGINT, rows_loaded BIGINT",
}

# Tables written in small batches (catalog rows, a few tickets, one heartbeat round):
# Data inlining (small inserts kept in the catalog) is off: DuckLake 1.4.4 with a SQLite
# catalog lost inlined rows under equality filters (`WHERE area_key = '86'` found none of
# them while `IN ('86', 'x')` did; docs/decisions.md). Every batch writes Parquet files and
# lake.maintenance.compact() merges the small ones.
INLINE_ROW_LIMIT = 0
# Tables derived from the facts, each family with what fills it from every fact when one of its
# tables is created or widened.
DERIVED: dict[frozenset[str], Callable[[duckdb.DuckDBPyConnection], None]] = {
    frozenset({"agg_ticket_daily", "agg_ticket_backlog"}): ticket_rollups.rebuild,
    frozenset(device_latest.TABLES): device_latest.rebuild,
}


def ensure_schema(con: duckdb.DuckDBPyConnection, attempts: int = 3) -> None:
    """Create the missing tables and add the missing columns in one transaction; no write (and no
    snapshot) when nothing is missing. Derived tables that were created or widened are filled
    from the facts in the same transaction. Machines started together (docs/deployment.md) may
    bring one lake up to date at the same moment: each reads the lake inside its own transaction
    (DuckLake pins what it sees there), the one whose commit conflicts looks again, and finds the
    work done."""
    for attempt in range(1, attempts + 1):
        try:
            _bring_up_to_date(con)
            return
        except duckdb.TransactionException:
            if attempt == attempts:
                raise
            log.info("lake schema: another process changed it at the same moment; looking again")


def _bring_up_to_date(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN")
    try:
        changed = _add_missing(con)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    # A conflict ends the transaction in COMMIT (nothing to roll back): ensure_schema looks again.
    con.execute("COMMIT" if changed else "ROLLBACK")


def _add_missing(con: duckdb.DuckDBPyConnection) -> bool:
    """Add what is missing inside the open transaction; whether anything was."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = 'lake' AND schema_name = 'main'").fetchall():
        existing.setdefault(table, set()).add(column)
    limit = con.execute(
        "SELECT value FROM lake.options() WHERE option_name = 'data_inlining_row_limit' AND scope = 'GLOBAL'"
    ).fetchone()
    missing = [name for name in TABLES if name not in existing]
    added = {name: [(column, sql_type) for column, sql_type in columns(name) if column not in existing[name]]
             for name in TABLES if name in existing}
    widened = {name: new for name, new in added.items() if new}
    limit_wrong = limit is None or int(limit[0]) != INLINE_ROW_LIMIT
    for name in missing:
        con.execute(f"CREATE TABLE IF NOT EXISTS lake.main.{name} ({TABLES[name]})")
    for name, new in widened.items():
        for column, sql_type in new:
            con.execute(f"ALTER TABLE lake.main.{name} ADD COLUMN {column} {sql_type}")
    for tables, rebuild in DERIVED.items():
        if tables & (set(missing) | set(widened)):
            rebuild(con)
    if limit_wrong:
        con.execute(f"CALL lake.set_option('data_inlining_row_limit', {INLINE_ROW_LIMIT})")
        con.execute("CALL ducklake_flush_inlined_data('lake')")
    return bool(missing or widened or limit_wrong)


def columns(table: str) -> list[tuple[str, str]]:
    """(name, SQL type) of each column of a lake table, in order."""
    return [tuple(part.strip().split(" ", 1)) for part in TABLES[table].split(",")]
