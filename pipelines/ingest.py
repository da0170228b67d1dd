"""run_ingest (a source file) and ingest_table (rows pulled from a service): check the rows and
load them into the lake as ONE DuckLake transaction.

The transaction holds the fact/dimension rows, the refreshed rollups, the quarantined rows,
the ingest_batch record and the source watermarks the batch moves: a failure (or a crash)
leaves no part of the batch visible. A dry run does the same work and rolls it back.
Content already loaded for this kind is not loaded again (ingest_batch.content_sha256 of the
file, or of the table's canonical CSV); every loader also skips rows whose natural key is
already stored, so overlapping files or pulls add nothing twice.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.errors import IocError, SourceError, StoreError
from ioc_app.lake import connect, ensure_schema
from pipelines import watermarks
from pipelines.batch import Batch, BatchReport, LoadResult
from pipelines.catalog import load_areas, load_categories, load_indicators, load_units
from pipelines.devices import load_cameras, load_sensors
from pipelines.readers import ROW, read_source
from pipelines.reports import load_reports
from pipelines.store import stage
from pipelines.tickets import load_tickets

log = logging.getLogger("ioc.pipelines")

Loader = Callable[[Batch, pd.DataFrame | None], LoadResult]
# Work a source does inside the batch's transaction before the loader (the writeback source's
# withdrawal of unapproved figures); returns how many rows it changed (0: nothing written).
Prelude = Callable[[duckdb.DuckDBPyConnection], int]
KINDS: dict[str, Loader] = {
    "areas": load_areas,
    "units": load_units,
    "indicators": load_indicators,
    "categories": load_categories,
    "reports": load_reports,
    "tickets": load_tickets,
    "cameras": load_cameras,
    "sensors": load_sensors,
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _areas_digest(settings: Settings) -> str:
    """Content of the province's areas and crosswalk: the 'file' of the areas kind."""
    from ioc_app.geo import areas, crosswalk

    digest = hashlib.sha256(settings.province_code.encode())
    for frame in (areas(settings.province_code), crosswalk(settings.province_code)):
        digest.update(frame.to_csv(index=False).encode())
    return digest.hexdigest()


def _table_digest(table: pd.DataFrame) -> str:
    """sha256 of the table as canonical CSV (columns sorted, row numbers left out)."""
    canonical = table.drop(columns=[ROW], errors="ignore")
    canonical = canonical[sorted(canonical.columns)]
    text = canonical.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S.%f")
    return hashlib.sha256(text.encode()).hexdigest()


def _already_loaded(con: duckdb.DuckDBPyConnection, kind: str, digest: str) -> bool:
    return con.execute(
        "SELECT count(*) FROM lake.main.ingest_batch WHERE kind = ? AND content_sha256 = ? AND status = 'loaded'",
        [kind, digest],
    ).fetchone()[0] > 0


def _record(batch: Batch, result: LoadResult, status: str, digest: str | None) -> None:
    con = batch.con
    if len(result.problems):
        quarantine = batch.with_lineage(result.problems).assign(
            kind=batch.kind, file=batch.file, quarantined_at=pd.Timestamp(batch.started_at))
        con.execute("INSERT INTO lake.main.quarantine SELECT * FROM "
                    + stage(con, "stage_quarantine", "quarantine", quarantine))
    con.execute(
        "INSERT INTO lake.main.ingest_batch VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch.batch_id, batch.kind, batch.source, batch.file, batch.started_at,
         now_ict().replace(microsecond=0), result.read, result.loaded, result.quarantined, status, digest],
    )


def _report(batch: Batch, result: LoadResult, unchanged: bool = False) -> BatchReport:
    reasons = result.problems["reason"].value_counts().to_dict() if len(result.problems) else {}
    return BatchReport(read=result.read, loaded=result.loaded, quarantined=result.quarantined,
                       reasons={str(reason): int(count) for reason, count in reasons.items()},
                       batch_id=batch.batch_id, unchanged=unchanged)


def _loader(kind: str) -> Loader:
    loader = KINDS.get(kind)
    if loader is None:
        raise IocError(f"unknown ingest kind {kind!r} (use one of {', '.join(KINDS)})")
    return loader


@dataclass(frozen=True)
class _Input:
    """What one batch loads: its name in messages and lineage, its content digest, how to read it."""

    label: str  # file path, URL or "geo"
    origin: Path | str | None  # Batch.path: the file, or the URL of pulled rows
    digest: str
    read: Callable[[], pd.DataFrame | None]


