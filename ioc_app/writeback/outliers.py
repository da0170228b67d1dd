"""Figures unusual against the unit's own history, knowing seasons (flagged, never blocking).

A figure is compared with the same period of earlier years (same month, quarter or half),
not with the mean of all periods: a harvest quarter five times the others is normal for
rice output, and a mean +/- 2 SD band over all quarters flags it every year.

For one cell's series (periods of the same type, before the period entered):
- year-on-year changes: log(value / value of the same period a year earlier), over every
  period of the series (a year-on-year change has no seasonal pattern left, so all seasons
  measure the same noise and two years of quarters already give four changes);
- growth: their median; spread: 1.4826 x their median absolute deviation (MAD), at least
  MIN_SPREAD, so a very smooth history does not turn every small change into a flag;
- expected: the median of the same period of the last EXPECTED_YEARS years, each carried
  forward by the growth;
- flag when |log(figure / expected)| > THRESHOLD x spread (3.5: the usual cut for a robust
  z-score). Medians and MAD ignore one bad year in the history, which a mean and SD do not.

No flag without at least one earlier same period and MIN_CHANGES year-on-year changes.
Ratios need positive figures: a zero (or negative) figure is flagged only when the same
period was always positive before; a period that was zero before is not judged.
"""
from __future__ import annotations

import math
import re
from statistics import median
from typing import TYPE_CHECKING

import pandas as pd

from ioc_app.writeback.problems import Problem

if TYPE_CHECKING:
    from ioc_app.opdb.models import Period

Cell = tuple[str, str]
Season = tuple[int, int]

THRESHOLD = 3.5
MIN_SPREAD = 0.1
MIN_CHANGES = 3
EXPECTED_YEARS = 3
MAD_TO_SD = 1.4826

_CODES = (
    ("month", re.compile(r"(\d{4})-(0[1-9]|1[0-2])")),
    ("quarter", re.compile(r"(\d{4})-Q([1-4])")),
    ("half", re.compile(r"(\d{4})-H([12])")),
    ("year", re.compile(r"(\d{4})()")),
)
_SAME = {"month": "same month of", "quarter": "same quarter of", "half": "same half-year of", "year": "trend of"}


def show(value: float) -> str:
    """A figure as a person reads it in English: thousands separated, no trailing zeros."""
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _about(value: float) -> str:
    """Two significant digits: 1,234 -> 1,200."""
    if value == 0:
        return "0"
    return show(round(value, 1 - math.floor(math.log10(abs(value)))))


def period_season(code: str) -> tuple[str, int, int] | None:
    """(type, year, position in the year) of '2025-07', '2025-Q3', '2025-H2', '2025'; None for others."""
    for kind, pattern in _CODES:
        match = pattern.fullmatch(code)
        if match:
            return kind, int(match[1]), int(match[2] or 1)
    return None


def _series(history: pd.DataFrame, kind: str, before: Season) -> dict[Cell, dict[Season, float]]:
    series: dict[Cell, dict[Season, float]] = {}
    for indicator, category, period, value in zip(history["indicator_code"], history["category_code"],
                                                  history["period"], history["value"]):
        season = period_season(str(period))
        if season is None or season[0] != kind or pd.isna(value) or season[1:] >= before:
            continue
        series.setdefault((indicator, category), {})[season[1:]] = float(value)
    return series


def _changes(points: dict[Season, float]) -> list[float]:
    return [math.log(value / points[(year - 1, position)]) for (year, position), value in points.items()
            if value > 0 and points.get((year - 1, position), 0) > 0]


def _judge(value: float, points: dict[Season, float], season: Season) -> tuple[float, list[int]] | None:
    """(expected, years it comes from) when `value` is unusual for this series, else None."""
    year, position = season
    same = sorted((y, v) for (y, p), v in points.items() if p == position)[-EXPECTED_YEARS:]
    changes = _changes(points)
    if not same or len(changes) < MIN_CHANGES:
        return None
    growth = median(changes)
    spread = max(MAD_TO_SD * median(abs(change - growth) for change in changes), MIN_SPREAD)
    projected = [v * math.exp(growth * (year - y)) for y, v in same if v > 0]
    if not projected:
        return None
    expected = median(projected)
    if value > 0:
        unusual = abs(math.log(value / expected)) > THRESHOLD * spread
    else:
        unusual = len(projected) == len(same)
    return (expected, [y for y, _ in same]) if unusual else None


def unusual_values(period: Period, values: dict[Cell, float | None], history: pd.DataFrame) -> list[Problem]:
    """Non-blocking problems for figures far from what the unit's own seasonal history expects.

    `history`: columns indicator_code, category_code, period (code), value; the unit's
    approved figures (figure_history.unit_history). Periods other than month, quarter,
    half and year (ad hoc spans) have no season and are never flagged."""
    season = period_season(period.code)
    if season is None or season[0] != period.type or history.empty:
        return []
    kind, year, position = season
    series = _series(history, kind, (year, position))
    problems = []
    for (indicator, category), value in values.items():
        points = series.get((indicator, category))
        if points is None or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        verdict = _judge(value, points, (year, position))
        if verdict is None:
            continue
        expected, years = verdict
        span = str(years[0]) if years[0] == years[-1] else f"{years[0]}-{years[-1]}"
        problems.append(Problem(f"unusual: expected about {_about(expected)} ({_SAME[kind]} {span}), "
                                f"got {show(value)}", row=indicator, column=category, blocking=False))
    return problems
