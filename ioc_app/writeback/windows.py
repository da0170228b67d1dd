"""Entry windows: when a unit may enter a period's figures, which periods exist, what is due.

A period's entry opens on its first day; its data are cut off on the regime's `cutoff_day`
of the period's last month (0, or a day past the month's end: its last day) and are due
`deadline_days` later. After the deadline only an exception granted by an approver of the
unit's chain reopens entry, for that unit, regime and period, until a given time.
"""
from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app import clock
from ioc_app.errors import WritebackError
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import EntryException, Period, Regime, RegimeUnit, Submission, Unit
from ioc_app.opdb.periods import fill_periods
from ioc_app.writeback.actor import Actor, unit_by_code
from ioc_app.writeback.chain import approval_chain

ADHOC_PREFIX = "AH-"


@dataclass(frozen=True)
class Window:
    opens_on: date
    cutoff: date
    deadline: date

    def is_open(self, day: date) -> bool:
        return self.opens_on <= day <= self.deadline


@dataclass(frozen=True)
class DueReport:
    unit: Unit
    regime: Regime
    period: Period
    window: Window
    submission: Submission | None
    open: bool


def window(regime: Regime, period: Period) -> Window:
    """The entry window of `period` under `regime` (the deadline day is still open)."""
    last = period.end_date
    if regime.cutoff_day:
        day = min(regime.cutoff_day, calendar.monthrange(last.year, last.month)[1])
        cutoff = max(date(last.year, last.month, day), period.start_date)
    else:
        cutoff = last
    return Window(period.start_date, cutoff, cutoff + timedelta(days=regime.deadline_days))


def adhoc_period_code(regime: Regime) -> str:
    """The code of a thematic or ad hoc regime's single period: stable, unique, 11 characters."""
    return ADHOC_PREFIX + hashlib.sha256(regime.code.encode("utf-8")).hexdigest()[:8]


def first_day(regime: Regime, today: date) -> date:
    """Where a periodic regime's periods begin: its start date, else January 1 of last year."""
    return regime.start_date or date(today.year - 1, 1, 1)


def _ensure_adhoc(session: Session, regime: Regime, today: date) -> None:
    if regime.start_date is None or regime.end_date is None or regime.start_date > today:
        return
    code = adhoc_period_code(regime)
    period = session.get(Period, code)
    if period is None:
        session.add(Period(code=code, type="adhoc", start_date=regime.start_date, end_date=regime.end_date))
    elif (period.start_date, period.end_date) != (regime.start_date, regime.end_date):
        period.start_date, period.end_date = regime.start_date, regime.end_date


def ensure_periods(session: Session, today: date) -> None:
    """Make the periods of every active regime up to `today` exist."""
    regimes = session.scalars(select(Regime).where(Regime.active.is_(True))).all()
    for regime in regimes:
        if regime.kind == "periodic":
            start = first_day(regime, today)
            end = min(today, regime.end_date) if regime.end_date else today
            if start <= end:
                fill_periods(session, start, end)
        else:
            _ensure_adhoc(session, regime, today)
    session.flush()


def regime_periods(session: Session, regime: Regime, today: date) -> list[Period]:
    """The periods of `regime` that have begun by `today`, newest first."""
    if regime.kind != "periodic":
        period = session.get(Period, adhoc_period_code(regime))
        return [period] if period is not None and period.start_date <= today else []
    statement = select(Period).where(
        Period.type == regime.period_type, Period.start_date >= first_day(regime, today), Period.start_date <= today)
    if regime.end_date is not None:
        statement = statement.where(Period.start_date <= regime.end_date)
    return list(session.scalars(statement.order_by(Period.start_date.desc())))


def belongs_to(regime: Regime, period: Period) -> bool:
    """Whether `period` is one of `regime`'s periods (its type, or its own ad hoc period)."""
    if regime.kind == "periodic":
        return period.type == regime.period_type
    return period.code == adhoc_period_code(regime)


def exception_until(session: Session, unit_id: int, regime: Regime, period: Period, now: datetime) -> datetime | None:
    """The latest end of an exception valid at `now` for this unit, regime and period; None if there is none."""
    return session.scalars(
        select(EntryException.until).where(
            EntryException.unit_id == unit_id, EntryException.regime_code == regime.code,
            EntryException.period_code == period.code, EntryException.until >= now)
        .order_by(EntryException.until.desc()).limit(1)
    ).first()


