"""One ingestion run: its id, lineage and the report it returns."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from ioc_app.clock import now_ict
from ioc_app.config import Settings
from pipelines.checks import PROBLEM_COLUMNS


@dataclass(frozen=True)
class BatchReport:
    read: int
    loaded: int
    quarantined: int
    reasons: dict[str, int]
    batch_id: str
    unchanged: bool = False  # the same content was loaded before: nothing read, nothing written


@dataclass
class Batch:
    con: duckdb.DuckDBPyConnection
    settings: Settings
    kind: str
    path: Path | None
    source_name: str | None = None  # the configured source (scheduler, pulls); else the file name
    batch_id: str = field(default_factory=lambda: f"{now_ict():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}")
    started_at: datetime = field(default_factory=lambda: now_ict().replace(microsecond=0))

    @property
    def source(self) -> str:
        return self.source_name or (self.path.name if self.path else "geo")

    @property
    def file(self) -> str | None:
        return str(self.path) if self.path else None

    def with_lineage(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame plus batch_id, source and loaded_at columns."""
        return frame.assign(batch_id=self.batch_id, source=self.source, loaded_at=pd.Timestamp(self.started_at))


@dataclass
class LoadResult:
    """What a kind loader did inside the batch's transaction."""

    read: int
    loaded: int
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))

    @property
    def quarantined(self) -> int:
        return int(self.problems["row_number"].nunique()) if len(self.problems) else 0
