"""Write-back: figures approved in the operational DB reach the lake through the reports pipeline.

Officers enter figures in the operational DB (submissions, submission_values); an approver
approves a submission. Each pull reads every approved submission whose approved_at is after
the source's watermark minus OVERLAP (an approval committed a little after a later one
started is still seen; rows already stored are skipped by the loader), turns its values
into report rows and ingests them as one batch that also moves the watermark.

- submission_id is "<unit>/<period>/v<version>/<opdb id>": a new version of a submission (sent
  back, corrected, approved again) is a new figure, and the rollup keeps the figure with
  the latest approved_at, so the re-approved value replaces the old one.
- area_code is the official code of the value's area (an old unit's own old code); the
  reports loader resolves it at the period's end like any report file.
- An empty cell is not a figure: values without a number are left out.
- A row the lake refuses (say a unit the lake's catalog does not know yet) is quarantined
  with its reason like a file row; the watermark still moves past it, so it comes back
  with the submission's next approved version.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ioc_app.config import Settings
from ioc_app.errors import StoreError
from ioc_app.opdb.models import Area, Submission, SubmissionValue, Unit
from ioc_app.opdb.session import engine_for, parse_url, shown
from pipelines import watermarks
from pipelines.batch import BatchReport
from pipelines.ingest import ingest_table
from pipelines.pulls.common import lake
from pipelines.reports import REQUIRED

OVERLAP = timedelta(minutes=5)
DEFAULT_SOURCE = "writeback"


def source_name(settings: Settings) -> str:
    """The configured writeback source, so a manual pull shares its watermark with the scheduler."""
    return next((source.name for source in settings.sources if source.writeback), DEFAULT_SOURCE)


def approved_rows(engine: Engine, since: datetime | None) -> pd.DataFrame:
    """Report rows (columns of the reports loader) of the submissions approved after `since`,
    oldest approval first; `approved_at` stays a datetime (naive ICT) for the watermark."""
    statement = (
        select(Unit.code, Submission.period_code, Submission.version, Submission.id, Submission.approved_at,
               SubmissionValue.indicator_code, SubmissionValue.category_code, Area.code, SubmissionValue.value)
        .join(Unit, Unit.id == Submission.unit_id)
        .join(SubmissionValue, SubmissionValue.submission_id == Submission.id)
        .join(Area, Area.key == SubmissionValue.area_key)
        .where(Submission.status == "approved", Submission.approved_at.is_not(None),
               SubmissionValue.value.is_not(None))
        .order_by(Submission.approved_at, Submission.id, SubmissionValue.id)
    )
    if since is not None:
        statement = statement.where(Submission.approved_at > since)
    with Session(engine) as session:
        found = session.execute(statement).all()
    rows = [{
        "submission_id": f"{unit}/{period}/v{version}/{submission}", "unit_code": unit, "indicator_code": indicator,
        "period": period, "area_code": area, "category_code": category, "value": value, "approved_at": approved,
    } for unit, period, version, submission, approved, indicator, category, area, value in found]
    return pd.DataFrame(rows, columns=REQUIRED)


def _read(settings: Settings, since: datetime | None) -> pd.DataFrame:
    engine = engine_for(settings.database_url)
    try:
        return approved_rows(engine, since)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"operational DB {shown(parse_url(settings.database_url))}: cannot read the approved "
                         f"submissions ({reason}); run `ioc init` to migrate it") from None
    finally:
        engine.dispose()


def pull(settings: Settings, source_name: str, dry_run: bool = False,
         con: duckdb.DuckDBPyConnection | None = None) -> BatchReport:
    """Ingest the figures approved since `source_name`'s watermark as one reports batch.

    Raises StoreError (nothing stored, watermark unchanged) when the operational DB cannot be read."""
    with lake(settings, con) as lake_con:
        since = watermarks.read(lake_con, source_name)
        table = _read(settings, since - OVERLAP if since else None)
        mark = table["approved_at"].max() if len(table) else None
        table["approved_at"] = table["approved_at"].map(lambda moment: moment.isoformat(sep=" "))
        return ingest_table(settings, "reports", table, source_name, dry_run, lake_con,
                            origin=f"opdb:{shown(parse_url(settings.database_url))}",
                            marks={source_name: mark} if mark is not None else None)
