"""Backups made by hand or by the scheduler, recorded in the operational DB (`backup_runs`),
logged (logger `ioc.backup`, field `backup`), and pruned to the newest `backup.keep`."""
from __future__ import annotations

import logging
import re
import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ioc_app.backup.make import BackupResult, make_backup
from ioc_app.backup.manifest import MANIFEST
from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.errors import IocError
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import BackupRun
from ioc_app.opdb.session import engine_for, session_scope

log = logging.getLogger("ioc.backup")
SCHEDULED_NAME = re.compile(r"^ioc-backup-\d{8}-\d{6}$")


def scheduled_folder(settings: Settings, now: datetime) -> Path:
    return settings.backup.out_dir / f"ioc-backup-{now:%Y%m%d-%H%M%S}"


def _store(settings: Settings, run: BackupRun) -> None:
    """Keep the run and audit it; when the operational DB refuses (often the failure's cause) only the log keeps it."""
    try:
        engine = engine_for(settings.database_url)
        try:
            with session_scope(engine) as session:
                session.add(run)
                session.flush()
                record(session, run.trigger, "backup", "backup", run.id, None,
                       {"status": run.status, "location": run.location, "lake_snapshot": run.lake_snapshot,
                        "message": run.message})
        finally:
            engine.dispose()
    except (IocError, SQLAlchemyError) as exc:
        log.warning("backup run not recorded in the operational DB (%s)", str(exc).splitlines()[0])


def run_backup(settings: Settings, out: Path, trigger: str) -> BackupResult:
    """make_backup, recorded and logged whatever its outcome; raises its error after recording it."""
    started = now_ict().replace(microsecond=0)
    try:
        result = make_backup(settings, out)
    except IocError as exc:
        run = BackupRun(started_at=started, finished_at=now_ict().replace(microsecond=0), status="error",
                        trigger=trigger, location=str(out), message=str(exc))
        log.error("backup failed: %s", exc, extra={"backup": {"location": str(out), "trigger": trigger}})
        _store(settings, run)
        raise
    run = BackupRun(started_at=started, finished_at=now_ict().replace(microsecond=0), status="ok", trigger=trigger,
                    location=str(result.folder), lake_snapshot=result.manifest["lake"]["snapshot_id"],
                    size_bytes=result.size_bytes, message="")
    log.info(result.line(), extra={"backup": {"location": str(result.folder), "trigger": trigger,
                                              "lake_snapshot": run.lake_snapshot, "bytes": result.size_bytes,
                                              "seconds": round(result.seconds, 2)}})
    _store(settings, run)
    return result


def prune(settings: Settings) -> list[Path]:
    """Delete the complete `ioc-backup-*` folders of out_dir beyond the newest `keep`; the deleted folders."""
    folder = settings.backup.out_dir
    if not folder.is_dir():
        return []
    complete = sorted(path for path in folder.iterdir()
                      if SCHEDULED_NAME.match(path.name) and (path / MANIFEST).is_file())
    removed = complete[:-settings.backup.keep]
    for path in removed:
        shutil.rmtree(path)
        log.info("old backup %s deleted (backup.keep = %d)", path, settings.backup.keep)
    return removed


def last_success(settings: Settings) -> datetime | None:
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as session:
            return session.scalars(select(BackupRun.started_at).where(BackupRun.status == "ok")
                                   .order_by(BackupRun.started_at.desc()).limit(1)).first()
    finally:
        engine.dispose()


def recent_runs(session, limit: int) -> list[BackupRun]:
    return list(session.scalars(select(BackupRun).order_by(BackupRun.started_at.desc(), BackupRun.id.desc())
                                .limit(limit)))
