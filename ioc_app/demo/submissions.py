"""Demo history of the write-back: past periods of the demo regimes, reported by every commune.

The figures are the demo's own commune figures (reports/communes_<year>.parquet), so the
dashboards show the same numbers once the approved reports reach the store. Most units
report on time, some late, a few are returned once (one figure ten times too large) and
then corrected, a few never report in the latest closed period; reports climb both levels
of their chain unless the history would run past today, where they stop on the way.

Every step goes through the real services (entry.save_draft/submit, approval.approve/
return_submission), so events, values, digests, signatures and audit entries are exactly
what they write; then the step's times are set back to when it happened in the story.
The audit log keeps the real time of the load (its entries are hash-chained), which is
true: that is when these rows were written.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.config import Settings
from ioc_app.errors import IocError
from ioc_app.opdb.models import CellComment, Period, Regime, Submission, SubmissionEvent, Unit
from ioc_app.writeback import approval, entry
from ioc_app.writeback.actor import Actor
from ioc_app.writeback.compliance import expected_units
from ioc_app.writeback.forms import FormLayout, layout_of, version_for
from ioc_app.writeback.signing import Signer
from ioc_app.writeback.windows import ensure_periods, regime_periods, window

DEMO_USER = "demo"
# regime code -> first day of its history
DEMO_REGIMES = {"XA-QUY": date(2025, 7, 1), "XA-NAM": date(2025, 1, 1)}
LATE_SHARE = 0.12
RETURN_SHARE = 0.08
MISSING_SHARE = 0.06
Cell = tuple[str, str]


@dataclass(frozen=True)
class Step:
    action: str
    at: datetime


def _rng(seed: int, *parts: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *(zlib.crc32(p.encode("utf-8")) for p in parts)]))


def _office_time(rng: np.random.Generator, day: date) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=int(rng.integers(7 * 60 + 30, 17 * 60)),
                                                     seconds=int(rng.integers(60)))


def _plan(rng: np.random.Generator, period: Period, deadline: date, latest: bool,
          can_return: bool) -> list[Step]:
    """What happens to one unit's report, in order (the caller cuts it at today)."""
    draws = rng.random(3)
    if latest and draws[0] < MISSING_SHARE:
        return []
    if draws[1] < LATE_SHARE:
        first_day = deadline + timedelta(days=int(rng.integers(1, 21)))
    else:
        first_day = deadline - timedelta(days=int(rng.integers(0, max(1, min(10, (deadline - period.end_date).days)))))
    submitted = _office_time(rng, first_day)
    steps = [Step("save", submitted - timedelta(minutes=int(rng.integers(5, 90)))), Step("submit", submitted)]
    if can_return and draws[2] < RETURN_SHARE:
        returned = _office_time(rng, submitted.date() + timedelta(days=int(rng.integers(1, 5))))
        submitted = _office_time(rng, returned.date() + timedelta(days=int(rng.integers(1, 6))))
        steps += [Step("return", returned), Step("save", submitted - timedelta(minutes=int(rng.integers(5, 90)))),
                  Step("submit", submitted)]
    first_approval = _office_time(rng, submitted.date() + timedelta(days=int(rng.integers(1, 7))))
    second_approval = _office_time(rng, first_approval.date() + timedelta(days=int(rng.integers(1, 6))))
    return steps + [Step("approve", first_approval), Step("approve", second_approval)]


def _report_files(settings: Settings) -> list[Path]:
    manifest = settings.demo_dir / "manifest.json"
    if not manifest.is_file():
        raise IocError(f"demo sources not found in {settings.demo_dir} (run `ioc demo`)")
    names = json.loads(manifest.read_text(encoding="utf-8"))["files"].get("reports", [])
    return [settings.demo_dir / name for name in names if name.rsplit("/", 1)[-1].startswith("communes_")]


def demo_figures(settings: Settings, periods: list[str]) -> dict[tuple[str, str], dict[Cell, float]]:
    """{(unit code, period code): {(indicator, category): value}} from the demo's commune figures."""
    columns = ["unit_code", "indicator_code", "period", "category_code", "value"]
    frames = [pd.read_parquet(path, columns=columns) for path in _report_files(settings)]
    if not frames:
        return {}
    figures = pd.concat(frames, ignore_index=True)
    figures = figures[figures["period"].isin(periods)]
    found: dict[tuple[str, str], dict[Cell, float]] = {}
    for unit, period, indicator, category, value in figures[
            ["unit_code", "period", "indicator_code", "category_code", "value"]].itertuples(index=False):
        found.setdefault((unit, period), {})[(indicator, category)] = float(value)
    return found


def _wrong_cell(layout: FormLayout, values: dict[Cell, float | None], rng: np.random.Generator) -> Cell | None:
    """A total a careless officer could type ten times too large without breaking a hard rule."""
    candidates = [(row.code, "total") for row in layout.rows
                  if row.value_type != "percent" and row.max_value is None
                  and values.get((row.code, "total")) not in (None, 0)]
    return candidates[int(rng.integers(len(candidates)))] if candidates else None


