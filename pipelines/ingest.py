"""run_ingest: read a source file, check it, and load it into the lake as ONE DuckLake transaction.

The transaction holds the fact/dimension rows, the refreshed rollups, the quarantined rows
and the ingest_batch record: a failure (or a crash) leaves no part of the batch visible.
A dry run does the same work and rolls it back. A file whose content was already loaded
for this kind is not read again (ingest_batch.content_sha256); every loader also skips rows
whose natural key is already stored, so overlapping files add nothing twice.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.errors import IocError, SourceError, StoreError
from ioc_app.lake import connect, ensure_schema
from pipelines.batch import Batch, BatchReport, LoadResult
from pipelines.catalog import load_areas, load_categories, load_indicators, load_units
from pipelines.devices import load_cameras, load_sensors
from pipelines.readers import read_source
from pipelines.reports import load_reports
from pipelines.store import stage
from pipelines.tickets import load_tickets

Loader = Callable[[Batch, pd.DataFrame | None], LoadResult]
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


def run_ingest(settings: Settings, kind: str, path: Path | None, dry_run: bool = False,
               con: duckdb.DuckDBPyConnection | None = None, source: str | None = None) -> BatchReport:
    """Load one source file of `kind` (path ignored for `areas`); see the module docstring.

    `con` lets a caller that ingests many files reuse one lake connection (loading the
    extensions and attaching the catalog costs a quarter of a second)."""
    loader = KINDS.get(kind)
    if loader is None:
        raise IocError(f"unknown ingest kind {kind!r} (use one of {', '.join(KINDS)})")
    path = None if kind == "areas" or path is None else Path(path).resolve()
    if kind != "areas" and path is None:
        raise SourceError(f"ingest {kind}: a source file is required")
    if path is not None and not path.is_file():
        raise SourceError(f"{path}: file not found")
    if con is None:
        with connect(settings) as own:
            ensure_schema(own)
            return _ingest(own, settings, kind, loader, path, dry_run, source)
    return _ingest(con, settings, kind, loader, path, dry_run, source)


def _ingest(con: duckdb.DuckDBPyConnection, settings: Settings, kind: str, loader, path: Path | None,
            dry_run: bool, source: str | None) -> BatchReport:
    """An unchanged file writes nothing, so a re-run makes no new snapshot."""
    digest = _sha256(path) if path else _areas_digest(settings)
    batch = Batch(con=con, settings=settings, kind=kind, path=path, source_name=source)
    if _already_loaded(con, kind, digest):
        return _report(batch, LoadResult(read=0, loaded=0), unchanged=True)
    table = read_source(path) if path else None
    con.execute("BEGIN")
    try:
        result = loader(batch, table)
        _record(batch, result, "loaded", digest)
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException as exc:
        con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            detail = str(exc).strip().splitlines()[0]
            raise StoreError(f"ingest {kind} {path or 'geo'}: the lake refused the batch ({detail}); "
                             "nothing was stored, run it again") from exc
        raise
    return _report(batch, result)