def entry_open(session: Session, unit_id: int, regime: Regime, period: Period, now: datetime) -> bool:
    """Whether the unit may enter the period's figures at `now`: inside the window, or under a valid exception."""
    if window(regime, period).is_open(now.date()):
        return True
    return exception_until(session, unit_id, regime, period, now) is not None


def _moment(today: date) -> datetime:
    """`today` as a point in time for exceptions: now when it is today, else its first instant."""
    now = clock.now_ict()
    return now if now.date() == today else datetime.combine(today, time.min)


def due_reports(session: Session, actor: Actor, today: date) -> list[DueReport]:
    """What the actor's unit has to report: every period open now (whatever its state), and
    the closed periods whose report is missing, a draft or returned; open ones first."""
    if actor.unit_id is None:
        return []
    ensure_periods(session, today)
    unit = session.get(Unit, actor.unit_id)
    regimes = session.scalars(
        select(Regime).join(RegimeUnit, RegimeUnit.regime_code == Regime.code)
        .where(RegimeUnit.unit_id == actor.unit_id, Regime.active.is_(True)).order_by(Regime.code)
    ).all()
    submissions = {
        (submission.regime_code, submission.period_code): submission
        for submission in session.scalars(select(Submission).where(Submission.unit_id == actor.unit_id))
    }
    now = _moment(today)
    found: list[DueReport] = []
    for regime in regimes:
        for period in regime_periods(session, regime, today):
            submission = submissions.get((regime.code, period.code))
            is_open = entry_open(session, actor.unit_id, regime, period, now)
            owed = submission is None or submission.status in ("draft", "returned")
            if is_open or owed:
                found.append(DueReport(unit, regime, period, window(regime, period), submission, is_open))
    found.sort(key=lambda due: (not due.open, due.window.deadline.toordinal() if due.open
                                else -due.period.start_date.toordinal(), due.regime.code))
    return found


def regime_by_code(session: Session, code: str) -> Regime:
    regime = session.get(Regime, code)
    if regime is None:
        raise WritebackError(f"no report regime with code {code!r}")
    return regime


def period_of(session: Session, regime: Regime, code: str) -> Period:
    """The period `code` of `regime` (made first if it is due by now); WritebackError otherwise."""
    period = session.get(Period, code)
    if period is None:
        ensure_periods(session, clock.today_ict())
        period = session.get(Period, code)
    if period is None:
        raise WritebackError(f"no period {code!r} (periods open by themselves on their first day)")
    if not belongs_to(regime, period):
        raise WritebackError(f"period {code} is not a period of regime {regime.code}")
    return period


def reports_under(session: Session, unit: Unit, regime: Regime) -> None:
    """WritebackError unless `unit` reports under `regime`."""
    if session.get(RegimeUnit, (regime.code, unit.id)) is None:
        raise WritebackError(f"unit {unit.code} does not report under regime {regime.code}")


def grant_exception(session: Session, actor: Actor, unit_code: str, regime_code: str, period_code: str,
                    until: datetime, reason: str) -> EntryException:
    """Reopen entry for one unit, regime and period until `until` (an approver of the unit's chain)."""
    unit = unit_by_code(session, unit_code)
    regime = regime_by_code(session, regime_code)
    period = period_of(session, regime, period_code)
    reports_under(session, unit, regime)
    chain = approval_chain(session, unit, regime)
    if actor.role != "approver" or all(step.id != actor.unit_id for step in chain):
        raise WritebackError(f"{actor.username} may not reopen entry for unit {unit.code}: only an approver of "
                             f"a unit in its approval chain may")
    reason = reason.strip()
    if not reason:
        raise WritebackError(f"an exception for unit {unit.code}, period {period.code} needs a reason")
    now = clock.now_ict()
    if until <= now:
        raise WritebackError(f"an exception for unit {unit.code}, period {period.code} must end after now "
                             f"({until:%d/%m/%Y %H:%M} has passed)")
    granted = EntryException(unit_id=unit.id, regime_code=regime.code, period_code=period.code, until=until,
                             reason=reason, granted_by=actor.username, granted_at=now)
    session.add(granted)
    session.flush()
    record(session, actor.username, "grant_exception", "entry_exception", granted.id, None,
           {"unit": unit.code, "regime": regime.code, "period": period.code, "until": until, "reason": reason})
    return granted
