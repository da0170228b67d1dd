"""`ioc backup --verify`: the restore drill (R-28, R-35).

A backup (made now, or given) is checked, restored into scratch stores (a folder under the
data dir; on PostgreSQL, scratch databases on the same server), and the same questions are
asked of the restored stores, of the backup's own record and of the live stores at the
backup's point: per-table row counts and checksums of both stores, a few dashboard queries
at the backup's lake snapshot, and whether the live audit log still holds the chain head the
backup recorded (deleted newest entries show only against such an outside copy).
"""
from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import psycopg
from psycopg import sql

from ioc_app.backup import lake_store, manifest, opdb_store, pgtools
from ioc_app.backup.files import BackupError
from ioc_app.backup.make import make_backup, restore_checked
from ioc_app.config import Settings
from ioc_app.errors import StoreError
from ioc_app.lake import connect
from ioc_app.opdb.session import parse_url
from ioc_app.queries import overview, pipeline_status
from ioc_app.queries.newest import newest_heartbeat
from ioc_app.queries.scope import Scope
from ioc_app.writeback.signing import Signer

# Dashboard questions asked of the live lake at the backup's snapshot and of the restored one.
QUERIES: dict[str, Callable[[duckdb.DuckDBPyConnection, Scope], pd.DataFrame]] = {
    "overview figures": overview.figures_summary,
    "overview tickets": overview.tickets_summary,
    "overview cameras": lambda con, scope: overview.cameras_summary(con, scope, newest_heartbeat(con)),
    "overview sensors": overview.sensors_summary,
    "tickets per commune": lambda con, scope: overview.commune_tickets(con, scope, None),
    "tickets per month": lambda con, scope: overview.monthly_tickets(con, scope, 12),
    "data freshness": lambda con, scope: pipeline_status.data_freshness(con),
    "recent batches": lambda con, scope: pipeline_status.recent_batches(con, 25),
}


class DrillFailed(BackupError):
    """The restored stores do not answer like the backup or the live stores did."""


@dataclass
class DrillReport:
    lines: list[str]

    def say(self, line: str) -> None:
        self.lines.append(line)


def _compare_tables(store: str, got: dict[str, dict], expected: dict[str, dict], against: str) -> int:
    """Total rows; DrillFailed naming the first table that differs."""
    for name in sorted(expected.keys() | got.keys()):
        if name not in got:
            raise DrillFailed(f"{store} table {name}: missing after the restore ({against} has it)")
        if name not in expected:
            raise DrillFailed(f"{store} table {name}: restored but not in {against}")
        if got[name]["rows"] != expected[name]["rows"]:
            raise DrillFailed(f"{store} table {name}: {got[name]['rows']} rows restored, "
                              f"{expected[name]['rows']} in {against}")
        if got[name] != expected[name]:
            raise DrillFailed(f"{store} table {name}: same {got[name]['rows']} rows but other content than "
                              f"{against} (checksum differs)")
    return sum(table["rows"] for table in got.values())


@contextmanager
def _scratch_database(conninfo: str, purpose: str) -> Iterator[str]:
    """An empty database beside the one of `conninfo` (same server and account), dropped afterwards."""
    name = f"{pgtools.database_of(conninfo)[:30]}_drill_{purpose}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as con:
            con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise BackupError(f"restore drill: cannot create the scratch database {name} "
                          f"({str(exc).strip().splitlines()[0]}; the account needs CREATEDB)") from None
    try:
        yield pgtools.with_database(conninfo, name)
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def _scratch_stores(settings: Settings, checked: manifest.CheckedBackup, root: Path) -> Iterator[Settings]:
    """Settings of empty stores of the backup's kinds, on the configured PostgreSQL server when needed."""
    url = parse_url(settings.database_url)
    wants = {"operational DB": (checked.opdb["backend"], url.get_backend_name()),
             "lake catalog": (checked.lake["catalog_backend"],
                              "sqlite" if settings.lake.catalog.startswith("sqlite:") else "postgresql")}
    for store, (backup_kind, live_kind) in wants.items():
        if backup_kind == "postgresql" and live_kind != "postgresql":
            raise BackupError(f"restore drill: the backup's {store} is PostgreSQL, the configured one is not: "
                              "the drill restores onto the configured server")
    lake_files = root / "lake" / "files"
    opdb_conninfo = pgtools.from_url(url) if url.get_backend_name() == "postgresql" else ""
    with _maybe_database(checked.opdb["backend"], opdb_conninfo, "opdb") as opdb_dsn, \
            _maybe_database(checked.lake["catalog_backend"], settings.lake.catalog.removeprefix("postgres:"),
                            "lake") as lake_dsn:
        database_url = (url.set(database=pgtools.database_of(opdb_dsn)).render_as_string(hide_password=False)
                        if opdb_dsn else f"sqlite:///{root / 'ioc.db'}")
        catalog = f"postgres:{lake_dsn}" if lake_dsn else f"sqlite:{root / 'lake' / 'catalog.sqlite'}"
        yield settings.model_copy(update={
            "data_dir": root, "database_url": database_url,
            "lake": settings.lake.model_copy(update={"catalog": catalog, "data_path": lake_files})})


