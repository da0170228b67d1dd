"""The only data the public dashboard reads: figures of publications whose status is
'published'. For each indicator and period the newest such publication counts, so a corrected
republication replaces the figures of the earlier one, and an unpublished set disappears at once.

Nothing here touches the lake or a proposal, and every filter is a bound parameter: whatever a
request asks for, it can only narrow the published set.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ioc_app.opdb.models import Publication, PublishedValue
from ioc_app.publishing.service import VALUE_COLUMNS

PUBLIC_COLUMNS = (*VALUE_COLUMNS, "publication_id", "published_at")


def _current():
    """(indicator_code, period) -> the newest published publication holding it."""
    return (select(PublishedValue.indicator_code, PublishedValue.period,
                   func.max(PublishedValue.publication_id).label("publication_id"))
            .join(Publication, Publication.id == PublishedValue.publication_id)
            .where(Publication.status == "published")
            .group_by(PublishedValue.indicator_code, PublishedValue.period)
            .subquery())


def published(session: Session, indicator_code: str | None = None, level: str | None = None) -> pd.DataFrame:
    """The published figures (of one indicator, of one level, or all), with their publication date."""
    current = _current()
    query = (select(*[getattr(PublishedValue, c) for c in VALUE_COLUMNS], PublishedValue.publication_id,
                    Publication.decided_at)
             .join(current, and_(current.c.indicator_code == PublishedValue.indicator_code,
                                 current.c.period == PublishedValue.period,
                                 current.c.publication_id == PublishedValue.publication_id))
             .join(Publication, Publication.id == PublishedValue.publication_id)
             .where(Publication.status == "published"))
    if indicator_code is not None:
        query = query.where(PublishedValue.indicator_code == indicator_code)
    if level is not None:
        query = query.where(PublishedValue.level == level)
    rows = session.execute(query.order_by(PublishedValue.indicator_code, PublishedValue.period_start,
                                          PublishedValue.area_name)).all()
    return pd.DataFrame(rows, columns=list(PUBLIC_COLUMNS))


def last_publication(session: Session) -> pd.Timestamp | None:
    """When the public set last changed by a publication (the page's 'updated on')."""
    return session.scalar(select(func.max(Publication.decided_at)).where(Publication.status == "published"))
