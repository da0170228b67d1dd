"""The approval chain in action: approve, return, unapprove, bulk approval, and what changed.

Each action locks the submission's row first (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the
database write lock), checks who acts and in which state the report is, then writes the new
state, a submission event and an audit entry. Approvals leave `row_version` alone: it guards
the officers' figures, which no approval changes.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app import clock
from ioc_app.errors import WritebackError
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import CellComment, Submission, SubmissionEvent, Unit
from ioc_app.opdb.users import find_user
from ioc_app.writeback.actor import Actor
from ioc_app.writeback.chain import approval_chain, levels, next_level, waiting_for
from ioc_app.writeback.entry import cell_key, values_from_json
from ioc_app.writeback.forms import layout_of

Cell = tuple[str, str]
Change = tuple[float | None, float | None]


def _where(submission: Submission) -> str:
    return (f"the report of unit {submission.unit.code} for period {submission.period_code} "
            f"({submission.regime_code})")


def _serialize_writers(session: Session) -> None:
    """SQLite: take the write lock before reading the state we are about to change."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _locked(session: Session, submission_id: int) -> Submission:
    """The submission, re-read and locked against concurrent approvals until the transaction ends."""
    _serialize_writers(session)
    submission = session.scalars(
        select(Submission).where(Submission.id == submission_id).with_for_update()
        .execution_options(populate_existing=True)).one_or_none()
    if submission is None:
        raise WritebackError(f"no report with id {submission_id}")
    if submission.regime is None:
        raise WritebackError(f"{_where(submission)} belongs to no regime: it has no approval chain")
    return submission


def _awaiting(session: Session, actor: Actor, submission: Submission, what: str) -> Unit:
    """The unit the submission awaits, when `actor` is one of its approvers; else WritebackError."""
    if submission.status != "submitted":
        raise WritebackError(f"{_where(submission)} cannot be {what}: it is {submission.status}, "
                             f"not awaiting approval")
    level = session.get(Unit, submission.awaiting_unit_id) if submission.awaiting_unit_id else None
    if level is None:
        raise WritebackError(f"{_where(submission)} cannot be {what}: it awaits no unit")
    if actor.role != "approver" or actor.unit_id != level.id:
        raise WritebackError(f"{actor.username} may not act on {_where(submission)}: it awaits an approver "
                             f"of unit {level.code}")
    return level


def _state(session: Session, submission: Submission) -> dict[str, Any]:
    """Status and awaited unit, as the audit log keeps them."""
    awaiting = session.get(Unit, submission.awaiting_unit_id) if submission.awaiting_unit_id else None
    return {"status": submission.status, "awaiting": awaiting.code if awaiting else None}


def _event(session: Session, actor: Actor, submission: Submission, action: str, before: str, level: Unit,
           comment: str | None, now: datetime) -> SubmissionEvent:
    event = SubmissionEvent(submission_id=submission.id, at=now, username=actor.username, action=action,
                            from_status=before, to_status=submission.status, level_unit_id=level.id,
                            comment=comment)
    session.add(event)
    session.flush()
    return event


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def inbox(session: Session, actor: Actor) -> list[Submission]:
    """Reports awaiting the actor's unit, oldest period first."""
    if actor.role != "approver" or actor.unit_id is None:
        return []
    return list(session.scalars(
        select(Submission).where(Submission.status == "submitted", Submission.awaiting_unit_id == actor.unit_id)
        .order_by(Submission.period_code, Submission.submitted_at, Submission.id)))


def approved_by_me(session: Session, actor: Actor, limit: int = 200) -> list[Submission]:
    """Approved reports whose last level is the actor's unit (the ones they may unapprove), newest first."""
    if actor.role != "approver" or actor.unit_id is None:
        return []
    found: list[Submission] = []
    for submission in session.scalars(select(Submission).where(Submission.status == "approved")
                                      .order_by(Submission.approved_at.desc(), Submission.id.desc())):
        if submission.regime is not None and levels(session, submission)[-1].id == actor.unit_id:
            found.append(submission)
            if len(found) >= limit:
                break
    return found


def _approve(session: Session, actor: Actor, submission: Submission, comment: str | None,
             now: datetime) -> Submission:
    level = _awaiting(session, actor, submission, "approved")
    pending = waiting_for(session, submission.unit, submission.regime, submission.period_code)
    if pending:
        raise WritebackError(
            f"{_where(submission)} cannot be approved yet: the reports of {', '.join(unit.code for unit in pending)} "
            f"must first be approved by unit {submission.unit.code}")
    before = _state(session, submission)
    following = next_level(session, submission)
    if following is None:
        user = find_user(session, actor.username)
        submission.status, submission.awaiting_unit_id = "approved", None
        submission.approved_at, submission.approved_by = now, user.id if user else None
    else:
        submission.awaiting_unit_id = following.id
    _event(session, actor, submission, "approve", "submitted", level, comment, now)
    record(session, actor.username, "approve", "submission", submission.id, before,
           _state(session, submission) | {"level": level.code, "comment": comment})
    return submission


def approve(session: Session, actor: Actor, submission_id: int, comment: str | None = None) -> Submission:
    """Approve at the level the report awaits: it moves to the next unit, or at the last one to `approved`."""
    return _approve(session, actor, _locked(session, submission_id), _clean(comment), clock.now_ict())


