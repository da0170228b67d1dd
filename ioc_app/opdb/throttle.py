"""Login throttling: after repeated failures an account name or a client address must wait.

The counters live in the operational DB so every gunicorn worker and every machine behind a
load balancer sees the same ones. A key is an account name as typed (normalised) or an
address; unknown names are counted like real ones, so a lockout says nothing about whether
an account exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from ioc_app.opdb.models import LoginThrottle

ACCOUNT = "account"
ADDRESS = "address"
KEY_LENGTH = 128
# Any constant shared by every process that counts failures in the same PostgreSQL database.
PG_THROTTLE_LOCK = 0x10C0_7410


@dataclass(frozen=True)
class Backoff:
    """After `after` failures a key waits `base_seconds`, doubling per further failure up to
    `max_seconds`; failures are forgotten `forget_seconds` after the last one."""

    after: int
    base_seconds: float
    max_seconds: float
    forget_seconds: float

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure in a row (0 below the threshold)."""
        if failures < self.after:
            return 0.0
        return min(self.base_seconds * 2 ** min(failures - self.after, 32), self.max_seconds)


@dataclass(frozen=True)
class Lockout:
    kind: str
    key: str
    failures: int
    seconds: float


def _key(key: str) -> str:
    return key[:KEY_LENGTH]


def _lock(session: Session) -> None:
    """Serialise counter updates until the transaction ends (same scheme as the audit chain)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_THROTTLE_LOCK})
    elif not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def seconds_left(session: Session, keys: Iterable[tuple[str, str]], now: datetime) -> float:
    """The longest wait still running for any of the (kind, key) pairs; 0 when none is locked."""
    left = 0.0
    for kind, key in keys:
        row = session.get(LoginThrottle, (kind, _key(key)))
        if row is not None and row.locked_until is not None and row.locked_until > now:
            left = max(left, (row.locked_until - now).total_seconds())
    return left


def register_failure(
    session: Session, keys: Iterable[tuple[str, str, Backoff]], now: datetime
) -> list[Lockout]:
    """Count one failure against each (kind, key, backoff); the lockouts this failure started."""
    _lock(session)
    started: list[Lockout] = []
    for kind, key, backoff in keys:
        row = session.get(LoginThrottle, (kind, _key(key)), populate_existing=True)
        if row is None:
            row = LoginThrottle(kind=kind, key=_key(key), failures=0, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at >= timedelta(seconds=backoff.forget_seconds):
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        wait = backoff.wait_after(row.failures)
        row.locked_until = now + timedelta(seconds=wait) if wait else None
        if wait:
            started.append(Lockout(kind, row.key, row.failures, wait))
    session.flush()
    return started


def clear(session: Session, kind: str, key: str) -> None:
    """Forget the failures of one key (after a successful sign-in or an administrator's reset)."""
    row = session.get(LoginThrottle, (kind, _key(key)))
    if row is not None:
        session.delete(row)
        session.flush()

