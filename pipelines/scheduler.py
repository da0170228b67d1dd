"""`ioc scheduler`: run every configured source on its interval, in one process, over one lake connection.

- A source runs every `interval_minutes`. A failing run is retried after an exponential
  backoff (30 s, 60 s, 120 s, ...), never later than its normal interval and never later
  than 15 minutes: a failure is usually transient (lake busy, endpoint down) and a daily
  source should not wait a day to retry. A failing source never holds up the others.
- Each run logs one line on logger "ioc.scheduler" (source, kind, status, files, read,
  loaded, quarantined, seconds, error) and leaves one row in lake table `source_run`;
  the batches it loaded are in `ingest_batch` under the source's name.
- SIGTERM / SIGINT stop it between two batches (a batch is one transaction, so even a
  harder stop loses nothing); a second signal acts as usual.
- Backups (ioc_app/backup/job.py) run between two batches at the slots of `backup:` in config.yaml.
- One scheduler per installation: a second one refuses to start (two would ingest the same
  inbox file at once). The lock is per data folder, and cluster-wide when the operational DB
  is PostgreSQL (pipelines/scheduler_lock.py); a scheduler that loses that lock stops.
"""
from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime

import duckdb

from ioc_app.backup.job import BackupJob
from ioc_app.clock import now_ict
from ioc_app.config import Settings, SourceSettings
from ioc_app.errors import IocError, StoreError
from ioc_app.lake import connect, ensure_schema
from pipelines.batch import BatchReport
from pipelines.inbox import REJECTED, process_inbox
from pipelines.maintenance import MaintenanceSchedule
from pipelines.scheduler_lock import only_scheduler

log = logging.getLogger("ioc.scheduler")

BASE_BACKOFF_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 15 * 60.0
OK, ERROR = "ok", "error"


@dataclass(frozen=True)
class SourceRun:
    """The outcome of one run of one source (what `source_run` keeps, plus the row counts)."""

    source: str
    kind: str
    started_at: datetime
    finished_at: datetime
    status: str  # OK | ERROR
    message: str  # the error, or the files rejected; "" when there is nothing to say
    files: int  # inbox files handled, or batches pulled
    read: int
    loaded: int
    quarantined: int
    seconds: float


@dataclass(frozen=True)
class Summary:
    runs: tuple[SourceRun, ...]

    @property
    def failed(self) -> tuple[SourceRun, ...]:
        return tuple(run for run in self.runs if run.status == ERROR)


def backoff_seconds(failures: int, interval_seconds: float) -> float:
    """Delay before retrying a source that failed `failures` times in a row (>= 1)."""
    return min(BASE_BACKOFF_SECONDS * 2 ** (failures - 1), interval_seconds, MAX_BACKOFF_SECONDS)


def log_line(run: SourceRun) -> str:
    error = json.dumps(run.message, ensure_ascii=False) if run.status == ERROR else "-"
    return (f"source={run.source} kind={run.kind} status={run.status} files={run.files} read={run.read} "
            f"loaded={run.loaded} quarantined={run.quarantined} seconds={run.seconds:.2f} error={error}")


def _pull(settings: Settings, source: SourceSettings, con: duckdb.DuckDBPyConnection) -> BatchReport:
    """One batch from the source's HTTP endpoint (modules imported only by the sources that use them)."""
    if source.writeback:
        from pipelines.pulls.approved import pull

        return pull(settings, source.name, con=con)
    if source.open311 is not None:
        from pipelines.pulls.open311 import pull

        return pull(settings, source.open311, source.name, con=con)
    from pipelines.pulls.sensorthings import pull

    return pull(settings, source.sensorthings, source.name, con=con)


