"""The reporting periods: months, quarters, halves and years, coded '2025-07', '2025-Q3', '2025-H2', '2025'."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ioc_app.errors import IocError
from ioc_app.opdb.models import Period

MONTHS_PER_TYPE = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def _code(kind: str, year: int, month: int) -> str:
    if kind == "month":
        return f"{year}-{month:02d}"
    if kind == "quarter":
        return f"{year}-Q{(month - 1) // 3 + 1}"
    if kind == "half":
        return f"{year}-H{(month - 1) // 6 + 1}"
    return str(year)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def periods_between(start: date, end: date) -> Iterator[Period]:
    """Every period of each type that overlaps [start, end], as unsaved rows."""
    if end < start:
        raise IocError(f"period range ends ({end}) before it starts ({start})")
    for kind, span in MONTHS_PER_TYPE.items():
        year, month = start.year, (start.month - 1) // span * span + 1
        while (first := _month_start(year, month)) <= end:
            last = _month_start(year, month + span) - timedelta(days=1)
            yield Period(code=_code(kind, year, month), type=kind, start_date=first, end_date=last)
            year, month = (year + 1, 1) if month + span > 12 else (year, month + span)


_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def fill_periods(session: Session, start: date, end: date) -> int:
    """Add the periods overlapping [start, end] that are missing; returns how many were added.

    Several requests fill the first days of a new month at once (each page's callbacks do), so
    a period another transaction has just added is skipped rather than refused as a duplicate."""
    wanted = list(periods_between(start, end))
    stored = set(session.scalars(select(Period.code).where(Period.code.in_([p.code for p in wanted]))))
    missing = [{"code": p.code, "type": p.type, "start_date": p.start_date, "end_date": p.end_date}
               for p in wanted if p.code not in stored]
    if not missing:
        return 0
    insert = _INSERT[session.get_bind().dialect.name]
    added = insert(Period).values(missing).on_conflict_do_nothing(index_elements=["code"]).returning(Period.code)
    return len(session.execute(added).all())
