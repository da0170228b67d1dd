"""Entering a unit's figures: load the grid, save a draft, submit it for approval.

Every write quotes the `row_version` the person loaded. The check is a compare-and-set
UPDATE on that column, so of two saves racing from the same version exactly one wins and
the other gets a ConflictError naming who saved when; nothing of the loser is written.
On SQLite the service also takes the database write lock first (BEGIN IMMEDIATE), so a
transaction never fails half-way on a stale snapshot.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ioc_app import clock
from ioc_app.errors import ConflictError, WritebackError
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import (
    CellComment,
    FormVersion,
    Period,
    Regime,
    Submission,
    SubmissionEvent,
    SubmissionValue,
    Unit,
    User,
)
from ioc_app.opdb.users import find_user
from ioc_app.writeback.actor import Actor, unit_by_code
from ioc_app.writeback.chain import approval_chain
from ioc_app.writeback.forms import FormLayout, layout_of, version_for
from ioc_app.writeback.problems import FiguresRefused, Problem
from ioc_app.writeback.signing import Signer, content_digest
from ioc_app.writeback.validation import check_values
from ioc_app.writeback.windows import entry_open, period_of, regime_by_code, reports_under, window

Cell = tuple[str, str]
OPEN_STATES = ("draft", "returned")


@dataclass
class Grid:
    unit: Unit
    regime: Regime
    period: Period
    form_version: FormVersion
    layout: FormLayout
    submission: Submission | None
    values: dict[Cell, float | None]
    notes: dict[Cell, str]
    row_version: int
    editable: bool
    why_locked: str | None
    comments: list[CellComment]


def cell_key(cell: Cell) -> str:
    """'INDICATOR/CATEGORY', how a cell is named in the audit log."""
    return f"{cell[0]}/{cell[1]}"


def values_to_json(values: dict[Cell, float | None]) -> str:
    """The values as a submit event keeps them: a sorted JSON list of {indicator, category, value}."""
    return json.dumps([{"indicator": indicator, "category": category, "value": values[(indicator, category)]}
                       for indicator, category in sorted(values)], ensure_ascii=False, separators=(",", ":"))


def values_from_json(text: str | None) -> dict[Cell, float | None]:
    """The values kept by a submit event (values_to_json's inverse); {} for None."""
    return {(item["indicator"], item["category"]): item["value"] for item in json.loads(text or "[]")}


def _when(moment: datetime | None) -> str:
    return f"{moment:%H:%M} on {moment:%d/%m/%Y}" if moment else "an unknown time"


def _where(unit: Unit, regime: Regime, period: Period) -> str:
    return f"the report of unit {unit.code} for period {period.code} ({regime.code})"


def _resolve(session: Session, unit_code: str, regime_code: str, period_code: str) -> tuple[Unit, Regime, Period]:
    unit = unit_by_code(session, unit_code)
    regime = regime_by_code(session, regime_code)
    period = period_of(session, regime, period_code)
    reports_under(session, unit, regime)
    return unit, regime, period


def _submission(session: Session, unit: Unit, regime: Regime, period: Period) -> Submission | None:
    return session.scalars(select(Submission).where(
        Submission.unit_id == unit.id, Submission.regime_code == regime.code,
        Submission.period_code == period.code)).one_or_none()


def _may_read(session: Session, actor: Actor, unit: Unit, regime: Regime) -> bool:
    if actor.is_admin:
        return True
    if actor.unit_id == unit.id and actor.role in ("officer", "approver"):
        return True
    return actor.role == "approver" and any(step.id == actor.unit_id for step in approval_chain(session, unit, regime))


def _may_enter(actor: Actor, unit: Unit) -> bool:
    return actor.is_admin or (actor.role == "officer" and actor.unit_id == unit.id)


def _state_lock(session: Session, submission: Submission | None) -> str | None:
    """Why the report's state forbids entry (submitted: who holds it; approved), or None."""
    if submission is None or submission.status in OPEN_STATES:
        return None
    if submission.status == "submitted":
        holder = session.get(Unit, submission.awaiting_unit_id) if submission.awaiting_unit_id else None
        held = f"{holder.name} ({holder.code})" if holder else "an approver"
        return f"submitted by {submission.signed_by} at {_when(submission.submitted_at)}, awaiting approval by {held}"
    approver = session.get(User, submission.approved_by) if submission.approved_by else None
    by = f" by {approver.username}" if approver else ""
    return (f"approved{by} at {_when(submission.approved_at)}; approved figures are locked "
            f"(an approver of the last level may unapprove them)")


def _window_lock(session: Session, actor: Actor, unit: Unit, regime: Regime, period: Period,
                 now: datetime) -> str | None:
    if actor.is_admin or entry_open(session, unit.id, regime, period, now):
        return None
    span = window(regime, period)
    if now.date() < span.opens_on:
        return f"entry for period {period.code} opens on {span.opens_on:%d/%m/%Y}"
    return (f"entry for period {period.code} closed on {span.deadline:%d/%m/%Y}; "
            f"an approver of the unit's chain may grant an exception")


def _lock(session: Session, actor: Actor, unit: Unit, regime: Regime, period: Period,
          submission: Submission | None, now: datetime) -> str | None:
    if not _may_enter(actor, unit):
        return f"read only: only officers of unit {unit.code} enter its figures"
    return _state_lock(session, submission) or _window_lock(session, actor, unit, regime, period, now)


def _form(session: Session, regime: Regime, period: Period,
          submission: Submission | None) -> tuple[FormVersion, FormLayout]:
    """The report's form version: the one it was entered in, else the one in force for the period."""
    if submission is not None and submission.form_version is not None:
        version = submission.form_version
    else:
        version = version_for(session, regime.form_code, period.start_date)
    return version, layout_of(session, version)


def _latest_comments(session: Session, submission: Submission | None) -> list[CellComment]:
    """Return and outlier comments of the latest round: the last submit and what followed it."""
    if submission is None:
        return []
    last_submit = session.scalars(
        select(SubmissionEvent.id).where(SubmissionEvent.submission_id == submission.id,
                                         SubmissionEvent.action == "submit")
        .order_by(SubmissionEvent.id.desc()).limit(1)).first()
    if last_submit is None:
        return []
    return list(session.scalars(
        select(CellComment).where(CellComment.submission_id == submission.id,
                                  CellComment.kind.in_(("return", "outlier")), CellComment.event_id >= last_submit)
        .order_by(CellComment.id)))


def load_grid(session: Session, actor: Actor, unit_code: str, regime_code: str, period_code: str) -> Grid:
    """The report of a unit for a regime and period as its grid, and whether `actor` may edit it now."""
    unit, regime, period = _resolve(session, unit_code, regime_code, period_code)
    if not _may_read(session, actor, unit, regime):
        raise WritebackError(f"{actor.username} may not see {_where(unit, regime, period)}")
    submission = _submission(session, unit, regime, period)
    version, layout = _form(session, regime, period, submission)
    rows = submission.values if submission is not None else []
    why_locked = _lock(session, actor, unit, regime, period, submission, clock.now_ict())
    return Grid(
        unit=unit, regime=regime, period=period, form_version=version, layout=layout, submission=submission,
        values={(row.indicator_code, row.category_code): row.value for row in rows},
        notes={(row.indicator_code, row.category_code): row.note for row in rows if row.note},
        row_version=submission.row_version if submission is not None else 0,
        editable=why_locked is None, why_locked=why_locked, comments=_latest_comments(session, submission),
    )


def _serialize_writers(session: Session) -> None:
    """SQLite: take the write lock before reading, like audit.record does (PostgreSQL relies on row locks)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _writable(session: Session, actor: Actor, unit_code: str, regime_code: str,
              period_code: str) -> tuple[Unit, Regime, Period, Submission | None, datetime]:
    """Resolve the report and refuse unless `actor` may change it now."""
    _serialize_writers(session)
    unit, regime, period = _resolve(session, unit_code, regime_code, period_code)
    if not _may_enter(actor, unit):
        raise WritebackError(f"{actor.username} may not enter figures for unit {unit.code}: "
                             f"only its officers (or an administrator) may")
    submission = _submission(session, unit, regime, period)
    now = clock.now_ict()
    locked = _state_lock(session, submission) or _window_lock(session, actor, unit, regime, period, now)
    if locked:
        raise WritebackError(f"{_where(unit, regime, period)} cannot be changed: {locked}")
    return unit, regime, period, submission, now


def _conflict(unit: Unit, regime: Regime, period: Period, submission: Submission, quoted: int) -> ConflictError:
    return ConflictError(
        f"{_where(unit, regime, period)} was saved by {submission.updated_by or 'someone'} at "
        f"{_when(submission.updated_at)} after you opened it (row version {submission.row_version}, yours "
        f"{quoted}); nothing was written: reload it and enter your changes again")


def _bump(session: Session, submission: Submission, quoted: int, where: tuple[Unit, Regime, Period],
          **changes: Any) -> None:
    """Compare-and-set: row_version quoted -> quoted + 1 with `changes`; ConflictError when it moved."""
    changes["row_version"] = quoted + 1
    result = session.execute(
        update(Submission).where(Submission.id == submission.id, Submission.row_version == quoted).values(**changes),
        execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        session.refresh(submission)
        raise _conflict(*where, submission, quoted)
    for name, value in changes.items():
        set_committed_value(submission, name, value)


def _clean_value(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _outside(layout: FormLayout, cells: list[Cell], what: str) -> list[Problem]:
    inside = {(row.code, column.code) for row in layout.rows for column in layout.columns}
    return [Problem(f"{what} on a cell that is not in this form", row=cell[0], column=cell[1])
            for cell in cells if cell not in inside]


def _new_submission(session: Session, actor: Actor, unit: Unit, regime: Regime, period: Period,
                    version: FormVersion, now: datetime) -> Submission:
    if unit.area_key is None:
        raise WritebackError(f"unit {unit.code} has no area: set its area in the catalogs before entering figures")
    submission = Submission(unit_id=unit.id, regime_code=regime.code, period_code=period.code,
                            form_version_id=version.id, status="draft", version=1, row_version=1,
                            updated_at=now, updated_by=actor.username)
    # Worded before the flush: a failed flush leaves the session unusable until rolled back.
    raced = ConflictError(f"{_where(unit, regime, period)} was started by someone else at the same time; "
                          f"nothing was written: reload it and enter your changes again")
    session.add(submission)
    try:
        session.flush()
    except IntegrityError:
        raise raced from None
    return submission


def save_draft(session: Session, actor: Actor, unit_code: str, regime_code: str, period_code: str,
               values: dict[Cell, float | None], row_version: int,
               notes: dict[Cell, str] | None = None) -> Submission:
    """Store figures (and notes) of a draft or returned report; cells not given keep their value.

    Refuses with FiguresRefused (type, range, parts above total; `required` waits for submit)
    and ConflictError when `row_version` is not the stored one; writes nothing then."""
    unit, regime, period, submission, now = _writable(session, actor, unit_code, regime_code, period_code)
    stored_version = submission.row_version if submission is not None else 0
    if row_version != stored_version:
        if submission is None:
            raise ConflictError(f"{_where(unit, regime, period)} has no saved row version {row_version} "
                                f"(nothing is saved); reload it")
        raise _conflict(unit, regime, period, submission, row_version)
    version, layout = _form(session, regime, period, submission)
    given = {cell: _clean_value(value) for cell, value in values.items()}
    given_notes = {cell: (text or "").strip() or None for cell, text in (notes or {}).items()}
    rows = {(row.indicator_code, row.category_code): row for row in (submission.values if submission else [])}
    merged = {cell: row.value for cell, row in rows.items()} | given
    problems = [problem for problem in check_values(layout, merged, require_all=False) if problem.blocking]
    problems += _outside(layout, [cell for cell in given_notes if cell not in given], "a note")
    if problems:
        raise FiguresRefused(problems)
    planned: dict[Cell, tuple[tuple[Any, str | None], tuple[Any, str | None]]] = {}
    for cell in sorted(set(given) | set(given_notes)):
        row = rows.get(cell)
        before = (row.value, row.note) if row else (None, None)
        after = (given.get(cell, before[0]), given_notes.get(cell, before[1]))
        if after != before:
            planned[cell] = (before, after)
    if submission is None:
        submission = _new_submission(session, actor, unit, regime, period, version, now)
    elif planned:
        _bump(session, submission, row_version, (unit, regime, period), updated_at=now, updated_by=actor.username)
    else:
        return submission
    old: dict[str, Any] = {"cells": {}, "notes": {}}
    new: dict[str, Any] = {"cells": {}, "notes": {}}
    for cell, (before, after) in planned.items():
        for part, index in (("cells", 0), ("notes", 1)):
            if before[index] != after[index]:
                old[part][cell_key(cell)], new[part][cell_key(cell)] = before[index], after[index]
        row = rows.get(cell)
        if row is not None:
            row.value, row.note = after
        else:
            submission.values.append(SubmissionValue(indicator_code=cell[0], category_code=cell[1],
                                                     area_key=unit.area_key, value=after[0], note=after[1]))
    session.flush()
    old["row_version"], new["row_version"] = row_version, submission.row_version
    record(session, actor.username, "save", "submission", submission.id, old, new)
    return submission


def submit(session: Session, actor: Actor, unit_code: str, regime_code: str, period_code: str, row_version: int,
           signer: Signer, outlier_comments: dict[Cell, str] | None = None) -> Submission:
    """Validate every cell, sign the report and send it to the first unit of its approval chain."""
    unit, regime, period, submission, now = _writable(session, actor, unit_code, regime_code, period_code)
    if submission is None:
        raise WritebackError(f"{_where(unit, regime, period)} has nothing saved yet: save the figures first")
    if row_version != submission.row_version:
        raise _conflict(unit, regime, period, submission, row_version)
    _, layout = _form(session, regime, period, submission)
    values = {(row.indicator_code, row.category_code): row.value for row in submission.values}
    comments = {cell: text.strip() for cell, text in (outlier_comments or {}).items() if text and text.strip()}
    problems = [problem for problem in check_values(layout, values, require_all=True) if problem.blocking]
    problems += _outside(layout, list(comments), "a comment")
    if problems:
        raise FiguresRefused(problems)
    chain = approval_chain(session, unit, regime)
    awaiting = chain[0] if chain else unit
    user = find_user(session, actor.username)
    before = {"status": submission.status, "version": submission.version, "row_version": row_version}
    version = submission.version + 1 if submission.first_submitted_at is not None else submission.version
    _bump(session, submission, row_version, (unit, regime, period), status="submitted", version=version,
          awaiting_unit_id=awaiting.id, submitted_at=now, submitted_by=user.id if user else None,
          first_submitted_at=submission.first_submitted_at or now, signed_by=actor.username,
          updated_at=now, updated_by=actor.username)
    digest = content_digest(submission)
    submission.digest, submission.signature = digest, signer.sign(digest)
    event = SubmissionEvent(submission_id=submission.id, at=now, username=actor.username, action="submit",
                            from_status=before["status"], to_status="submitted", level_unit_id=awaiting.id,
                            digest=digest, values_json=values_to_json(values))
    session.add(event)
    session.flush()
    session.add_all([CellComment(submission_id=submission.id, event_id=event.id, indicator_code=cell[0],
                                 category_code=cell[1], kind="outlier", text=text, username=actor.username, at=now)
                     for cell, text in sorted(comments.items())])
    session.flush()
    record(session, actor.username, "submit", "submission", submission.id, before,
           {"status": "submitted", "version": version, "row_version": submission.row_version, "digest": digest,
            "awaiting": awaiting.code, "outlier_comments": {cell_key(cell): text for cell, text in comments.items()}})
    return submission
