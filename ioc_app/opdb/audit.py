"""Append-only, hash-chained audit log: any later edit of an entry breaks the chain."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ioc_app.clock import now_ict
from ioc_app.opdb.models import AuditEntry

GENESIS = "0" * 64
# Any constant shared by every process that appends to the same PostgreSQL database.
PG_AUDIT_LOCK = 0x10C0A0D1


def to_json(value: Any) -> str | None:
    """Canonical JSON (sorted keys, no spaces); dates, decimals and the like as strings."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(entry: AuditEntry) -> str:
    body = {
        "at": entry.at.isoformat(),
        "username": entry.username,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "old_value": entry.old_value,
        "new_value": entry.new_value,
    }
    return hashlib.sha256((entry.prev_hash + to_json(body)).encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Hold the chain until this transaction ends, so two writers never share a prev_hash.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the database write lock; a
    transaction that has written already holds it, otherwise BEGIN IMMEDIATE takes it.
    """
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_AUDIT_LOCK})
    elif not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def record(
    session: Session,
    username: str,
    action: str,
    entity: str,
    entity_id: object,
    old: Any,
    new: Any,
) -> AuditEntry:
    """Append one entry (old and new are JSON-serialisable values, or None)."""
    _lock_chain(session)
    last = session.scalars(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    entry = AuditEntry(
        at=now_ict(),
        username=username,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        old_value=to_json(old),
        new_value=to_json(new),
        prev_hash=last or GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def verify_chain(session: Session) -> int | None:
    """The id of the first entry that was altered or whose predecessor was removed; None if intact."""
    previous = GENESIS
    for entry in session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    ):
        if entry.prev_hash != previous or entry_hash(entry) != entry.hash:
            return entry.id
        previous = entry.hash
    return None
