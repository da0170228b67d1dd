"""The analytical store in a backup: the DuckLake catalog copied at one snapshot, and the
Parquet files that catalog references.

The catalog is copied first (SQLite: the online backup API; PostgreSQL: pg_dump at a
snapshot exported by the connection that also lists the files), so the copy's newest
DuckLake snapshot is the backup's snapshot. A pipeline committing meanwhile only adds files
the copy does not reference; data files never change once written. The only files that can
vanish are those compaction merged away and cleaned up between the catalog copy and the
file copy: the whole lake part is then taken again (a few attempts).
"""
from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

import psycopg

from ioc_app.backup import pgtools
from ioc_app.backup.files import (SQLITE_TIMEOUT_S, BackupError, copy_private, private_dir, sha256_file, sqlite_copy,
                                  sqlite_replace)
from ioc_app.config import Settings
from ioc_app.lake import connect

log = logging.getLogger("ioc.backup")

CATALOG_SQLITE, CATALOG_PG, FILES = "lake/catalog.sqlite", "lake/catalog.sql", "lake/files"
ATTEMPTS = 3

# Every data and delete file some snapshot kept in the catalog needs, with the schema and
# table folders its path may be relative to.
FILE_PATHS = """
    SELECT s.path, s.path_is_relative, t.path, t.path_is_relative, f.path, f.path_is_relative
    FROM (SELECT table_id, path, path_is_relative FROM ducklake_data_file
          UNION ALL SELECT table_id, path, path_is_relative FROM ducklake_delete_file) f
    JOIN (SELECT DISTINCT table_id, schema_id, path, path_is_relative FROM ducklake_table) t
      ON t.table_id = f.table_id
    JOIN (SELECT DISTINCT schema_id, path, path_is_relative FROM ducklake_schema) s
      ON s.schema_id = t.schema_id"""
SNAPSHOT = "SELECT max(snapshot_id) FROM ducklake_snapshot"
DATA_PATH = "SELECT value FROM ducklake_metadata WHERE key = 'data_path'"


def _relative_files(rows: Iterable[tuple], data_path: str) -> list[str]:
    """Paths relative to the lake's data path; a file outside it is refused (it would not be restorable)."""
    root = Path(data_path)
    files = set()
    for schema, schema_rel, table, table_rel, name, name_rel in rows:
        path = Path(name)
        if name_rel:
            folder = Path(schema) / table if table_rel else Path(table)
            path = folder / path
        full = path if path.is_absolute() else root / path
        if not full.is_relative_to(root):
            raise BackupError(f"lake file {full} lies outside the data path {root}: cannot back it up")
        files.add(full.relative_to(root).as_posix())
    return sorted(files)


def _catalog_sqlite(settings: Settings) -> Path:
    return Path(settings.lake.catalog.removeprefix("sqlite:"))


def _catalog_pg(settings: Settings) -> str:
    return settings.lake.catalog.removeprefix("postgres:")


def _copy_catalog(settings: Settings, folder: Path) -> tuple[int, str, list[str]]:
    """Copy the catalog into `folder`; (snapshot id, data path, referenced files) of the copy."""
    if settings.lake.catalog.startswith("sqlite:"):
        source = _catalog_sqlite(settings)
        if not source.is_file():
            raise BackupError(f"lake catalog {source}: no such file (run `ioc init`)")
        target = folder / CATALOG_SQLITE
        sqlite_copy(source, target)
        with closing(sqlite3.connect(target)) as copy:
            data_path = copy.execute(DATA_PATH).fetchone()[0]
            return copy.execute(SNAPSHOT).fetchone()[0], data_path, _relative_files(copy.execute(FILE_PATHS),
                                                                                   data_path)
    conninfo = _catalog_pg(settings)
    try:
        with psycopg.connect(conninfo, connect_timeout=10) as con:
            con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            exported = con.execute("SELECT pg_export_snapshot()").fetchone()[0]
            snapshot = con.execute(SNAPSHOT).fetchone()[0]
            data_path = con.execute(DATA_PATH).fetchone()[0]
            files = _relative_files(con.execute(FILE_PATHS).fetchall(), data_path)
            pgtools.dump(conninfo, folder / CATALOG_PG, exported, "lake catalog backup")
    except psycopg.Error as exc:
        raise BackupError(f"lake catalog (PostgreSQL): {str(exc).strip().splitlines()[0]}") from None
    return snapshot, data_path, files


