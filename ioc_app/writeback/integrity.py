"""Is anything tampered with? The audit log's hash chain, and every signed report's digest and signature."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ioc_app.config import Settings
from ioc_app.errors import IocError, StoreError
from ioc_app.opdb.audit import verify_chain
from ioc_app.opdb.models import AuditEntry, Submission
from ioc_app.opdb.session import check_database, engine_for, session_scope
from ioc_app.writeback.signing import Signer, content_digest

SIGNED_STATES = ("submitted", "approved")
BATCH = 500


def _broken_report(submission: Submission, signer: Signer) -> str | None:
    where = (f"report of unit {submission.unit.code} for period {submission.period_code} "
             f"({submission.regime_code}, id {submission.id})")
    if not submission.digest or not submission.signature:
        return f"{where} is {submission.status} but not signed"
    if content_digest(submission) != submission.digest:
        return f"{where}: its stored content no longer matches the digest signed at submission"
    if not signer.verify(submission.digest, submission.signature):
        return f"{where}: the signature does not match its digest (or another key signed it)"
    return None


def verify_all(session: Session, signer: Signer) -> str | None:
    """None when the audit chain and every submitted or approved report check out, else the first broken entry."""
    broken = verify_chain(session)
    if broken is not None:
        return f"audit log entry {broken} was altered, or the entry before it was removed"
    signed = (select(Submission).where(Submission.status.in_(SIGNED_STATES)).order_by(Submission.id)
              .options(selectinload(Submission.values), selectinload(Submission.unit))
              .execution_options(yield_per=BATCH))
    for submission in session.scalars(signed):
        problem = _broken_report(submission, signer)
        if problem is not None:
            return problem
    return None


def verify_installation(settings: Settings) -> str:
    """`ioc audit verify`: a one-line summary when everything checks out; IocError naming the first broken entry."""
    problems = check_database(settings.database_url)
    if problems:
        raise StoreError(f"operational DB {problems[0]}")
    signer = Signer.for_settings(settings)
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as session:
            broken = verify_all(session, signer)
            entries = session.scalar(select(func.count(AuditEntry.id)))
            reports = session.scalar(select(func.count(Submission.id)).where(Submission.status.in_(SIGNED_STATES)))
    finally:
        engine.dispose()
    if broken is not None:
        raise IocError(f"audit verify: {broken}")
    return f"ok: audit log intact ({entries} entries), {reports} signed reports verified"
