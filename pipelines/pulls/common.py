"""What every pull needs: a lake connection, the source name of a URL, ICT times on the wire."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb
import pandas as pd

from ioc_app.config import Settings
from ioc_app.lake import connect, ensure_schema
from pipelines.checks import to_ict
from pipelines.pulls.http import redact


@contextmanager
def lake(settings: Settings, con: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The caller's connection, or an own one (schema ensured) closed at the end."""
    if con is not None:
        yield con
        return
    with connect(settings) as own:
        ensure_schema(own)
        yield own


def source_name(settings: Settings, origin: str, url: str) -> str:
    """The configured source pulling `url` with `origin` ("open311" / "sensorthings"), so a manual pull
    shares its watermark with the scheduler; otherwise "<origin>:<url>" (credentials masked)."""
    wanted = url.rstrip("/")
    for source in settings.sources:
        configured = getattr(source, origin, None)
        if configured is not None and configured.rstrip("/") == wanted:
            return source.name
    return f"{origin}:{redact(wanted)}"


def wire_time(moment: datetime) -> str:
    """A naive ICT time as ISO 8601 with its +07:00 offset (what the services compare against)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "+07:00"


def newest(values: pd.Series) -> datetime | None:
    """The latest parseable time of a column of ISO texts, as naive ICT; None when there is none."""
    parsed = to_ict(values) if len(values) else pd.Series([], dtype="datetime64[us]")
    latest = parsed.max()
    return None if pd.isna(latest) else latest.to_pydatetime()