@contextmanager
def _maybe_database(kind: str, conninfo: str, purpose: str) -> Iterator[str]:
    if kind != "postgresql":
        yield ""
        return
    with _scratch_database(conninfo, purpose) as dsn:
        yield dsn


def _query_answers(settings: Settings, snapshot: int | None) -> dict[str, pd.DataFrame]:
    scope = Scope(settings.province_code)
    with closing(connect(settings, read_only=True, snapshot=snapshot)) as con:
        return {name: query(con, scope) for name, query in QUERIES.items()}


def _compare_queries(restored: dict[str, pd.DataFrame], live: dict[str, pd.DataFrame], snapshot: int) -> None:
    for name, frame in restored.items():
        try:
            pd.testing.assert_frame_equal(frame, live[name], check_exact=True)
        except AssertionError as exc:
            detail = " ".join(str(exc).split())[:200]
            raise DrillFailed(f"dashboard query '{name}': the restored lake answers otherwise than the live lake "
                              f"at snapshot {snapshot} ({detail})") from None


def _check_audit_head(settings: Settings, head: dict | None, report: DrillReport) -> None:
    if head is None:
        report.say("audit log: empty at the backup")
        return
    live = opdb_store.audit_entry_hash(settings.database_url, head["id"])
    if live is None:
        raise DrillFailed(f"audit log: entry #{head['id']}, the chain's head at the backup, is missing from the live "
                          "operational DB (entries deleted since the backup)")
    if live != head["hash"]:
        raise DrillFailed(f"audit log: entry #{head['id']} has hash {live[:12]} in the live operational DB, "
                          f"{head['hash'][:12]} at the backup (the log was rewritten)")
    report.say(f"audit log: the live log still holds the backup's chain head #{head['id']} {head['hash'][:16]}")


def _live_lake_at(settings: Settings, snapshot: int) -> dict | None:
    """The live lake's answers at the backup's snapshot; None when it is no longer there (expired)."""
    try:
        return lake_store.table_answers(settings, snapshot)
    except (StoreError, duckdb.Error):
        return None


def restore_drill(settings: Settings, given: Path | None = None) -> DrillReport:
    """Run the drill; DrillFailed (naming the first difference) or BackupError when it fails."""
    began = time.monotonic()
    report = DrillReport([])
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".drill-", dir=settings.data_dir) as work:
        root = Path(work)
        folder = given or make_backup(settings, root / "backup").folder
        checked = manifest.check(folder, Signer.for_settings(settings))
        snapshot = checked.lake["snapshot_id"]
        key = "this installation's key" if checked.own_key else "ANOTHER installation's key"
        report.say(f"backup {folder}{'' if given else ' (made for the drill)'}: made {checked.manifest['created_at']}, "
                   f"{len(checked.manifest['files'])} files intact, manifest signed with {key}")
        with _scratch_stores(settings, checked, root / "restored") as scratch:
            restore_checked(scratch, checked)
            state = opdb_store.state_of(scratch.database_url)
            if state["alembic_revision"] != checked.opdb["alembic_revision"]:
                raise DrillFailed(f"operational DB: schema {state['alembic_revision']} restored, "
                                  f"{checked.opdb['alembic_revision']} in the backup")
            rows = _compare_tables("operational DB", state["tables"], checked.opdb["tables"], "the backup")
            report.say(f"operational DB: {len(state['tables'])} tables, {rows} rows restored as backed up "
                       f"(schema {state['alembic_revision']})")
            restored_lake = lake_store.table_answers(scratch)
            rows = _compare_tables("lake", restored_lake, checked.lake["tables"], "the backup")
            live = _live_lake_at(settings, snapshot)
            if live is None:
                report.say(f"lake: {len(restored_lake)} tables, {rows} rows restored as backed up; the live lake no "
                           f"longer holds snapshot {snapshot} (expired), so only the backup's record was compared")
            else:
                _compare_tables("lake", restored_lake, live, f"the live lake at snapshot {snapshot}")
                _compare_queries(_query_answers(scratch, None), _query_answers(settings, snapshot), snapshot)
                report.say(f"lake: {len(restored_lake)} tables, {rows} rows restored, the same as the backup and as "
                           f"the live lake at snapshot {snapshot}; {len(QUERIES)} dashboard queries answer alike")
            _check_audit_head(settings, checked.opdb["audit_head"], report)
        if given is None:
            shutil.rmtree(folder, ignore_errors=True)
    report.say(f"restore drill passed in {time.monotonic() - began:.1f} s")
    return report
