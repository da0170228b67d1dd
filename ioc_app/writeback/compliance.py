"""Reporting compliance (R-09): who reported on time, late, after a return, or not at all.

A report is on time when it was first submitted on or before its deadline day (until
23:59:59); late when first submitted after it; missing when the deadline has passed and it
was never submitted; not due while the deadline is still ahead and nothing was submitted.
Returned (at least once) and approved (complete) are separate columns, since a returned or
approved report is also on time or late.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ioc_app.opdb.models import Period, Regime, RegimeUnit, Submission, SubmissionEvent, Unit
from ioc_app.writeback.actor import Actor
from ioc_app.writeback.chain import descendants
from ioc_app.writeback.windows import ensure_periods, period_of, regime_by_code, regime_periods, window

STATUSES = ("on_time", "late", "missing", "not_due")
WHOLE_VIEW_ROLES = ("leader", "admin")
COLUMNS = ["regime_code", "period_code", "unit_id", "unit_code", "unit_name", "deadline", "status",
           "submitted_at", "returns", "returned", "approved", "current"]
RANKING_COLUMNS = ["rank", "unit_code", "unit_name", "expected", "on_time", "late", "missing", "returns",
                   "approved", "on_time_rate", "completeness"]
OWED_COLUMNS = ["regime_code", "period_code", "unit_code", "unit_name", "deadline", "days_left", "state"]


def status_of(first_submitted_at: datetime | None, deadline: date, today: date) -> str:
    if first_submitted_at is None:
        return "missing" if today > deadline else "not_due"
    return "on_time" if first_submitted_at < datetime.combine(deadline + timedelta(days=1), time()) else "late"


def expected_units(session: Session, regime: Regime, period: Period) -> list[Unit]:
    """The units of the regime that exist during the period, by code."""
    return list(session.scalars(
        select(Unit).join(RegimeUnit, RegimeUnit.unit_id == Unit.id)
        .where(RegimeUnit.regime_code == regime.code,
               or_(Unit.valid_from.is_(None), Unit.valid_from <= period.end_date),
               or_(Unit.valid_to.is_(None), Unit.valid_to >= period.start_date))
        .order_by(Unit.code)))


def visible_unit_ids(session: Session, actor: Actor | None, regime: Regime) -> set[int] | None:
    """The units whose reports under `regime` the actor may follow; None means all of them.

    Leaders and administrators see everything; anyone else sees their own unit, the units
    below it, and every unit of a regime that their unit receives (its chain includes it)."""
    if actor is None or actor.role in WHOLE_VIEW_ROLES:
        return None
    if actor.unit_id is None:
        return set()
    seen = {actor.unit_id} | descendants(session, actor.unit_id)
    if regime.receiver_unit_id == actor.unit_id:
        seen |= set(session.scalars(select(RegimeUnit.unit_id).where(RegimeUnit.regime_code == regime.code)))
    return seen


def _counts(session: Session, submission_ids: list[int], action: str) -> dict[int, int]:
    if not submission_ids:
        return {}
    return dict(session.execute(
        select(SubmissionEvent.submission_id, func.count())
        .where(SubmissionEvent.submission_id.in_(submission_ids), SubmissionEvent.action == action)
        .group_by(SubmissionEvent.submission_id)).all())


def _rows(session: Session, regime: Regime, period: Period, today: date, scope: set[int] | None) -> list[dict]:
    deadline = window(regime, period).deadline
    units = [unit for unit in expected_units(session, regime, period) if scope is None or unit.id in scope]
    submissions = {s.unit_id: s for s in session.scalars(select(Submission).where(
        Submission.regime_code == regime.code, Submission.period_code == period.code,
        Submission.unit_id.in_([unit.id for unit in units])))}
    ids = [s.id for s in submissions.values()]
    returns = _counts(session, ids, "return")
    rows = []
    for unit in units:
        submission = submissions.get(unit.id)
        first = submission.first_submitted_at if submission is not None else None
        returned = returns.get(submission.id, 0) if submission is not None else 0
        rows.append({
            "regime_code": regime.code, "period_code": period.code, "unit_id": unit.id, "unit_code": unit.code,
            "unit_name": unit.name, "deadline": deadline, "status": status_of(first, deadline, today),
            "submitted_at": first, "returns": returned, "returned": returned > 0,
            "approved": submission is not None and submission.status == "approved",
            "current": submission.status if submission is not None else "none",
        })
    return rows


def compliance(session: Session, regime_code: str, period_code: str, today: date,
               actor: Actor | None = None) -> pd.DataFrame:
    """One row per unit that must report `regime_code` for `period_code` (and that `actor` may see)."""
    regime = regime_by_code(session, regime_code)
    period = period_of(session, regime, period_code)
    rows = _rows(session, regime, period, today, visible_unit_ids(session, actor, regime))
    return pd.DataFrame(rows, columns=COLUMNS)


def regimes(session: Session) -> list[Regime]:
    """The active regimes, by code."""
    return list(session.scalars(select(Regime).where(Regime.active.is_(True)).order_by(Regime.code)))


def period_codes(session: Session, regime_code: str, today: date) -> list[str]:
    """The regime's periods that have begun by `today`, newest first."""
    ensure_periods(session, today)
    return [period.code for period in regime_periods(session, regime_by_code(session, regime_code), today)]


