"""Everything one demo build shares: the province, its areas, the dates, seeded randomness."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from ioc_app import geo
from ioc_app.demo.profiles import Profile, profile

REFORM_DATE = date(2025, 7, 1)
LAST_OLD_DAY = REFORM_DATE - timedelta(days=1)
YEARS_OF_REPORTS = 3
DAYS_OF_FEEDS = 30


@dataclass(frozen=True)
class DemoContext:
    province_code: str
    province_name: str
    short_name: str
    seed: int
    end_date: date
    scale: float
    profile: Profile
    areas: pd.DataFrame = field(repr=False)
    crosswalk: pd.DataFrame = field(repr=False)

    @property
    def horizon(self) -> datetime:
        """No generated timestamp reaches this instant: midnight at the start of end_date."""
        return datetime.combine(self.end_date, datetime.min.time())

    @property
    def report_start(self) -> date:
        """First day of the reporting window (three years of complete months before end_date)."""
        return date(self.end_date.year - YEARS_OF_REPORTS, self.end_date.month, 1)

    @property
    def feed_start(self) -> datetime:
        return self.horizon - timedelta(days=DAYS_OF_FEEDS)

    @property
    def is_city(self) -> bool:
        return self.province_name.startswith("Thành phố")

    @property
    def level_word(self) -> str:
        """'tỉnh' or 'thành phố', as written after a department's name."""
        return "thành phố" if self.is_city else "tỉnh"

    def rng(self, *parts: str) -> np.random.Generator:
        """An independent, reproducible stream per purpose: adding one never shifts another."""
        keys = [zlib.crc32(part.encode("utf-8")) for part in parts]
        return np.random.default_rng(np.random.SeedSequence([self.seed, int(self.province_code), *keys]))

    def count(self, full: float, minimum: int = 1) -> int:
        return max(minimum, int(round(full * self.scale)))

    def level(self, name: str) -> pd.DataFrame:
        rows = self.areas[self.areas["level"] == name]
        return rows.sort_values("code", kind="stable").reset_index(drop=True)

    @cached_property
    def communes(self) -> pd.DataFrame:
        return self.level("commune")


def make_context(province_code: str, seed: int, end_date: date, scale: float) -> DemoContext:
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    province = geo.resolve_province(str(province_code))
    code = province.code
    areas = geo.areas(code)
    areas["code"] = areas["code"].astype(str)
    return DemoContext(
        province_code=code,
        province_name=province.name,
        short_name=province.short_name,
        seed=int(seed),
        end_date=end_date,
        scale=float(scale),
        profile=profile(code),
        areas=areas,
        crosswalk=geo.crosswalk(code),
    )
