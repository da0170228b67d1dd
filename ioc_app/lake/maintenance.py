"""Small-file maintenance of the lake, run as a pipeline job (e.g. nightly).

Small writes are inlined into the catalog (schema.INLINE_ROW_LIMIT); this job moves them
to Parquet, merges adjacent small files, expires snapshots older than `keep` (time travel
and cache keys stay valid inside that window) and deletes the files no snapshot needs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import duckdb

from ioc_app.lake.connection import LAKE


@dataclass(frozen=True)
class MaintenanceReport:
    data_files_before: int
    data_files_after: int
    snapshots_expired: int
    files_deleted: int


def _live_data_files(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        f"SELECT count(*) FROM __ducklake_metadata_{LAKE}.ducklake_data_file WHERE end_snapshot IS NULL"
    ).fetchone()[0]


def compact(con: duckdb.DuckDBPyConnection, keep: timedelta = timedelta(days=7)) -> MaintenanceReport:
    """Flush inlined rows, merge small files, expire old snapshots and remove unneeded files."""
    before = _live_data_files(con)
    con.execute(f"CALL ducklake_flush_inlined_data('{LAKE}')")
    con.execute(f"CALL ducklake_merge_adjacent_files('{LAKE}')")
    cutoff = f"now() - INTERVAL '{int(keep.total_seconds())} seconds'"
    expired = con.execute(
        f"SELECT count(*) FROM ducklake_expire_snapshots('{LAKE}', older_than => {cutoff})"
    ).fetchone()[0]
    deleted = con.execute(
        f"SELECT count(*) FROM ducklake_cleanup_old_files('{LAKE}', older_than => {cutoff})"
    ).fetchone()[0]
    return MaintenanceReport(before, _live_data_files(con), expired, deleted)