def _stamp(session: Session, submission: Submission, step: Step) -> None:
    """Set the time of the event `step` just wrote, and the submission's matching times."""
    event = session.scalars(select(SubmissionEvent).where(
        SubmissionEvent.submission_id == submission.id, SubmissionEvent.action == step.action)
        .order_by(SubmissionEvent.id.desc()).limit(1)).first()
    if event is not None:
        event.at = step.at
        for comment in session.scalars(select(CellComment).where(CellComment.event_id == event.id)):
            comment.at = step.at
    submission.updated_at = step.at
    if step.action == "submit":
        submission.submitted_at = step.at
        if submission.first_submitted_at is None or submission.first_submitted_at > step.at:
            submission.first_submitted_at = step.at
    elif step.action == "return":
        submission.returned_at = step.at
    elif step.action == "approve" and submission.status == "approved":
        submission.approved_at = step.at
    session.flush()


def _play(session: Session, signer: Signer, unit: Unit, regime: Regime, period: Period, steps: list[Step],
          values: dict[Cell, float | None], wrong: Cell | None) -> None:
    admin = Actor(DEMO_USER, "admin", None)
    submission: Submission | None = None
    first_round = True
    for step in steps:
        row_version = submission.row_version if submission is not None else 0
        if step.action == "save":
            typed = dict(values)
            if first_round and wrong is not None:
                typed[wrong] = typed[wrong] * 10
            submission = entry.save_draft(session, admin, unit.code, regime.code, period.code, typed, row_version)
        elif step.action == "submit":
            submission = entry.submit(session, admin, unit.code, regime.code, period.code, row_version, signer)
        elif step.action == "return":
            approver = Actor(DEMO_USER, "approver", submission.awaiting_unit_id)
            text = f"Số liệu {wrong[0]} gấp khoảng 10 lần kỳ trước, đề nghị kiểm tra lại."
            submission = approval.return_submission(session, approver, submission.id, text, {wrong: text})
            first_round = False
        else:
            approver = Actor(DEMO_USER, "approver", submission.awaiting_unit_id)
            submission = approval.approve(session, approver, submission.id)
        _stamp(session, submission, step)


def _history_periods(session: Session, regime: Regime, first_day: date, today: date) -> list[Period]:
    """The regime's periods from `first_day` that ended before today, oldest first."""
    return sorted((p for p in regime_periods(session, regime, today) if p.start_date >= first_day
                   and p.end_date < today), key=lambda p: p.start_date)


def build_demo_submissions(session: Session, settings: Settings, signer: Signer, today: date,
                           regimes: dict[str, date] = DEMO_REGIMES) -> int:
    """Fill the history of `regimes` (code -> first day) up to `today`; returns how many reports
    were added. Deterministic for the demo seed; a report that exists already (any status) is
    left alone, so a second run on the same day adds nothing."""
    ensure_periods(session, today)
    now = datetime.combine(today, time())
    plans: list[tuple[Regime, Period, bool]] = []
    for code, first_day in regimes.items():
        regime = session.get(Regime, code)
        if regime is None:
            raise IocError(f"demo regime {code} is missing: import the write-back catalog first")
        periods = _history_periods(session, regime, first_day, today)
        closed = [p for p in periods if window(regime, p).deadline < today]
        plans += [(regime, period, bool(closed) and period.code == closed[-1].code) for period in periods]
    figures = demo_figures(settings, sorted({period.code for _, period, _ in plans}))
    added = 0
    for regime, period, latest in plans:
        layout = layout_of(session, version_for(session, regime.form_code, period.start_date))
        cells = [(row.code, column.code) for row in layout.rows for column in layout.columns]
        deadline = window(regime, period).deadline
        existing = set(session.scalars(select(Submission.unit_id).where(
            Submission.regime_code == regime.code, Submission.period_code == period.code)))
        for unit in expected_units(session, regime, period):
            known = figures.get((unit.code, period.code))
            if unit.id in existing or not known:
                continue
            lacking = [cell for cell in cells if cell not in known]
            if lacking:
                raise IocError(f"demo figures of {unit.code} for {period.code} have no {lacking[0][0]}/"
                               f"{lacking[0][1]}, a cell of form {regime.form_code}")
            rng = _rng(settings.demo.seed, settings.province_code, regime.code, period.code, unit.code)
            values = {cell: known[cell] for cell in cells}
            wrong = _wrong_cell(layout, values, rng)
            steps = [step for step in _plan(rng, period, deadline, latest, wrong is not None) if step.at < now]
            if steps:
                _play(session, signer, unit, regime, period, steps, values, wrong)
                added += 1
    return added
