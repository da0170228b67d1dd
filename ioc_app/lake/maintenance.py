"""Small-file maintenance of the lake, run as a pipeline job (hourly by default).

Every batch writes its own small Parquet files (inlining is off: schema.INLINE_ROW_LIMIT);
this job flushes any rows a lake inlined before, rewrites files that rollup refreshes have
partly deleted (DuckLake cannot merge a file with deletes), merges adjacent small files (below
MERGE_BELOW_BYTES), expires snapshots older than `keep` (time travel and cache keys stay valid
inside that window) and deletes the files no snapshot needs.
`delete_orphaned_files` removes the Parquet files a killed batch wrote but never committed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb

from ioc_app.lake.connection import LAKE

# A data file is rewritten without its deleted rows once this share of them is deleted.
REWRITE_DELETED_SHARE = 0.2
# Files from this size on are left as they are. The feeds' batches write a small file per table every
# few minutes; merging those (2.2 s for 269 → 69 files at a province-year) keeps the hourly run cheap,
# where merging every file rewrote the year's 500 MB each time (14-22 s).
MERGE_BELOW_BYTES = 16 * 2**20


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
    """Flush inlined rows, rewrite partly deleted files, merge the small files, expire old snapshots
    and remove unneeded files."""
    before = _live_data_files(con)
    con.execute(f"CALL ducklake_flush_inlined_data('{LAKE}')")
    con.execute(f"CALL ducklake_rewrite_data_files('{LAKE}', delete_threshold => {REWRITE_DELETED_SHARE})")
    con.execute(f"CALL ducklake_merge_adjacent_files('{LAKE}', max_file_size => {MERGE_BELOW_BYTES})")
    cutoff = f"now() - INTERVAL '{int(keep.total_seconds())} seconds'"
    expired = con.execute(
        f"SELECT count(*) FROM ducklake_expire_snapshots('{LAKE}', older_than => {cutoff})"
    ).fetchone()[0]
    deleted = con.execute(
        f"SELECT count(*) FROM ducklake_cleanup_old_files('{LAKE}', older_than => {cutoff})"
    ).fetchone()[0]
    return MaintenanceReport(before, _live_data_files(con), expired, deleted)


# The names DuckLake gives its data and delete files; nothing else under the data path is ever deleted.
DUCKLAKE_FILE = re.compile(r"^ducklake-[0-9a-f-]+(-delete)?\.parquet$")


@dataclass(frozen=True)
class OrphanReport:
    deleted: tuple[str, ...]
    # Unreferenced files that DuckLake did not write (a data path shared with other files): left alone.
    foreign: tuple[str, ...]


def delete_orphaned_files(con: duckdb.DuckDBPyConnection, data_path: Path,
                          grace: timedelta = timedelta(hours=1)) -> OrphanReport:
    """Delete the DuckLake files under `data_path` that no snapshot references and that were last
    modified more than `grace` ago (files of a batch killed before its commit).

    DuckLake's ducklake_delete_orphaned_files lists them (the catalog's data files, delete
    files and files scheduled for deletion are kept); it would also delete ANY other file
    under the data path, so only its dry-run list is used and only files named like DuckLake's
    own inside `data_path` are removed. `grace` protects a batch still writing in another process.
    """
    listed = con.execute(
        f"SELECT path FROM ducklake_delete_orphaned_files('{LAKE}', dry_run => true, "
        f"older_than => now() - INTERVAL '{int(grace.total_seconds())} seconds')").fetchall()
    root = data_path.resolve()
    deleted: list[str] = []
    foreign: list[str] = []
    for (name,) in listed:
        path = Path(name)
        if DUCKLAKE_FILE.match(path.name) and path.resolve().is_relative_to(root):
            path.unlink(missing_ok=True)
            deleted.append(str(path))
        else:
            foreign.append(str(path))
    return OrphanReport(tuple(sorted(deleted)), tuple(sorted(foreign)))
