"""When the scheduler makes a backup: the configured weekdays at the configured time (ICT).

A slot missed while the scheduler was stopped is made up at its next start, when there is a
previous backup to compare with; a new installation's first scheduled backup is at the next
slot (`ioc backup` makes one at once). A failed backup is tried again after RETRY.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from ioc_app.config import WEEKDAYS, BackupSettings

RETRY = timedelta(hours=1)


def _slots(backup: BackupSettings, around: datetime, days: range):
    hour, minute = backup.at.split(":")
    for offset in days:
        day = (around + timedelta(days=offset)).date()
        if WEEKDAYS[day.weekday()] in backup.days:
            yield datetime.combine(day, time(int(hour), int(minute)))


def latest_slot(backup: BackupSettings, now: datetime) -> datetime:
    """The newest scheduled moment at or before `now`."""
    return next(moment for moment in _slots(backup, now, range(0, -8, -1)) if moment <= now)


def next_slot(backup: BackupSettings, now: datetime) -> datetime:
    """The first scheduled moment after `now`."""
    return next(moment for moment in _slots(backup, now, range(0, 8)) if moment > now)


def first_due(backup: BackupSettings, now: datetime, last_ok: datetime | None) -> datetime:
    """When a scheduler starting at `now` makes its first backup: now when the last successful
    backup is older than the latest slot, else at the next slot."""
    if last_ok is not None and last_ok < latest_slot(backup, now):
        return now
    return next_slot(backup, now)
