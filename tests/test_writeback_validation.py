"""Blocking checks of entered figures and the seasonal outlier flags (no database needed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ioc_app.config import load_settings
from ioc_app.lake import connect, ensure_schema
from ioc_app.opdb.models import Category, Indicator, Period
from ioc_app.queries.figure_history import previous_values, unit_history
from ioc_app.writeback.outliers import period_season
from ioc_app.writeback.validation import check_values, unusual_values


@dataclass
class Layout:
    """The two fields of forms.FormLayout that the checks read."""

    rows: list[Indicator]
    columns: list[Category]


def indicator(code: str, value_type: str = "number", aggregation: str = "sum", min_value: float | None = None,
              max_value: float | None = None) -> Indicator:
    return Indicator(code=code, value_type=value_type, aggregation=aggregation, min_value=min_value,
                     max_value=max_value)


COLUMNS = [Category(code="total", disaggregation_code="total"), Category(code="male", disaggregation_code="sex"),
           Category(code="female", disaggregation_code="sex"), Category(code="urban", disaggregation_code="residence"),
           Category(code="rural", disaggregation_code="residence")]
LAYOUT = Layout([
    indicator("POP", "integer"),
    indicator("RICE"),
    indicator("SHARE", "percent", "ratio"),
    indicator("GROWTH", "percent", "avg"),
    indicator("PRICE", aggregation="avg"),
    indicator("TEMP", aggregation="avg", min_value=-10, max_value=45),
], COLUMNS)


def problems_of(values: dict, require_all: bool = False) -> set[tuple]:
    found = check_values(LAYOUT, values, require_all=require_all)
    assert all(problem.blocking for problem in found)
    return {(problem.row, problem.column, problem.reason) for problem in found}


def test_good_figures_pass_and_empty_cells_wait_for_submit():
    values = {("POP", "total"): 1200.0, ("POP", "male"): 590.0, ("POP", "female"): 610.0, ("POP", "urban"): 200.0,
              ("RICE", "total"): 10.0, ("RICE", "male"): 5.003, ("RICE", "female"): 5.006,
              ("SHARE", "total"): 100.0, ("GROWTH", "total"): -1.5, ("GROWTH", "male"): 103.4,
              ("PRICE", "total"): -3.0, ("PRICE", "male"): 5.0, ("TEMP", "total"): -4.5,
              ("SHARE", "male"): float("nan")}
    assert problems_of(values) == set()
    empty = problems_of(values, require_all=True)
    assert ("POP", "rural", "empty: every cell must be filled before submitting") in empty
    assert ("SHARE", "male", "empty: every cell must be filled before submitting") in empty
    assert len(empty) == len(LAYOUT.rows) * len(COLUMNS) - len(values) + 1


@pytest.mark.parametrize(("cell", "value", "reason"), [
    (("POP", "male"), "12a", "'12a' is not a number"),
    (("RICE", "total"), float("inf"), "inf is not a number"),
    (("RICE", "total"), True, "True is not a number"),
    (("POP", "total"), 1200.5, "1,200.5 is not a whole number (this indicator counts things)"),
    (("POP", "total"), -3.0, "-3 is below the smallest allowed value 0"),
    (("RICE", "male"), -0.5, "-0.5 is below the smallest allowed value 0"),
    (("SHARE", "total"), 100.5, "100.5 is above the largest allowed value 100 (a percentage lies between 0 and 100)"),
    (("SHARE", "urban"), -1.0, "-1 is below the smallest allowed value 0 (a percentage lies between 0 and 100)"),
    (("TEMP", "total"), 45.25, "45.25 is above the largest allowed value 45"),
    (("TEMP", "total"), -12.0, "-12 is below the smallest allowed value -10"),
])
def test_a_bad_figure_is_refused_with_its_reason(cell, value, reason):
    assert problems_of({cell: value}) == {(*cell, reason)}


def test_bounds_set_on_the_indicator_replace_the_defaults():
    layout = Layout([indicator("NET", aggregation="sum", min_value=-500.0),
                     indicator("CPI", "percent", "ratio", max_value=200.0)], COLUMNS[:1])
    assert check_values(layout, {("NET", "total"): -200.0, ("CPI", "total"): 103.4}, require_all=True) == []
    assert [str(p) for p in check_values(layout, {("NET", "total"): -501.0}, require_all=False)] == [
        "row NET, column total: -501 is below the smallest allowed value -500"]


def test_parts_above_their_total_are_refused_per_criterion():
    found = problems_of({("POP", "total"): 1000.0, ("POP", "male"): 500.0, ("POP", "female"): 501.0,
                         ("POP", "urban"): 300.0, ("POP", "rural"): 700.0,
                         ("RICE", "total"): 10.0, ("RICE", "urban"): 6.0, ("RICE", "rural"): 4.02})
    assert found == {
        ("POP", "total", "the parts by sex (male + female = 1,001) are above the total 1,000"),
        ("RICE", "total", "the parts by residence (urban + rural = 10.02) are above the total 10")}


def test_parts_of_rates_and_averages_are_not_added_up():
    assert problems_of({("SHARE", "total"): 50.0, ("SHARE", "male"): 60.0, ("SHARE", "female"): 40.0,
                        ("PRICE", "total"): 5.0, ("PRICE", "male"): 6.0, ("PRICE", "female"): 4.5}) == set()


def test_a_cell_outside_the_form_is_refused():
    assert problems_of({("XX", "total"): 1.0, ("POP", "ethnic_kinh"): 2.0}) == {
        ("XX", "total", "not a cell of this form"), ("POP", "ethnic_kinh", "not a cell of this form")}


# Seasonal outliers -----------------------------------------------------------------------

# Rice output of a commune per quarter (t): harvests in Q2 and Q4, about 5x the other quarters.
RICE = {1: 1_000.0, 2: 5_200.0, 3: 1_100.0, 4: 4_800.0}
NOISE = {2022: (1.00, 0.97, 1.04, 1.02), 2023: (1.06, 1.01, 0.98, 1.05), 2024: (1.03, 1.08, 1.07, 0.99),
         2025: (1.10, 1.04, 1.12, 1.08)}


def rice_history(years=range(2022, 2026), indicator_code: str = "NN01") -> pd.DataFrame:
    return pd.DataFrame([(indicator_code, "total", f"{year}-Q{quarter}", RICE[quarter] * NOISE[year][quarter - 1])
                         for year in years for quarter in RICE],
                        columns=["indicator_code", "category_code", "period", "value"])


def period(code: str) -> Period:
    kind, year, position = period_season(code)
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[kind]
    return Period(code=code, type=kind, start_date=date(year, months * (position - 1) + 1, 1))


def mean_sd_flags(history: pd.DataFrame, value: float) -> bool:
    """The naive check the seasonal one replaces: outside mean +/- 2 SD of every earlier period."""
    mean, sd = history["value"].mean(), history["value"].std()
    return abs(value - mean) > 2 * sd


def monthly_rice() -> tuple[pd.DataFrame, dict[str, float]]:
    """Four years of monthly rice output (harvests in March and August, 5x and 4.5x the other
    months, 3 % growth a year, 4 % noise) and the normal figures of the fifth year."""
    shape, rng = {3: 5.0, 8: 4.5}, np.random.default_rng(3)
    history = pd.DataFrame([("NN01", "total", f"{year}-{month:02d}",
                             800 * shape.get(month, 1.0) * 1.03 ** (year - 2022) * (1 + rng.normal(0, 0.04)))
                            for year in range(2022, 2026) for month in range(1, 13)],
                           columns=["indicator_code", "category_code", "period", "value"])
    return history, {f"2026-{month:02d}": 800 * shape.get(month, 1.0) * 1.03 ** 4 for month in range(1, 13)}


def test_normal_harvests_raise_no_alarm_where_mean_sd_floods():
    history, normal = monthly_rice()
    for code, value in normal.items():
        assert unusual_values(period(code), {("NN01", "total"): value}, history) == []
        assert len(unusual_values(period(code), {("NN01", "total"): value * 10}, history)) == 1
        assert len(unusual_values(period(code), {("NN01", "total"): value / 10}, history)) == 1
    assert [code for code, value in normal.items() if mean_sd_flags(history, value)] == ["2026-03", "2026-08"]
    quarters = {"2026-Q1": 1_120.0, "2026-Q2": 5_900.0, "2026-Q3": 1_150.0, "2026-Q4": 5_300.0}
    for code, value in quarters.items():
        assert unusual_values(period(code), {("NN01", "total"): value}, rice_history()) == []


def test_a_value_ten_times_too_large_or_a_misplaced_decimal_is_flagged():
    history = rice_history()
    [tenfold] = unusual_values(period("2026-Q1"), {("NN01", "total"): 11_200.0}, history)
    assert (tenfold.row, tenfold.column, tenfold.blocking) == ("NN01", "total", False)
    assert tenfold.reason == "unusual: expected about 1,100 (same quarter of 2023-2025), got 11,200"
    [decimal] = unusual_values(period("2026-Q2"), {("NN01", "total"): 590.0}, history)
    assert decimal.reason == "unusual: expected about 6,000 (same quarter of 2023-2025), got 590"
    assert not mean_sd_flags(history, 590.0)


def test_a_zero_is_flagged_only_where_the_period_never_was_zero():
    history = pd.concat([rice_history(), rice_history(indicator_code="FLOOD").assign(
        value=lambda frame: frame["value"].where(~frame["period"].str.endswith("Q1"), 0.0))])
    found = unusual_values(period("2026-Q1"), {("NN01", "total"): 0.0, ("FLOOD", "total"): 0.0}, history)
    assert [(problem.row, problem.reason) for problem in found] == [
        ("NN01", "unusual: expected about 1,100 (same quarter of 2023-2025), got 0")]


@pytest.mark.parametrize(("code", "season"), [
    ("2025-07", ("month", 2025, 7)), ("2025-Q3", ("quarter", 2025, 3)), ("2025-H2", ("half", 2025, 2)),
    ("2025", ("year", 2025, 1)), ("2025-13", None), ("2025-Q5", None), ("DOT-2026", None)])
def test_period_codes_give_their_season(code, season):
    assert period_season(code) == season


def test_too_little_history_or_no_season_raises_nothing():
    assert unusual_values(period("2026-Q1"), {("NN01", "total"): 99_000.0}, rice_history(years=[2025])) == []
    assert len(unusual_values(period("2026-Q1"), {("NN01", "total"): 99_000.0}, rice_history(years=[2024, 2025]))) == 1
    assert unusual_values(period("2026-Q1"), {("NN01", "male"): 99_000.0}, rice_history()) == []
    empty = rice_history().iloc[:0]
    assert unusual_values(period("2026-Q1"), {("NN01", "total"): 99_000.0}, empty) == []
    adhoc = Period(code="DOT-LU-2026", type="adhoc", start_date=date(2026, 9, 1), end_date=date(2026, 9, 30))
    assert unusual_values(adhoc, {("NN01", "total"): 99_000.0}, rice_history()) == []


def test_history_after_the_period_entered_is_not_used():
    later = rice_history(years=range(2022, 2026))
    later["period"] = later["period"].str.replace(r"^(\d{4})", lambda m: str(int(m[1]) + 10), regex=True)
    assert unusual_values(period("2026-Q1"), {("NN01", "total"): 99_000.0}, later) == []


def test_one_bad_year_in_the_history_does_not_hide_an_error():
    history = rice_history()
    history.loc[history["period"] == "2024-Q1", "value"] = 10_300.0
    [flag] = unusual_values(period("2026-Q1"), {("NN01", "total"): 11_200.0}, history)
    assert flag.reason == "unusual: expected about 1,200 (same quarter of 2023-2025), got 11,200"


# History from the analytical store -----------------------------------------------------------

FACT_COLUMNS = "indicator_code, area_key, period, period_type, period_start, category_code, value, " \
               "submission_id, approved_at"


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """A lake with a commune's figures: re-approved corrections, another commune, another indicator."""
    root = tmp_path_factory.mktemp("lake")
    (root / "config.yaml").write_text(
        "province: '86'\ndata_dir: data\ndatabase_url: sqlite:///data/ioc.db\n"
        "lake:\n  catalog: sqlite:data/lake/catalog.sqlite\n  data_path: data/lake/files\n", encoding="utf-8")
    settings = load_settings(root / "config.yaml")
    rows = [
        ("NN01", "X1", "2025-Q3", "quarter", "2025-07-01", "total", 1_100.0, "XA1/2025-Q3/v1/1", "2025-10-05"),
        ("NN01", "X1", "2025-Q3", "quarter", "2025-07-01", "total", 1_150.0, "XA1/2025-Q3/v2/1", "2025-10-20"),
        ("NN01", "X1", "2025-Q3", "quarter", "2025-07-01", "male", 600.0, "XA1/2025-Q3/v1/1", "2025-10-05"),
        ("NN01", "X1", "2025-Q4", "quarter", "2025-10-01", "total", 4_800.0, "XA1/2025-Q4/v1/2", "2026-01-05"),
        ("NN01", "X1", "2026-Q3", "quarter", "2026-07-01", "total", 1_200.0, "XA1/2026-Q3/v1/3", "2026-10-05"),
        ("NN01", "X1", "2025", "year", "2025-01-01", "total", 12_000.0, "XA1/2025/v1/4", "2026-01-05"),
        ("NN01", "X2", "2025-Q4", "quarter", "2025-10-01", "total", 9_999.0, "XA2/2025-Q4/v1/5", "2026-01-05"),
        ("DS01", "X1", "2025-Q4", "quarter", "2025-10-01", "total", 50.0, "XA1/2025-Q4/v1/6", "2026-01-05"),
        ("AN01", "X1", "2025-Q4", "quarter", "2025-10-01", "total", 3.0, "XA1/2025-Q4/v1/7", "2026-01-05"),
    ]
    with connect(settings) as con:
        ensure_schema(con)
        con.executemany(f"INSERT INTO fact_indicator_value ({FACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        rows)
    return settings


def test_unit_history_keeps_the_latest_approved_figure_of_the_area(lake):
    with connect(lake, read_only=True) as con:
        history = unit_history(con, "X1", ["NN01", "DS01"])
        assert unit_history(con, "X1", []).empty
    assert list(history.columns) == ["indicator_code", "category_code", "period", "period_start", "value"]
    assert [tuple(row) for row in history[["indicator_code", "category_code", "period", "value"]].itertuples(
        index=False)] == [("DS01", "total", "2025-Q4", 50.0), ("NN01", "male", "2025-Q3", 600.0),
                          ("NN01", "total", "2025", 12_000.0), ("NN01", "total", "2025-Q3", 1_150.0),
                          ("NN01", "total", "2025-Q4", 4_800.0), ("NN01", "total", "2026-Q3", 1_200.0)]
    assert str(history["period_start"].iloc[0])[:10] == "2025-10-01"


def test_previous_values_beside_each_cell(lake):
    with connect(lake, read_only=True) as con:
        history = unit_history(con, "X1", ["NN01", "DS01"])
    assert previous_values(history, period("2026-Q4")) == {
        ("NN01", "total"): (1_200.0, 4_800.0), ("DS01", "total"): (None, 50.0)}
    assert previous_values(history, period("2026-Q1")) == {
        ("NN01", "total"): (4_800.0, None), ("DS01", "total"): (50.0, None)}
    assert previous_values(history, period("2026-Q3")) == {
        ("NN01", "total"): (None, 1_150.0), ("NN01", "male"): (None, 600.0)}
    assert previous_values(history, period("2026")) == {("NN01", "total"): (12_000.0, 12_000.0)}
    adhoc = Period(code="DOT-2026", type="adhoc", start_date=date(2026, 9, 1), end_date=date(2026, 9, 30))
    assert previous_values(history, adhoc) == {}