def _form_cells(session: Session, submission: Submission) -> set[Cell]:
    layout = layout_of(session, submission.form_version)
    return {(row.code, column.code) for row in layout.rows for column in layout.columns}


def return_submission(session: Session, actor: Actor, submission_id: int, comment: str,
                      cell_comments: dict[Cell, str] | None = None) -> Submission:
    """Send the report back to its unit with a comment on the report and/or on cells; status `returned`."""
    submission = _locked(session, submission_id)
    level = _awaiting(session, actor, submission, "returned")
    comment = _clean(comment)
    cells = {cell: text for cell, text in ((cell, _clean(text)) for cell, text in (cell_comments or {}).items())
             if text}
    if comment is None and not cells:
        raise WritebackError(f"returning {_where(submission)} needs a comment on the report or on at least one cell")
    if cells and submission.form_version is not None:
        outside = sorted(set(cells) - _form_cells(session, submission))
        if outside:
            raise WritebackError(f"{_where(submission)} has no cell {cell_key(outside[0])}: "
                                 f"comment only on cells of its form")
    now = clock.now_ict()
    before = _state(session, submission)
    submission.status, submission.awaiting_unit_id, submission.returned_at = "returned", None, now
    event = _event(session, actor, submission, "return", "submitted", level, comment, now)
    session.add_all([CellComment(submission_id=submission.id, event_id=event.id, indicator_code=cell[0],
                                 category_code=cell[1], kind="return", text=text, username=actor.username, at=now)
                     for cell, text in sorted(cells.items())])
    session.flush()
    record(session, actor.username, "return", "submission", submission.id, before,
           _state(session, submission) | {"level": level.code, "comment": comment,
                                 "cell_comments": {cell_key(cell): text for cell, text in sorted(cells.items())}})
    return submission


def unapprove(session: Session, actor: Actor, submission_id: int, reason: str) -> Submission:
    """Take an approved report back to `submitted` at its last level (an approver of that level; reason
    required); the writeback source withdraws its figures from the analytical store."""
    submission = _locked(session, submission_id)
    if submission.status != "approved":
        raise WritebackError(f"{_where(submission)} cannot be unapproved: it is {submission.status}, not approved")
    last = levels(session, submission)[-1]
    if actor.role != "approver" or actor.unit_id != last.id:
        raise WritebackError(f"{actor.username} may not unapprove {_where(submission)}: only an approver of "
                             f"unit {last.code}, its last level, may")
    reason = _clean(reason)
    if reason is None:
        raise WritebackError(f"unapproving {_where(submission)} needs a reason")
    now = clock.now_ict()
    before = _state(session, submission) | {"approved_at": submission.approved_at}
    submission.status, submission.awaiting_unit_id = "submitted", last.id
    submission.approved_at, submission.approved_by = None, None
    _event(session, actor, submission, "unapprove", "approved", last, reason, now)
    record(session, actor.username, "unapprove", "submission", submission.id, before,
           _state(session, submission) | {"reason": reason})
    return submission


def _lower_first(session: Session, submissions: Iterable[Submission]) -> list[Submission]:
    """Reports ordered so that each comes before every report of a unit in its approval chain
    (within one regime and period), so a unit's own report follows its children's."""
    groups: dict[tuple[str | None, str], list[Submission]] = {}
    for submission in sorted(submissions, key=lambda item: (item.regime_code or "", item.period_code, item.id)):
        groups.setdefault((submission.regime_code, submission.period_code), []).append(submission)
    ordered: list[Submission] = []
    for group in groups.values():
        above = {item.id: {step.id for step in approval_chain(session, item.unit, item.regime)} for item in group}
        remaining = sorted(group, key=lambda item: (-len(above[item.id]), item.id))
        while remaining:
            ready = next((item for item in remaining if not any(
                item.unit_id in above[other.id] for other in remaining if other is not item)), remaining[0])
            ordered.append(ready)
            remaining.remove(ready)
    return ordered


def bulk_approve(session: Session, actor: Actor, submission_ids: list[int],
                 comment: str | None = None) -> list[Submission]:
    """Approve many reports in one action, lower units first; any refusal approves none of them."""
    comment = _clean(comment)
    now = clock.now_ict()
    _serialize_writers(session)
    with session.begin_nested():
        submissions = [_locked(session, submission_id) for submission_id in dict.fromkeys(submission_ids)]
        return [_approve(session, actor, submission, comment, now)
                for submission in _lower_first(session, submissions)]


def events(session: Session, submission_id: int) -> list[SubmissionEvent]:
    """Every state change of the report, oldest first."""
    return list(session.scalars(select(SubmissionEvent).where(SubmissionEvent.submission_id == submission_id)
                                .order_by(SubmissionEvent.at, SubmissionEvent.id)))


def changes_since_last_submission(session: Session, submission_id: int) -> dict[Cell, Change]:
    """Cells whose value differs between the two latest submissions: cell -> (before, now); {} before a resubmission."""
    latest = session.scalars(
        select(SubmissionEvent.values_json).where(SubmissionEvent.submission_id == submission_id,
                                                  SubmissionEvent.action == "submit")
        .order_by(SubmissionEvent.id.desc()).limit(2)).all()
    if len(latest) < 2:
        return {}
    now, before = values_from_json(latest[0]), values_from_json(latest[1])
    return {cell: (before.get(cell), now.get(cell)) for cell in sorted(set(now) | set(before))
            if before.get(cell) != now.get(cell)}
