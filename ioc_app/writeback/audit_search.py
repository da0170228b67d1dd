"""Searching the audit log (R-10) and showing an entry's old -> new change readably."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ioc_app.opdb.models import AuditEntry

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    """Blank fields do not filter; `user`, `action`, `entity` and `entity_id` match exactly,
    `text` matches inside the old or the new value (case-insensitive), dates are inclusive."""

    user: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _conditions(wanted: AuditFilter) -> list:
    found = []
    for column, value in ((AuditEntry.username, wanted.user), (AuditEntry.action, wanted.action),
                          (AuditEntry.entity, wanted.entity), (AuditEntry.entity_id, wanted.entity_id)):
        if value and value.strip():
            found.append(column == value.strip())
    if wanted.since is not None:
        found.append(AuditEntry.at >= datetime.combine(wanted.since, time()))
    if wanted.until is not None:
        found.append(AuditEntry.at < datetime.combine(wanted.until + timedelta(days=1), time()))
    if wanted.text and wanted.text.strip():
        needle = wanted.text.strip()
        found.append(or_(AuditEntry.old_value.icontains(needle, autoescape=True),
                         AuditEntry.new_value.icontains(needle, autoescape=True)))
    return found


def search(session: Session, wanted: AuditFilter, page: int = 0, page_size: int = PAGE_SIZE) -> AuditPage:
    """One page of the entries matching `wanted`, newest first (`page` counts from 0)."""
    conditions = _conditions(wanted)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    last_page = max(0, -(-total // page_size) - 1)
    page = min(max(page, 0), last_page)
    entries = session.scalars(select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc())
                              .offset(page * page_size).limit(page_size)).all()
    return AuditPage(list(entries), total, page, page_size)


def choices(session: Session) -> tuple[list[str], list[str]]:
    """(actions, entities) present in the log, for the search form's lists."""
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    entities = session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)).all()
    return list(actions), list(entities)


def _parsed(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects as one level of dotted keys: {"cells": {"A/total": 1}} -> {"cells.A/total": 1}."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, inner in value.items():
        flat |= _flat(inner, f"{prefix}.{key}" if prefix else str(key))
    return flat


def changes(old_value: str | None, new_value: str | None) -> list[tuple[str, Any, Any]]:
    """(key, old, new) for each key whose value differs between two JSON objects, nested keys
    dotted; a value that is not an object compares as a whole under the key ''."""
    old, new = _parsed(old_value), _parsed(new_value)
    if isinstance(old, dict) or isinstance(new, dict):
        old_map = _flat(old) if isinstance(old, dict) else {}
        new_map = _flat(new) if isinstance(new, dict) else {}
        keys = sorted(old_map.keys() | new_map.keys())
        return [(key, old_map.get(key), new_map.get(key)) for key in keys if old_map.get(key) != new_map.get(key)]
    return [] if old == new else [("", old, new)]
