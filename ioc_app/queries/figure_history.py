"""A unit's approved figures from the analytical store: what the entry grid shows beside each
cell (previous period, same period last year) and what the outlier check compares with.

A figure re-approved after a correction is a new row of fact_indicator_value; the latest
approved one counts, as in the rollups (pipelines/rollups.py)."""
from __future__ import annotations

import duckdb
import pandas as pd

from ioc_app.opdb.models import Period
from ioc_app.writeback.outliers import period_season

Cell = tuple[str, str]
_PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "year": 1}


def unit_history(con: duckdb.DuckDBPyConnection, area_key: str, indicator_codes: list[str]) -> pd.DataFrame:
    """The area's latest approved figure of each indicator, category and period, oldest first:
    indicator_code, category_code, period, period_start, value."""
    return con.execute("""
        SELECT indicator_code, category_code, period, period_start, value
        FROM fact_indicator_value
        WHERE area_key = ? AND list_contains(?::VARCHAR[], indicator_code)
        QUALIFY row_number() OVER (PARTITION BY indicator_code, category_code, period
                                   ORDER BY approved_at DESC NULLS LAST, submission_id DESC) = 1
        ORDER BY indicator_code, category_code, period_start, period""", [area_key, indicator_codes]).df()


def previous_values(history: pd.DataFrame, period: Period) -> dict[Cell, tuple[float | None, float | None]]:
    """Per cell of the history: (figure of the period before `period`, figure of the same period a
    year earlier, the same one for a year), None where there is none. Empty for periods without a season (ad hoc)."""
    season = period_season(period.code)
    if season is None or season[0] != period.type:
        return {}
    kind, year, position = season
    before = (kind, year, position - 1) if position > 1 else (kind, year - 1, _PER_YEAR[kind])
    last_year = (kind, year - 1, position)
    found: dict[Cell, list[float | None]] = {}
    for indicator, category, code, value in zip(history["indicator_code"], history["category_code"],
                                                history["period"], history["value"]):
        season = period_season(str(code))
        for slot, wanted in enumerate((before, last_year)):
            if season == wanted:
                found.setdefault((indicator, category), [None, None])[slot] = None if pd.isna(value) else float(value)
    return {cell: (pair[0], pair[1]) for cell, pair in found.items()}
