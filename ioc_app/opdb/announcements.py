"""Maintenance announcements (R-15): set by an administrator at least 24 hours before the planned
start, shown on every page from when they are set until their planned end, audited."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.errors import IocError
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import Announcement

NOTICE = timedelta(hours=24)
MAX_TEXT = 500
LONGEST = timedelta(days=7)


class AnnouncementRefused(IocError):
    """An announcement that breaks a rule; `key` and `params` give the message in the user's language."""

    def __init__(self, key: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


def _check(text_vi: str, text_en: str, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if not text_vi.strip():
        raise AnnouncementRefused("ann_need_vi", "the Vietnamese text is empty")
    if not text_en.strip():
        raise AnnouncementRefused("ann_need_en", "the English text is empty")
    if max(len(text_vi), len(text_en)) > MAX_TEXT:
        raise AnnouncementRefused("ann_too_long", f"a text is longer than {MAX_TEXT} characters", n=MAX_TEXT)
    earliest = now + NOTICE
    if starts_at < earliest:
        raise AnnouncementRefused("ann_too_soon", f"the start must be at least 24 hours ahead "
                                                  f"(not before {earliest:%Y-%m-%d %H:%M} ICT)", earliest=earliest)
    if ends_at <= starts_at:
        raise AnnouncementRefused("ann_end_first", "the end must come after the start")
    if ends_at - starts_at > LONGEST:
        raise AnnouncementRefused("ann_too_long_window", "a maintenance window lasts at most 7 days", days=7)


def announce(session: Session, username: str, text_vi: str, text_en: str, starts_at: datetime,
             ends_at: datetime, now: datetime) -> Announcement:
    """Store and audit a new announcement; AnnouncementRefused when it breaks a rule (nothing stored)."""
    _check(text_vi, text_en, starts_at, ends_at, now)
    announcement = Announcement(text_vi=text_vi.strip(), text_en=text_en.strip(), starts_at=starts_at,
                                ends_at=ends_at, created_at=now, created_by=username)
    session.add(announcement)
    session.flush()
    record(session, username, "announcement_create", "announcement", announcement.id, None,
           {"text_vi": announcement.text_vi, "text_en": announcement.text_en,
            "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    return announcement


def withdraw(session: Session, username: str, announcement_id: int, now: datetime) -> Announcement:
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.withdrawn_at is not None:
        raise AnnouncementRefused("ann_gone", f"announcement {announcement_id} does not exist or was withdrawn")
    announcement.withdrawn_at, announcement.withdrawn_by = now, username
    record(session, username, "announcement_withdraw", "announcement", announcement.id, None,
           {"withdrawn_at": now.isoformat()})
    return announcement


def current(session: Session, now: datetime) -> list[Announcement]:
    """The announcements to show now: set, not withdrawn, not yet ended; soonest first."""
    return list(session.scalars(select(Announcement).where(Announcement.withdrawn_at.is_(None),
                                                           Announcement.ends_at > now)
                                .order_by(Announcement.starts_at, Announcement.id)))


def recent(session: Session, limit: int) -> list[Announcement]:
    """The newest announcements, whatever their state (the administrators' list)."""
    return list(session.scalars(select(Announcement).order_by(Announcement.created_at.desc(),
                                                              Announcement.id.desc()).limit(limit)))