def latest_closed_period(session: Session, regime_code: str, today: date) -> str | None:
    """The newest period of the regime whose deadline has passed."""
    regime = regime_by_code(session, regime_code)
    ensure_periods(session, today)
    for period in regime_periods(session, regime, today):
        if window(regime, period).deadline < today:
            return period.code
    return None


def _due_rows(session: Session, regimes: Iterable[Regime], today: date, actor: Actor | None,
              wanted) -> list[dict]:
    rows: list[dict] = []
    for regime in regimes:
        scope = visible_unit_ids(session, actor, regime)
        for period in regime_periods(session, regime, today):
            if wanted(regime, period):
                rows += _rows(session, regime, period, today, scope)
    return rows


def ranking(session: Session, year: int, today: date, actor: Actor | None = None) -> pd.DataFrame:
    """Units ranked over the periods of `year` whose deadline has passed: on-time rate first,
    then fewer returns, then completeness (share approved)."""
    ensure_periods(session, today)
    regimes = session.scalars(select(Regime).order_by(Regime.code)).all()
    frame = pd.DataFrame(_due_rows(
        session, regimes, today, actor,
        lambda regime, period: period.start_date.year == year and window(regime, period).deadline < today,
    ), columns=COLUMNS)
    if frame.empty:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    for status in ("on_time", "late", "missing"):
        frame[status] = frame["status"] == status
    table = frame.groupby(["unit_code", "unit_name"], as_index=False).agg(
        expected=("status", "size"), on_time=("on_time", "sum"), late=("late", "sum"),
        missing=("missing", "sum"), returns=("returns", "sum"), approved=("approved", "sum"))
    table["on_time_rate"] = table["on_time"] / table["expected"]
    table["completeness"] = table["approved"] / table["expected"]
    table = table.sort_values(["on_time_rate", "returns", "completeness", "unit_code"],
                              ascending=[False, True, False, True], kind="stable").reset_index(drop=True)
    keys = list(zip(table["on_time_rate"], table["returns"], table["completeness"]))
    table["rank"] = [next(i for i, other in enumerate(keys) if other == key) + 1 for key in keys]
    return table[RANKING_COLUMNS]


def _owing_periods(session: Session, regime: Regime, today: date) -> list[Period]:
    """Periods whose window is open today, plus the newest one whose deadline has passed."""
    chosen: list[Period] = []
    for period in regime_periods(session, regime, today):
        span = window(regime, period)
        if span.opens_on <= today <= span.deadline:
            chosen.append(period)
        elif span.deadline < today:
            chosen.append(period)
            break
    return chosen


def owed(session: Session, today: date, actor: Actor | None = None) -> pd.DataFrame:
    """Reports still owed (never submitted, or returned and not yet resubmitted) for the periods
    of every active regime whose window is open or has just closed; most overdue first."""
    ensure_periods(session, today)
    rows: list[dict] = []
    for regime in session.scalars(select(Regime).where(Regime.active.is_(True)).order_by(Regime.code)):
        scope = visible_unit_ids(session, actor, regime)
        for period in _owing_periods(session, regime, today):
            for row in _rows(session, regime, period, today, scope):
                if row["current"] in ("none", "draft", "returned"):
                    rows.append({
                        "regime_code": regime.code, "period_code": period.code, "unit_code": row["unit_code"],
                        "unit_name": row["unit_name"], "deadline": row["deadline"],
                        "days_left": (row["deadline"] - today).days,
                        "state": "returned" if row["current"] == "returned" else "not_submitted",
                    })
    frame = pd.DataFrame(rows, columns=OWED_COLUMNS)
    return frame.sort_values(["days_left", "regime_code", "unit_code"], kind="stable").reset_index(drop=True)