class Scheduler:
    """Which source is due, running it, its backoff and its record; `clock` is monotonic seconds."""

    def __init__(self, settings: Settings, stop: threading.Event,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.stop = stop
        self.clock = clock
        self.due = {source.name: clock() for source in settings.sources}
        self.failures = {source.name: 0 for source in settings.sources}
        self.last: dict[str, SourceRun] = {}
        self.maintenance = MaintenanceSchedule(settings, clock)
        self.backups = BackupJob(settings)
        self._con: duckdb.DuckDBPyConnection | None = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The lake connection shared by every run; opened again after a store error."""
        if self._con is None:
            con = connect(self.settings)
            try:
                ensure_schema(con)
            except BaseException:
                con.close()
                raise
            self._con = con
        return self._con

    def _drop_connection(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def close(self) -> None:
        self._drop_connection()

    def run_source(self, source: SourceSettings) -> SourceRun:
        """Run one source now, log it, record it in source_run, and schedule its next run."""
        started, began = now_ict().replace(microsecond=0), time.monotonic()
        files = read = loaded = quarantined = 0
        status, message = OK, ""
        try:
            con = self.connection()
            if source.inbox is not None:
                inbox = process_inbox(self.settings, source, con, self.stop)
                files = len(inbox.files)
                read, loaded, quarantined = (inbox.total(name) for name in ("read", "loaded", "quarantined"))
                rejected = [outcome.path.name for outcome in inbox.files if outcome.status == REJECTED]
                if inbox.error is not None:
                    status, message = ERROR, inbox.error
                elif rejected:
                    message = f"rejected: {', '.join(rejected)}"
            else:
                report = _pull(self.settings, source, con)
                files, read, loaded, quarantined = 1, report.read, report.loaded, report.quarantined
        except IocError as exc:
            status, message = ERROR, str(exc)
            if isinstance(exc, StoreError):
                self._drop_connection()
        except duckdb.Error as exc:
            status, message = ERROR, f"the lake refused the run ({str(exc).strip().splitlines()[0]})"
            self._drop_connection()
        except Exception as exc:  # a failing source must never stop the others
            log.exception("source %s failed unexpectedly", source.name)
            status, message = ERROR, f"{type(exc).__name__}: {exc}"
        run = SourceRun(source.name, source.kind, started, now_ict().replace(microsecond=0), status, message,
                        files, read, loaded, quarantined, time.monotonic() - began)
        previous = self.last.get(source.name)
        self._reschedule(source, run)
        log.log(logging.INFO if status == OK else logging.WARNING, log_line(run), extra={"source_run": asdict(run)})
        if run.status != OK or run.loaded or run.quarantined or run.message or previous is None or previous.status != OK:
            self._record(run)
        return run

    def _reschedule(self, source: SourceSettings, run: SourceRun) -> None:
        interval = source.interval_minutes * 60
        if run.status == OK:
            self.failures[source.name] = 0
            delay = interval
        else:
            self.failures[source.name] += 1
            delay = backoff_seconds(self.failures[source.name], interval)
        self.due[source.name] = self.clock() + delay
        self.last[source.name] = run

    def _record(self, run: SourceRun) -> None:
        """One source_run row. run_source records a run that changed something, failed, or is the
        source's first since start or since a failure; other idle runs are only logged, so a quiet
        scheduler makes no lake snapshot and the dashboards' caches stay valid.
        When the lake refuses the row (the usual cause of the failure) only the log keeps it."""
        try:
            self.connection().execute(
                "INSERT INTO lake.main.source_run VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run.source, run.started_at, run.finished_at, run.status, run.message, run.files, run.loaded])
        except (IocError, duckdb.Error) as exc:
            log.warning("source %s: run not recorded in source_run (%s)", run.source,
                        str(exc).strip().splitlines()[0])
            self._drop_connection()

    def run_due(self) -> list[SourceRun]:
        """Run every source that is due, earliest first, until `stop` is set."""
        now = self.clock()
        due = sorted((when, source.name, source) for source in self.settings.sources
                     if (when := self.due[source.name]) <= now)
        runs = []
        for _, _, source in due:
            if self.stop.is_set():
                break
            runs.append(self.run_source(source))
        if not self.stop.is_set():
            self.run_maintenance_if_due()
        if not self.stop.is_set():
            self.backups.run_if_due()
        return runs

    def run_maintenance_if_due(self) -> None:
        """Lake maintenance (pipelines/maintenance.py) when due: after the sources, between runs, on the
        shared connection, so it never competes with a batch."""
        run = self.maintenance.run_if_due(self.connection)
        if run is not None and run.status != OK:
            self._drop_connection()

    def seconds_to_next(self) -> float:
        return min(max(0.0, min(self.due.values(), default=60.0) - self.clock()), self.maintenance.seconds_to_due(),
                   self.backups.seconds_to_due())


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` (main thread only); the first one restores the usual handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def handle(signum: int, _frame) -> None:
        log.info("%s received: stopping after the current batch", signal.Signals(signum).name)
        stop.set()
        restore()

    for sig in previous:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        restore()


def run_scheduler(settings: Settings, once: bool = False, stop: threading.Event | None = None) -> Summary:
    """Run the configured sources until `stop` is set or a signal arrives; with `once`, each source once.

    Returns the last run of every source that ran."""
    stop = stop if stop is not None else threading.Event()
    with only_scheduler(settings) as held, _stop_on_signals(stop):
        scheduler = Scheduler(settings, stop)
        log.info("scheduler started: %s", ", ".join(
            f"{s.name} every {s.interval_minutes:g} min" for s in settings.sources) or "no sources configured")

        def still_locked() -> None:
            if not held():
                raise IocError("lost the scheduler lock (the connection to the operational DB was cut): "
                               "stopping, so that no other scheduler runs beside this one")

        try:
            if once:
                for source in settings.sources:
                    if stop.is_set():
                        break
                    still_locked()
                    scheduler.run_source(source)
            else:
                while not stop.is_set():
                    still_locked()
                    scheduler.run_due()
                    stop.wait(scheduler.seconds_to_next())
        finally:
            scheduler.close()
        log.info("scheduler stopped")
        return Summary(tuple(scheduler.last.values()))
