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
- Withdrawal: a submission unapproved after the watermark (minus OVERLAP) and not approved
  again since loses every version of its figures in the lake (facts deleted, their rollup
  partitions rebuilt, a `withdrawn` ingest_batch record, the watermark moved to the
  unapproval), in the same lake transaction as the batch of new approvals (a hook of
  pipelines.ingest.ingest_table: a failure or a crash leaves neither); approved again, it comes back as a new
  approval. The decision rests on the submission's state now, so re-reading an old
  unapproval (overlap, crash, retry) never removes figures of an approved report.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import logging

import duckdb
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ioc_app.config import Settings
from ioc_app.errors import StoreError
from ioc_app.clock import now_ict
from ioc_app.opdb.models import Area, Submission, SubmissionEvent, SubmissionValue, Unit
from ioc_app.opdb.session import engine_for, parse_url, shown
from pipelines import rollups, watermarks
from pipelines.batch import Batch, BatchReport
from pipelines.ingest import ingest_table
from pipelines.pulls.common import lake
from pipelines.reports import REQUIRED

log = logging.getLogger("ioc.pipelines")

OVERLAP = timedelta(minutes=5)
DEFAULT_SOURCE = "writeback"
WITHDRAWN = ["prefix", "suffix", "unapproved_at"]


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


def withdrawn_submissions(engine: Engine, since: datetime) -> pd.DataFrame:
    """Submissions unapproved after `since` and not approved now: the `prefix` ("<unit>/<period>/v") and
    `suffix` ("/<opdb id>") of their figures' submission ids, and their latest unapproval time."""
    statement = (
        select(Unit.code, Submission.period_code, Submission.id, SubmissionEvent.at)
        .join(Submission, Submission.id == SubmissionEvent.submission_id)
        .join(Unit, Unit.id == Submission.unit_id)
        .where(SubmissionEvent.action == "unapprove", SubmissionEvent.at > since, Submission.status != "approved")
        .order_by(SubmissionEvent.at, SubmissionEvent.id)
    )
    with Session(engine) as session:
        found = session.execute(statement).all()
    latest = {(f"{unit}/{period}/v", f"/{submission}"): at for unit, period, submission, at in found}
    return pd.DataFrame([(prefix, suffix, at) for (prefix, suffix), at in latest.items()], columns=WITHDRAWN)


def _read(settings: Settings, since: datetime | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The withdrawn submissions (read first: an approval racing the pull is then read too), the approved rows."""
    engine = engine_for(settings.database_url)
    try:
        withdrawn = withdrawn_submissions(engine, since) if since is not None else pd.DataFrame(columns=WITHDRAWN)
        return withdrawn, approved_rows(engine, since)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"operational DB {shown(parse_url(settings.database_url))}: cannot read the approved "
                         f"submissions ({reason}); run `ioc init` to migrate it") from None
    finally:
        engine.dispose()


def withdraw(settings: Settings, source_name: str, withdrawn: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> int:
    """Inside the caller's transaction (the batch of new approvals): delete the lake figures of `withdrawn`
    submissions, rebuild their rollup partitions, record a `withdrawn` batch and move the watermark to the
    latest unapproval; returns the facts removed (0: nothing written)."""
    if not len(withdrawn):
        return 0
    con.register("withdrawn_frame", withdrawn)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE withdrawn_facts AS "
                    "SELECT DISTINCT f.submission_id, f.indicator_code, f.period "
                    "FROM lake.main.fact_indicator_value f JOIN withdrawn_frame w "
                    "ON starts_with(f.submission_id, w.prefix) AND ends_with(f.submission_id, w.suffix)")
    finally:
        con.unregister("withdrawn_frame")
    removed = con.execute("SELECT count(*) FROM lake.main.fact_indicator_value "
                          "WHERE submission_id IN (SELECT submission_id FROM withdrawn_facts)").fetchone()[0]
    if not removed:
        return 0
    batch = Batch(con=con, settings=settings, kind="reports", path=None, source_name=source_name)
    con.execute("DELETE FROM lake.main.fact_indicator_value "
                "WHERE submission_id IN (SELECT submission_id FROM withdrawn_facts)")
    con.execute("CREATE OR REPLACE TEMP TABLE withdrawn_periods AS "
                "SELECT DISTINCT indicator_code, period FROM withdrawn_facts")
    rollups.indicators(con, "withdrawn_periods")
    con.execute("INSERT INTO lake.main.ingest_batch VALUES (?, 'reports', ?, ?, ?, ?, ?, 0, 0, 'withdrawn', NULL)",
                [batch.batch_id, batch.source, f"opdb:{shown(parse_url(settings.database_url))}",
                 batch.started_at, now_ict().replace(microsecond=0), removed])
    watermarks.advance(con, {source_name: withdrawn["unapproved_at"].max()})
    log.info("writeback %s: %d figures of %d unapproved submissions withdrawn", source_name, removed,
             len(withdrawn))
    return int(removed)


def pull(settings: Settings, source_name: str, dry_run: bool = False,
         con: duckdb.DuckDBPyConnection | None = None) -> BatchReport:
    """Withdraw the figures of submissions unapproved since `source_name`'s watermark and ingest the
    figures approved since then, as one reports batch (one lake transaction: both or neither).

    Raises StoreError (nothing stored, watermark unchanged) when the operational DB cannot be read."""
    with lake(settings, con) as lake_con:
        since = watermarks.read(lake_con, source_name)
        withdrawn, table = _read(settings, since - OVERLAP if since else None)
        mark = table["approved_at"].max() if len(table) else None
        table["approved_at"] = table["approved_at"].map(lambda moment: moment.isoformat(sep=" "))
        return ingest_table(settings, "reports", table, source_name, dry_run, lake_con,
                            origin=f"opdb:{shown(parse_url(settings.database_url))}",
                            marks={source_name: mark} if mark is not None else None,
                            prelude=lambda con: withdraw(settings, source_name, withdrawn, con))
