"""The approval chain: which units' approvers act on a report, in order, and who waits for whom.

A report climbs the unit tree to the province office. When its regime names a receiving
unit (a department that checks and aggregates the figures, R-02/R-32), that unit acts just
before the province office: a commune's report goes commune -> department -> province
office; a former district's commune before July 2025 went commune -> district -> department
-> office. A unit's own report waits until every report that climbs through it is approved
at its level.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.opdb.models import Regime, RegimeUnit, Submission, Unit


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The unit's parent, grandparent ... up to the root."""
    found: list[Unit] = []
    parent_id = unit.parent_id
    while parent_id is not None and all(parent.id != parent_id for parent in found):
        parent = session.get(Unit, parent_id)
        if parent is None:
            break
        found.append(parent)
        parent_id = parent.parent_id
    return found


def descendants(session: Session, unit_id: int) -> set[int]:
    """Ids of every unit below `unit_id` (not itself)."""
    children: dict[int, list[int]] = {}
    for child_id, parent_id in session.execute(select(Unit.id, Unit.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(child_id)
    found: set[int] = set()
    todo = list(children.get(unit_id, []))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def approval_chain(session: Session, unit: Unit, regime: Regime) -> list[Unit]:
    """The units whose approvers act on `unit`'s report under `regime`, first to last.

    Empty for the root (the province office): its own approver approves its report, the
    receiving unit acts only before the office."""
    chain = ancestors(session, unit)
    receiver = regime.receiver
    if chain and receiver is not None and receiver.id != unit.id and all(step.id != receiver.id for step in chain):
        chain.insert(len(chain) - 1, receiver)
    return chain


def levels(session: Session, submission: Submission) -> list[Unit]:
    """The units that act on a submission, first to last: its chain, or its own unit when the chain is empty."""
    return approval_chain(session, submission.unit, submission.regime) or [submission.unit]


def next_level(session: Session, submission: Submission) -> Unit | None:
    """The unit that acts after the one the submission awaits now; None when that one is the last."""
    chain = approval_chain(session, submission.unit, submission.regime)
    ids = [step.id for step in chain]
    if submission.awaiting_unit_id not in ids:
        return chain[0] if chain else None
    position = ids.index(submission.awaiting_unit_id)
    return chain[position + 1] if position + 1 < len(chain) else None


def passed(session: Session, submission: Submission | None, level: Unit) -> bool:
    """Whether `submission` has been approved at `level` (or beyond it)."""
    if submission is None or submission.status in ("draft", "returned"):
        return False
    if submission.status == "approved":
        return True
    ids = [step.id for step in approval_chain(session, submission.unit, submission.regime)]
    if level.id not in ids or submission.awaiting_unit_id not in ids:
        return False
    return ids.index(submission.awaiting_unit_id) > ids.index(level.id)


def waiting_for(session: Session, unit: Unit, regime: Regime, period_code: str) -> list[Unit]:
    """Reporting units of `regime` whose report climbs through `unit` and is not yet approved
    at `unit`'s level for `period_code`: `unit`'s own report cannot be approved before them."""
    reporters = session.scalars(
        select(Unit).join(RegimeUnit, RegimeUnit.unit_id == Unit.id).where(RegimeUnit.regime_code == regime.code)
        .order_by(Unit.code)
    ).all()
    reports = {submission.unit_id: submission for submission in session.scalars(select(Submission).where(
        Submission.regime_code == regime.code, Submission.period_code == period_code))}
    pending: list[Unit] = []
    for reporter in reporters:
        if reporter.id == unit.id:
            continue
        if all(step.id != unit.id for step in approval_chain(session, reporter, regime)):
            continue
        if not passed(session, reports.get(reporter.id), unit):
            pending.append(reporter)
    return pending