def table_answers(settings: Settings, snapshot: int | None = None) -> dict[str, dict]:
    """Per lake table: row count and an order-free checksum of its rows (at `snapshot`, else the newest)."""
    with closing(connect(settings, read_only=True, snapshot=snapshot)) as con:
        names = [name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake' ORDER BY table_name").fetchall()]
        answers = {}
        for name in names:
            rows, checksum = con.execute(
                f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM lake.main."{name}" t').fetchone()
            answers[name] = {"rows": rows, "checksum": checksum}
    return answers


def backup(settings: Settings, folder: Path) -> dict:
    """Copy the lake into `folder`; the manifest's `lake` part."""
    for attempt in range(1, ATTEMPTS + 1):
        part = private_dir(folder / "lake")
        snapshot, data_path, files = _copy_catalog(settings, folder)
        try:
            for name in files:
                copy_private(Path(data_path) / name, folder / FILES / name)
        except FileNotFoundError as exc:
            log.warning("lake file %s removed by compaction during the backup: attempt %d of %d",
                        exc.filename, attempt, ATTEMPTS)
            shutil.rmtree(part)
            continue
        backend = "sqlite" if settings.lake.catalog.startswith("sqlite:") else "postgresql"
        return {"catalog_backend": backend, "catalog_file": CATALOG_SQLITE if backend == "sqlite" else CATALOG_PG,
                "snapshot_id": snapshot, "data_path": data_path, "files": len(files),
                "tables": table_answers(settings, snapshot)}
    raise BackupError(f"lake files kept disappearing during {ATTEMPTS} attempts (is compaction running?)")


def is_empty(settings: Settings) -> bool:
    """No data file in the catalog (a lake made by `ioc init` counts as empty)."""
    query = "SELECT count(*) FROM ducklake_data_file"
    if settings.lake.catalog.startswith("sqlite:"):
        path = _catalog_sqlite(settings)
        if not path.is_file():
            return True
        with closing(sqlite3.connect(path, timeout=SQLITE_TIMEOUT_S)) as con:
            try:
                return con.execute(query).fetchone()[0] == 0
            except sqlite3.OperationalError:  # no DuckLake tables yet
                return True
    try:
        with psycopg.connect(_catalog_pg(settings), connect_timeout=10) as con:
            return con.execute(query).fetchone()[0] == 0
    except psycopg.errors.UndefinedTable:
        return True
    except psycopg.Error as exc:
        raise BackupError(f"lake catalog (PostgreSQL): {str(exc).strip().splitlines()[0]}") from None


def _restore_files(settings: Settings, folder: Path, manifest_files: Iterable[str], force: bool) -> None:
    """Copy the backup's data files into the data path; an existing file of the same name is kept when
    identical, replaced only with `force` (data files are never rewritten, so that means damage)."""
    prefix = FILES + "/"
    root = settings.lake.data_path
    for name in manifest_files:
        if not name.startswith(prefix):
            continue
        relative = name.removeprefix(prefix)
        source, target = folder / name, root / relative
        if target.exists():
            if sha256_file(target) == sha256_file(source):
                continue
            if not force:
                raise BackupError(f"{target}: exists with other content than the backup's copy (--force replaces it)")
        copy_private(source, target)


def restore(settings: Settings, backup_folder: Path, manifest: dict, scratch: Path, force: bool) -> None:
    """Files first (new names only), then the catalog in one step, pointed at this data path."""
    part = manifest["lake"]
    backend = "sqlite" if settings.lake.catalog.startswith("sqlite:") else "postgresql"
    if backend != part["catalog_backend"]:
        raise BackupError(f"the backup holds a {part['catalog_backend']} lake catalog, the configured one is "
                          f"{backend}: restore onto the same kind of catalog")
    _restore_files(settings, backup_folder, manifest["files"], force)
    data_path = f"{settings.lake.data_path}/"
    source = backup_folder / part["catalog_file"]
    if backend == "postgresql":
        wipe, point = scratch / "lake-wipe.sql", scratch / "lake-data-path.sql"
        wipe.write_text(pgtools.WIPE, encoding="utf-8")
        point.write_text(f"UPDATE public.ducklake_metadata SET value = {pgtools.literal(data_path)} "
                         "WHERE key = 'data_path';\n", encoding="utf-8")
        pgtools.load(_catalog_pg(settings), [wipe, source, point], "lake catalog restore")
        return
    staged = scratch / "catalog.sqlite"
    sqlite_copy(source, staged)
    with closing(sqlite3.connect(staged)) as copy:
        copy.execute("UPDATE ducklake_metadata SET value = ? WHERE key = 'data_path'", [data_path])
        copy.commit()
    target = _catalog_sqlite(settings)
    private_dir(target.parent)
    sqlite_replace(staged, target, source)
