"""The operational DB in a backup: SQLite through its online backup API, PostgreSQL through
pg_dump at an exported snapshot; with the schema revision, the audit chain's head and a row
count and checksum per table, all read at the backup's point in time."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, MetaData, create_engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from ioc_app.backup import pgtools
from ioc_app.backup.files import BackupError, private_dir, sqlite_copy, sqlite_replace
from ioc_app.opdb.models import AuditEntry
from ioc_app.opdb.session import parse_url, shown, sqlite_path

SQLITE_FILE, PG_FILE = "opdb/ioc.sqlite", "opdb/ioc.sql"


def table_answers(connection: Connection) -> dict[str, dict]:
    """Per table: its row count and the sha256 of its rows in key order (what a restore must reproduce)."""
    meta = MetaData()
    meta.reflect(connection)
    answers = {}
    for name in sorted(meta.tables):
        table = meta.tables[name]
        order = list(table.primary_key.columns) or list(table.columns)
        digest, rows = hashlib.sha256(), 0
        for row in connection.execute(select(table).order_by(*order)):
            digest.update(json.dumps(list(row), ensure_ascii=False, default=str).encode("utf-8") + b"\n")
            rows += 1
        answers[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return answers


def _state(connection: Connection) -> dict:
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = connection.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return {"alembic_revision": revision, "audit_head": {"id": head.id, "hash": head.hash} if head else None,
            "tables": table_answers(connection)}


def audit_entry_hash(url: str, entry_id: int) -> str | None:
    """The hash the live audit log holds for entry `entry_id` (None when the entry is gone)."""
    with _connection(parse_url(url)) as connection:
        return connection.execute(select(AuditEntry.hash).where(AuditEntry.id == entry_id)).scalar()


@contextmanager
def _connection(url: URL, isolation: str | None = None) -> Iterator[Connection]:
    engine = create_engine(url)
    try:
        connection = engine.connect()
        if isolation:
            connection = connection.execution_options(isolation_level=isolation)
        with connection:
            yield connection
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise BackupError(f"operational DB {shown(url)}: {reason}") from None
    finally:
        engine.dispose()


def state_of(url: str) -> dict:
    """Revision, audit head and table answers of the database as it is now."""
    with _connection(parse_url(url)) as connection:
        return _state(connection)


def backup(url: str, folder: Path) -> dict:
    """Copy the operational DB into `folder`; the manifest's `opdb` part."""
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if parsed.get_backend_name() == "sqlite":
        if path is None or not path.is_file():
            raise BackupError(f"operational DB {shown(parsed)}: no database file to back up (run `ioc init`)")
        target = private_dir(folder / "opdb") / Path(SQLITE_FILE).name
        sqlite_copy(path, target)
        with _connection(parse_url(f"sqlite:///{target}")) as connection:
            return {"backend": "sqlite", "file": SQLITE_FILE, **_state(connection)}
    target = private_dir(folder / "opdb") / Path(PG_FILE).name
    with _connection(parsed, "REPEATABLE READ") as connection:
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
        state = _state(connection)
        pgtools.dump(pgtools.from_url(parsed), target, snapshot, "operational DB backup")
    return {"backend": "postgresql", "file": PG_FILE, **state}


def is_empty(url: str) -> bool:
    """No table but alembic_version holds a row (a database made by `ioc init` counts as empty)."""
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if parsed.get_backend_name() == "sqlite" and (path is None or not path.is_file()):
        return True
    with _connection(parsed) as connection:
        meta = MetaData()
        meta.reflect(connection)
        return all(connection.execute(select(func.count()).select_from(table)).scalar() == 0
                   for name, table in meta.tables.items() if name != "alembic_version")


def restore(url: str, folder: Path, part: dict, scratch: Path) -> None:
    """Replace the operational DB by the backup's copy, all at once."""
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    if backend != part["backend"]:
        raise BackupError(f"the backup holds a {part['backend']} operational DB, the configured one "
                          f"({shown(parsed)}) is {backend}: restore onto the same kind of database")
    source = folder / part["file"]
    if backend == "postgresql":
        wipe = scratch / "opdb-wipe.sql"
        wipe.write_text(pgtools.WIPE, encoding="utf-8")
        pgtools.load(pgtools.from_url(parsed), [wipe, source], "operational DB restore")
        return
    target = sqlite_path(parsed)
    private_dir(target.parent)
    staged = scratch / "opdb.sqlite"
    sqlite_copy(source, staged)
    sqlite_replace(staged, target, source)