def run_ingest(settings: Settings, kind: str, path: Path | None, dry_run: bool = False,
               con: duckdb.DuckDBPyConnection | None = None, source: str | None = None) -> BatchReport:
    """Load one source file of `kind` (path ignored for `areas`); see the module docstring.

    `con` lets a caller that ingests many files reuse one lake connection (loading the
    extensions and attaching the catalog costs a quarter of a second)."""
    loader = _loader(kind)
    path = None if kind == "areas" or path is None else Path(path).resolve()
    if kind != "areas" and path is None:
        raise SourceError(f"ingest {kind}: a source file is required")
    if path is not None and not path.is_file():
        raise SourceError(f"{path}: file not found")
    if path is None:
        given = _Input("geo", None, _areas_digest(settings), lambda: None)
    else:
        given = _Input(str(path), path, _sha256(path), lambda: read_source(path))
    return _with_connection(settings, con, lambda lake: _ingest(lake, settings, kind, loader, given, dry_run,
                                                                source, {}))


def ingest_table(settings: Settings, kind: str, table: pd.DataFrame, source: str, dry_run: bool = False,
                 con: duckdb.DuckDBPyConnection | None = None, *, origin: str | None = None,
                 marks: dict[str, datetime] | None = None, prelude: Prelude | None = None) -> BatchReport:
    """Load rows of `kind` that a pull fetched, through the same loaders and transaction as a file.

    `source` names the feed (lineage, watermarks); `origin` (e.g. the URL) is recorded as the
    batch's file and named in messages. `marks` are source watermarks committed in the same
    transaction as the rows (moved forward only); a dry run or a failure leaves them as they were.
    An identical table (same canonical content) adds nothing, not even a batch record. `prelude` runs
    first inside the same transaction: both commit together or neither does; when the table is
    unchanged, the transaction holds the prelude's work alone (committed only if it changed something)."""
    loader = _loader(kind)
    frame = table.copy()
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    if ROW not in frame.columns:
        frame[ROW] = range(1, len(frame) + 1)
    frame = frame.reset_index(drop=True)
    given = _Input(origin or source, origin or source, _table_digest(frame), lambda: frame)
    return _with_connection(settings, con, lambda lake: _ingest(lake, settings, kind, loader, given, dry_run,
                                                                source, marks or {}, prelude))


def _with_connection(settings: Settings, con: duckdb.DuckDBPyConnection | None,
                     work: Callable[[duckdb.DuckDBPyConnection], BatchReport]) -> BatchReport:
    if con is not None:
        return work(con)
    with connect(settings) as own:
        ensure_schema(own)
        return work(own)


def _ingest(con: duckdb.DuckDBPyConnection, settings: Settings, kind: str, loader: Loader, given: _Input,
            dry_run: bool, source: str | None, marks: dict[str, datetime],
            prelude: Prelude | None = None) -> BatchReport:
    """An unchanged content writes nothing, so a re-run makes no new snapshot."""
    batch = Batch(con=con, settings=settings, kind=kind, path=given.origin, source_name=source)
    unchanged = _already_loaded(con, kind, given.digest)
    if unchanged and prelude is None:
        log.info("ingest %s %s: unchanged since its last ingestion, nothing to do", kind, given.label)
        return _report(batch, LoadResult(read=0, loaded=0), unchanged=True)
    table = None if unchanged else given.read()
    if table is not None:
        log.info("ingest %s %s: read %d rows", kind, given.label, len(table))
    con.execute("BEGIN")
    try:
        changed = prelude(con) if prelude is not None else 0
        if unchanged:
            result = LoadResult(read=0, loaded=0)
        else:
            result = loader(batch, table)
            log.info("ingest %s %s: loaded %d rows, quarantined %d", kind, given.label, result.loaded,
                     result.quarantined)
            _record(batch, result, "loaded", given.digest)
        watermarks.advance(con, marks)
        con.execute("ROLLBACK" if dry_run or (unchanged and not changed) else "COMMIT")
    except BaseException as exc:
        con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            detail = str(exc).strip().splitlines()[0]
            raise StoreError(f"ingest {kind} {given.label}: the lake refused the batch ({detail}); "
                             "nothing was stored, run it again") from exc
        raise
    if unchanged:
        return _report(batch, result, unchanged=not changed)
    log.info("ingest %s %s: %s batch %s", kind, given.label, "dry run, rolled back" if dry_run else "committed",
             batch.batch_id)
    return _report(batch, result)
