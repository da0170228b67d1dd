"""Approved report figures -> fact_indicator_value, and the agg_indicator_area rollup."""
from __future__ import annotations

import re

import pandas as pd

from pipelines import rollups
from pipelines.areas import AreaIndex
from pipelines.batch import Batch, LoadResult
from pipelines.checks import Checker
from pipelines.readers import require_columns
from pipelines.store import append_new, stage

REQUIRED = ["submission_id", "unit_code", "indicator_code", "period", "area_code", "category_code", "value",
            "approved_at"]
KEY = ["indicator_code", "area_key", "period", "category_code", "submission_id"]
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])|H(?P<half>[12])))?$")
_NOT_A_PERIOD = (None, pd.NaT, pd.NaT)


def _period(text: str) -> tuple[str | None, pd.Timestamp, pd.Timestamp]:
    match = _PERIOD.match(text)
    if match is None:
        return _NOT_A_PERIOD
    year = int(match["year"])
    if match["month"]:
        kind, first, length = "month", int(match["month"]), 1
    elif match["quarter"]:
        kind, first, length = "quarter", 3 * int(match["quarter"]) - 2, 3
    elif match["half"]:
        kind, first, length = "half", 6 * int(match["half"]) - 5, 6
    else:
        kind, first, length = "year", 1, 12
    if not 1 <= first <= 12:
        return _NOT_A_PERIOD
    start = pd.Timestamp(year=year, month=first, day=1)
    return kind, start, start + pd.DateOffset(months=length) - pd.Timedelta(days=1)


def parse_periods(periods: pd.Series) -> pd.DataFrame:
    """period_type, period_start, period_end of "2024-03", "2024-Q1", "2024-H1", "2024" (None/NaT when invalid)."""
    parsed = {period: _period(period) for period in periods.dropna().unique()}
    rows = [parsed.get(period, _NOT_A_PERIOD) if isinstance(period, str) else _NOT_A_PERIOD for period in periods]
    table = pd.DataFrame(rows, index=periods.index, columns=["period_type", "period_start", "period_end"])
    table["period_start"] = pd.to_datetime(table["period_start"])
    table["period_end"] = pd.to_datetime(table["period_end"])
    return table


def _known(batch: Batch, sql: str) -> set[str]:
    return {row[0] for row in batch.con.execute(sql).fetchall()}


def load_reports(batch: Batch, table: pd.DataFrame) -> LoadResult:
    require_columns(table, batch.path, REQUIRED)
    check = Checker(table)
    indicator = check.required("indicator_code")
    unit = check.required("unit_code")
    category = check.required("category_code")
    submission = check.required("submission_id")
    period = check.required("period").str.upper()
    area_code = check.required("area_code")
    value = check.number("value")
    approved_at = check.timestamp("approved_at")
    periods = parse_periods(period)
    check.flag(period.notna() & periods["period_type"].isna(), "period",
               "period is not YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY")
    check.known(indicator, "indicator_code", _known(batch, "SELECT indicator_code FROM lake.main.dim_indicator"))
    check.known(unit, "unit_code", _known(batch, "SELECT unit_code FROM lake.main.dim_unit"))
    check.known(category, "category_code", _known(batch, "SELECT category_code FROM lake.main.dim_category"))
    area_key = AreaIndex(batch.con, batch.settings).dated(area_code, periods["period_end"], periods["period_start"])
    check.flag(area_code.notna() & area_key.isna(), "area_code", "unknown area_code")
    check.duplicates([indicator, area_key, period, category, submission], "submission_id")
    facts = batch.with_lineage(pd.DataFrame({
        "indicator_code": indicator, "area_key": area_key, "original_area_code": area_code, "unit_code": unit,
        "period": period, "period_type": periods["period_type"], "period_start": periods["period_start"],
        "category_code": category, "value": value, "submission_id": submission, "approved_at": approved_at,
    })[check.valid()])
    con = batch.con
    staged = stage(con, "stage_indicator_value", "fact_indicator_value", facts)
    loaded = append_new(con, "fact_indicator_value", staged, KEY)
    if loaded:
        con.execute(f"CREATE OR REPLACE TEMP TABLE touched_periods AS "
                    f"SELECT DISTINCT indicator_code, period FROM {staged}_new")
        rollups.indicators(con, "touched_periods")
    return LoadResult(read=len(table), loaded=loaded, problems=check.problems())
