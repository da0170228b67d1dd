"""The publication workflow: propose a set of approved figures, an editor publishes or rejects
it with a comment, an editor unpublishes it with a reason. Every step is audited.

A proposal copies its figures from the lake into `published_values` at once, sealed by a
SHA-256 digest: the preview, the editor's decision and the public page all see the same
numbers, and a later change in the lake reaches the public only through a new publication.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.clock import now_ict
from ioc_app.errors import IocError
from ioc_app.opdb.audit import record, to_json
from ioc_app.opdb.models import PUBLICATION_LEVELS, Publication, PublishedValue
from ioc_app.writeback.actor import Actor

PROPOSER_ROLES = ("leader", "dept_head", "approver", "editor")
EDITOR_ROLES = ("editor",)
VALUE_COLUMNS = ("indicator_code", "name_vi", "name_en", "unit", "sector", "direction", "digits", "period",
                 "period_type", "period_start", "area_key", "area_code", "area_name", "level", "value",
                 "source_units", "source_count", "approved_at")
ENTITY = "publication"


class PublishingError(IocError):
    """A publication step refused: the message names the publication and the reason."""


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _digest(rows: list[dict]) -> str:
    """SHA-256 of the figures as the public will see them (order-independent)."""
    keys = ("indicator_code", "period", "area_key", "value", "approved_at")
    body = sorted(to_json({key: row[key] for key in keys}) for row in rows)
    return hashlib.sha256("\n".join(body).encode("utf-8")).hexdigest()


def _rows(publication: Publication) -> list[dict]:
    return [{column: getattr(value, column) for column in VALUE_COLUMNS} for value in publication.values]


def _plain(value):
    """pandas scalars as the plain Python values the database and the digest take."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def _title(codes: list[str], periods: list[str]) -> str:
    ordered = sorted(periods)
    span = ordered[0] if len(ordered) == 1 else f"{ordered[0]} – {ordered[-1]}"
    return f"{', '.join(codes)} · {span}"


def propose(session: Session, actor: Actor, figures: pd.DataFrame, sources: pd.DataFrame, snapshot: int,
            level: str, note: str | None = None, title: str | None = None) -> Publication:
    """A new proposal of `figures` (queries.publishing.figures) with their `sources`
    (queries.publishing.sources), read at lake snapshot `snapshot`."""
    if actor.role not in PROPOSER_ROLES:
        raise PublishingError(f"{actor.username} may not propose figures for publication (role {actor.role})")
    if level not in PUBLICATION_LEVELS:
        raise PublishingError(f"unknown publication level {level!r} (known: {', '.join(PUBLICATION_LEVELS)})")
    if figures.empty:
        raise PublishingError("no approved figures for the chosen indicators and periods: nothing to publish")
    merged = figures.merge(sources, on=["indicator_code", "period"], how="left").fillna(
        {"source_units": "", "source_count": 0})
    rows = [{column: _plain(row[column]) for column in VALUE_COLUMNS} for row in merged.to_dict("records")]
    for row in rows:
        row["source_count"] = int(row["source_count"])
        row["period_start"] = row["period_start"].date() if isinstance(row["period_start"], datetime) \
            else row["period_start"]
    codes = sorted(set(figures["indicator_code"]))
    periods = sorted(set(figures["period"]))
    publication = Publication(
        title=_clean(title) or _title(codes, periods), level=level, status="proposed", note=_clean(note),
        lake_snapshot=snapshot, digest=_digest(rows), proposed_by=actor.username, proposed_at=now_ict(),
        values=[PublishedValue(**row) for row in rows])
    session.add(publication)
    session.flush()
    record(session, actor.username, "propose", ENTITY, publication.id, None,
           {"title": publication.title, "indicators": codes, "periods": periods, "level": level,
            "figures": len(rows), "digest": publication.digest, "lake_snapshot": snapshot, "note": publication.note})
    return publication


def missing_pairs(figures: pd.DataFrame, codes: list[str], periods: list[str]) -> list[str]:
    """'CODE/PERIOD' of the requested pairs without an approved province figure."""
    province = figures[figures["level"] == "province"]
    have = set(zip(province["indicator_code"], province["period"]))
    return [f"{code}/{period}" for code in codes for period in periods if (code, period) not in have]


def _locked(session: Session, publication_id: int) -> Publication:
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    publication = session.scalars(select(Publication).where(Publication.id == publication_id)
                                  .with_for_update()).one_or_none()
    if publication is None:
        raise PublishingError(f"no publication with id {publication_id}")
    return publication


def _editor(actor: Actor, what: str, publication: Publication) -> None:
    if actor.role not in EDITOR_ROLES:
        raise PublishingError(f"{actor.username} may not {what} publication {publication.id}: "
                              f"only the editorial board (role editor) may")


def decide(session: Session, actor: Actor, publication_id: int, approve: bool, comment: str | None) -> Publication:
    """The editorial board's decision on a proposal: publish it, or reject it with a comment.
    Four eyes: the editor who proposed a set may not publish it."""
    publication = _locked(session, publication_id)
    what = "publish" if approve else "reject"
    _editor(actor, what, publication)
    if publication.status != "proposed":
        raise PublishingError(f"publication {publication.id} cannot be {what}ed: it is {publication.status}, "
                              "not proposed")
    comment = _clean(comment)
    if not approve and comment is None:
        raise PublishingError(f"rejecting publication {publication.id} needs a comment for the proposer")
    if approve and publication.proposed_by == actor.username:
        raise PublishingError(f"{actor.username} proposed publication {publication.id} and may not publish it: "
                              "another editor decides")
    if approve and _digest(_rows(publication)) != publication.digest:
        raise PublishingError(f"the figures of publication {publication.id} changed after they were proposed: "
                              "reject it and propose the set again")
    publication.status = "published" if approve else "rejected"
    publication.decided_by, publication.decided_at, publication.decision_comment = actor.username, now_ict(), comment
    record(session, actor.username, what, ENTITY, publication.id, {"status": "proposed"},
           {"status": publication.status, "comment": comment, "digest": publication.digest})
    return publication


def unpublish(session: Session, actor: Actor, publication_id: int, reason: str | None) -> Publication:
    """Take a published set off the public page (at once), with the reason on record."""
    publication = _locked(session, publication_id)
    _editor(actor, "unpublish", publication)
    if publication.status != "published":
        raise PublishingError(f"publication {publication.id} cannot be unpublished: it is {publication.status}, "
                              "not published")
    reason = _clean(reason)
    if reason is None:
        raise PublishingError(f"unpublishing publication {publication.id} needs a reason")
    publication.status = "unpublished"
    publication.unpublished_by, publication.unpublished_at, publication.unpublish_reason = (
        actor.username, now_ict(), reason)
    record(session, actor.username, "unpublish", ENTITY, publication.id, {"status": "published"},
           {"status": "unpublished", "reason": reason})
    return publication


def publications(session: Session, limit: int = 200) -> list[Publication]:
    """The newest publications first, whatever their status."""
    return list(session.scalars(select(Publication).order_by(Publication.id.desc()).limit(limit)))


def values(session: Session, publication_id: int) -> pd.DataFrame:
    """The figures of one publication, as the public page would show them."""
    rows = session.execute(select(*[getattr(PublishedValue, c) for c in VALUE_COLUMNS])
                           .where(PublishedValue.publication_id == publication_id)).all()
    return pd.DataFrame(rows, columns=list(VALUE_COLUMNS))
