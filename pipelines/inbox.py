"""Inbox folders: other systems drop files of one kind; each file is ingested, then filed away.

A file that loads (or whose content was loaded before) moves to <inbox>/done/<YYYY-MM-DD>/;
a file refused as a whole (SourceError: wrong columns, unreadable, unsupported type) moves
to <inbox>/rejected/<YYYY-MM-DD>/ beside <name>.reason.txt holding the one-line reason.
Any other failure (lake busy or unreachable, an unexpected error) leaves the file where it
is, so the next run offers it again.

Crash safety: a file is moved only after run_ingest has committed its batch. A crash
between the commit and the move leaves the file in the inbox; the next run offers it
again, run_ingest finds its content hash in ingest_batch and loads nothing
(BatchReport.unchanged), and the file is moved to done/ then. A crash before the commit
leaves neither rows nor the move: the file is simply loaded by the next run.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ioc_app.clock import today_ict
from ioc_app.config import Settings, SourceSettings
from ioc_app.errors import SourceError, StoreError
from pipelines.batch import BatchReport
from pipelines.ingest import run_ingest

log = logging.getLogger("ioc.inbox")

SUPPORTED = (".csv", ".jsonl", ".json", ".parquet", ".xlsx")
# Names that uploaders and editors give a file while they write it.
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".filepart", ".crdownload", ".download", ".swp", "~")
DONE, REJECTED, FAILED = "done", "rejected", "failed"
# A file modified more recently than this may still be being written: it waits for the next run.
SETTLE_SECONDS = 5.0


@dataclass(frozen=True)
class FileOutcome:
    path: Path  # where the file is now (done/, rejected/, or still in the inbox)
    status: str  # DONE | REJECTED | FAILED (left in the inbox)
    report: BatchReport | None = None
    reason: str = ""  # why it was rejected or left


@dataclass
class InboxRun:
    """What one pass over an inbox did; `error` is set when a file was left for the next run."""

    files: list[FileOutcome] = field(default_factory=list)
    error: str | None = None

    def total(self, attribute: str) -> int:
        return sum(getattr(f.report, attribute) for f in self.files if f.report is not None)


def _is_candidate(path: Path) -> bool:
    name = path.name
    return not (name.startswith((".", "~$")) or name.lower().endswith(PARTIAL_SUFFIXES))


def pending_files(folder: Path, settle_seconds: float = SETTLE_SECONDS) -> list[Path]:
    """Files waiting in `folder` (not its subfolders), oldest first; hidden, partial and fresh files skipped.

    Raises OSError when the folder cannot be listed."""
    newest = time.time() - settle_seconds
    waiting: list[tuple[float, str, Path]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            path = Path(entry.path)
            if not entry.is_file(follow_symlinks=False) or not _is_candidate(path):
                continue
            modified = entry.stat(follow_symlinks=False).st_mtime
            if modified <= newest:
                waiting.append((modified, entry.name, path))
    return [path for _, _, path in sorted(waiting)]


def _free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/<stem>-N<suffix>` when a file of that name was filed the same day."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 1
    while target.exists():
        target = folder / f"{stem}-{number}{suffix}"
        number += 1
    return target


def file_away(path: Path, inbox: Path, status: str, reason: str = "") -> Path:
    """Move `path` to <inbox>/<status>/<today>/ (with <name>.reason.txt when a reason is given)."""
    folder = inbox / status / today_ict().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    if reason:  # first, so that a rejected file is never without its reason
        (folder / f"{target.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
    os.replace(path, target)
    return target


def _file(path: Path, inbox: Path, status: str, report: BatchReport | None = None, reason: str = "") -> FileOutcome:
    """File the handled file away; when that fails it stays (FAILED), with the report of what was loaded."""
    try:
        return FileOutcome(file_away(path, inbox, status, reason), status, report, reason)
    except OSError as exc:
        why = "removed from the inbox meanwhile" if isinstance(exc, FileNotFoundError) else exc.strerror or str(exc)
        return FileOutcome(path, FAILED, report, f"{path}: cannot file it away to {status}/ ({why})")


def _ingest_one(settings: Settings, source: SourceSettings, path: Path,
                con: duckdb.DuckDBPyConnection) -> FileOutcome:
    if path.suffix.lower() not in SUPPORTED:
        reason = f"{path}: unsupported file type {path.suffix!r} (use {', '.join(SUPPORTED)})"
        return _file(path, source.inbox, REJECTED, reason=reason)
    try:
        report = run_ingest(settings, source.kind, path, source=source.name, con=con)
    except SourceError as exc:
        return _file(path, source.inbox, REJECTED, reason=str(exc).replace("\n", " "))
    return _file(path, source.inbox, DONE, report)


def _log(source: SourceSettings, name: str, outcome: FileOutcome) -> None:
    if outcome.report is not None and outcome.report.unchanged:
        log.info("%s: %s loaded before, filed to %s", source.name, name, outcome.path.parent)
    elif outcome.report is not None:
        r = outcome.report
        log.info("%s: %s read %d loaded %d quarantined %d, filed to %s", source.name, name, r.read, r.loaded,
                 r.quarantined, outcome.path.parent)
    else:
        log.warning("%s: %s rejected: %s", source.name, name, outcome.reason)


def _attempt(settings: Settings, source: SourceSettings, path: Path,
             con: duckdb.DuckDBPyConnection) -> tuple[FileOutcome, bool]:
    """Ingest and file one file: (outcome, whether the lake failed and the run should stop)."""
    try:
        return _ingest_one(settings, source, path, con), False
    except (StoreError, duckdb.Error) as exc:
        return FileOutcome(path, FAILED, reason=_one_line(exc)), True
    except Exception as exc:  # a bug or an unforeseen input must not block the files after it
        log.exception("%s: unexpected error on %s", source.name, path)
        return FileOutcome(path, FAILED, reason=f"{path}: {type(exc).__name__}: {_one_line(exc)}"), False


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def process_inbox(settings: Settings, source: SourceSettings, con: duckdb.DuckDBPyConnection,
                  stop: threading.Event | None = None, settle_seconds: float = SETTLE_SECONDS) -> InboxRun:
    """Ingest every waiting file of `source.inbox`, oldest first, one batch each; see the module docstring.

    Stops before the next file when `stop` is set, and at the first store error (the lake
    would refuse the following files as well). Raises SourceError when the folder is unusable."""
    inbox = source.inbox
    try:
        inbox.mkdir(parents=True, exist_ok=True)
        waiting = pending_files(inbox, settle_seconds)
    except OSError as exc:
        raise SourceError(f"inbox {inbox}: cannot read the folder ({exc.strerror or exc})") from None
    run = InboxRun()
    for path in waiting:
        if stop is not None and stop.is_set():
            break
        outcome, store_failed = _attempt(settings, source, path, con)
        run.files.append(outcome)
        if outcome.status != FAILED:
            _log(source, path.name, outcome)
            continue
        run.error = outcome.reason
        log.error("%s: %s left in the inbox for the next run: %s", source.name, path.name, outcome.reason)
        if store_failed:
            break
    return run
