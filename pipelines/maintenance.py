"""Lake maintenance as a job: compaction (ioc_app.lake.maintenance.compact) and orphaned files.

Run by the scheduler every `lake.maintenance_hours`, after the sources that were due, on the
scheduler's own connection and never during a batch; `ioc maintenance` runs it once. Each
run logs one line on logger "ioc.scheduler" and leaves a row in `source_run` under the
name "lake:maintenance" (no configured source can have it), which is how a restarted
scheduler knows when the last one ran.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.errors import IocError
from ioc_app.lake.maintenance import MaintenanceReport, OrphanReport, compact, delete_orphaned_files

log = logging.getLogger("ioc.scheduler")

SOURCE = "lake:maintenance"
OK, ERROR = "ok", "error"
# A file younger than this may belong to a batch still being written by another process.
ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class MaintenanceRun:
    started_at: datetime
    finished_at: datetime
    status: str  # OK | ERROR
    message: str  # the error; "" when it worked
    compaction: MaintenanceReport | None
    orphans: OrphanReport | None
    seconds: float


def log_line(run: MaintenanceRun) -> str:
    parts = [f"source={SOURCE} status={run.status}"]
    if run.compaction is not None:
        c = run.compaction
        parts.append(f"data_files={c.data_files_before}->{c.data_files_after} "
                     f"snapshots_expired={c.snapshots_expired} files_deleted={c.files_deleted}")
    if run.orphans is not None:
        parts.append(f"orphans_deleted={len(run.orphans.deleted)}")
        if run.orphans.foreign:
            parts.append(f"foreign_files_left={len(run.orphans.foreign)}")
    parts.append(f"seconds={run.seconds:.2f}")
    parts.append(f"error={json.dumps(run.message, ensure_ascii=False) if run.status == ERROR else '-'}")
    return " ".join(parts)


def last_run(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the last successful maintenance finished (naive ICT), None if it never ran."""
    row = con.execute("SELECT max(finished_at) FROM lake.main.source_run WHERE source = ? AND status = ?",
                      [SOURCE, OK]).fetchone()
    return None if row is None else row[0]


def run_maintenance(settings: Settings, con: duckdb.DuckDBPyConnection) -> MaintenanceRun:
    """Compact the lake and delete orphaned files now; log the outcome and record it in source_run.

    A failure is returned (status error, one-line message), never raised: what was already
    committed (each DuckLake maintenance step commits on its own) stays valid."""
    started, began = now_ict().replace(microsecond=0), time.monotonic()
    compaction = orphans = None
    status, message = OK, ""
    try:
        compaction = compact(con)
        orphans = delete_orphaned_files(con, settings.lake.data_path, ORPHAN_GRACE)
    except duckdb.Error as exc:
        status, message = ERROR, f"the lake refused the maintenance ({str(exc).strip().splitlines()[0]})"
    except OSError as exc:
        status, message = ERROR, f"cannot delete an orphaned file: {exc}"
    except Exception as exc:  # a maintenance bug must not stop the scheduler's sources
        log.exception("lake maintenance failed unexpectedly")
        status, message = ERROR, f"{type(exc).__name__}: {exc}"
    run = MaintenanceRun(started, now_ict().replace(microsecond=0), status, message, compaction, orphans,
                         time.monotonic() - began)
    log.log(logging.INFO if status == OK else logging.WARNING, log_line(run))
    if orphans is not None and orphans.foreign:
        log.warning("lake data path %s holds %d files DuckLake did not write (left alone), e.g. %s",
                    settings.lake.data_path, len(orphans.foreign), orphans.foreign[0])
    deleted = compaction.files_deleted if compaction else 0
    try:
        con.execute("INSERT INTO lake.main.source_run VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [SOURCE, run.started_at, run.finished_at, status, message,
                     deleted + (len(orphans.deleted) if orphans else 0), 0])
    except duckdb.Error as exc:
        log.warning("%s: run not recorded in source_run (%s)", SOURCE, str(exc).strip().splitlines()[0])
    return run


class MaintenanceSchedule:
    """When the scheduler runs maintenance next; `clock` is the scheduler's monotonic seconds.

    The first run is due `maintenance_hours` after the last recorded one (at once when there
    is none), so restarting the scheduler neither repeats nor postpones it. A failed run is
    retried after 30 s, doubling up to 15 minutes."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock
        self.interval = settings.lake.maintenance_hours * 3600
        self.due: float | None = None  # unknown until the lake has been asked
        self.failures = 0
        self.last: MaintenanceRun | None = None

    def seconds_to_due(self) -> float:
        return 0.0 if self.due is None else max(0.0, self.due - self.clock())

    def run_if_due(self, connection: Callable[[], duckdb.DuckDBPyConnection]) -> MaintenanceRun | None:
        """Run maintenance when it is due; `connection` gives the scheduler's lake connection.

        Returns the run, or None when it is not due. When the lake cannot even be asked when
        maintenance last ran, that failure is returned as an error run and retried with backoff."""
        try:
            if self.due is None:
                previous = last_run(connection())
                wait = 0.0 if previous is None else (previous + timedelta(seconds=self.interval)
                                                     - now_ict()).total_seconds()
                self.due = self.clock() + max(0.0, wait)
            if self.clock() < self.due:
                return None
            run = run_maintenance(self.settings, connection())
        except (IocError, duckdb.Error) as exc:
            now = now_ict().replace(microsecond=0)
            run = MaintenanceRun(now, now, ERROR, f"the lake cannot be used ({str(exc).strip().splitlines()[0]})",
                                 None, None, 0.0)
            log.warning(log_line(run))
        self._reschedule(run)
        return run

    def _reschedule(self, run: MaintenanceRun) -> None:
        from pipelines.scheduler import backoff_seconds

        if run.status == OK:
            self.failures = 0
            delay = self.interval
        else:
            self.failures += 1
            delay = backoff_seconds(self.failures, self.interval)
        self.due = self.clock() + delay
        self.last = run


def maintain_once(settings: Settings) -> MaintenanceRun:
    """`ioc maintenance`: one run on an own lake connection."""
    from ioc_app.lake import connect, ensure_schema

    with connect(settings) as con:
        ensure_schema(con)
        return run_maintenance(settings, con)

