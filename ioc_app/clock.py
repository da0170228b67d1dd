"""Time as the stores keep it: naive local time of Vietnam (ICT, UTC+7)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

ICT = timezone(timedelta(hours=7), "ICT")


def now_ict() -> datetime:
    return datetime.now(ICT).replace(tzinfo=None)


def today_ict() -> date:
    return now_ict().date()
