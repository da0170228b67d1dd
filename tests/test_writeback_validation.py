"""Blocking checks of entered figures and the seasonal outlier flags (no database needed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import pytest

from ioc_app.opdb.models import Category, Indicator, Period
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


def quarter(code: str) -> Period:
    kind, year, position = period_season(code)
    return Period(code=code, type=kind, start_date=date(year, 3 * position - 2, 1), end_date=None)


def mean_sd_flags(history: pd.DataFrame, value: float) -> bool:
    """The naive check the seasonal one replaces: outside mean +/- 2 SD of every earlier period."""
    mean, sd = history["value"].mean(), history["value"].std()
    return abs(value - mean) > 2 * sd


def test_normal_harvest_quarters_raise_no_alarm_where_mean_sd_floods():
    history = rice_history()
    normal = {"2026-Q1": 1_120.0, "2026-Q2": 5_900.0, "2026-Q3": 1_150.0, "2026-Q4": 5_300.0}
    for code, value in normal.items():
        assert unusual_values(quarter(code), {("NN01", "total"): value}, history) == []
    assert [code for code, value in normal.items() if mean_sd_flags(history, value)] == ["2026-Q2", "2026-Q4"]


def test_a_value_ten_times_too_large_or_a_misplaced_decimal_is_flagged():
    history = rice_history()
    [tenfold] = unusual_values(quarter("2026-Q1"), {("NN01", "total"): 11_200.0}, history)
    assert (tenfold.row, tenfold.column, tenfold.blocking) == ("NN01", "total", False)
    assert tenfold.reason == "unusual: expected about 1,200 (same quarter of 2023-2025), got 11,200"
    [decimal] = unusual_values(quarter("2026-Q2"), {("NN01", "total"): 590.0}, history)
    assert decimal.reason == "unusual: expected about 5,900 (same quarter of 2023-2025), got 590"
    assert not mean_sd_flags(history, 590.0)


def test_a_zero_is_flagged_only_where_the_period_never_was_zero():
    history = pd.concat([rice_history(), rice_history(indicator_code="FLOOD").assign(
        value=lambda frame: frame["value"].where(~frame["period"].str.endswith("Q1"), 0.0))])
    found = unusual_values(quarter("2026-Q1"), {("NN01", "total"): 0.0, ("FLOOD", "total"): 0.0}, history)
    assert [(problem.row, problem.reason) for problem in found] == [
        ("NN01", "unusual: expected about 1,200 (same quarter of 2023-2025), got 0")]


def test_too_little_history_or_no_season_raises_nothing():
    history = rice_history(years=[2025])
    assert unusual_values(quarter("2026-Q1"), {("NN01", "total"): 99_000.0}, history) == []
    assert unusual_values(quarter("2026-Q1"), {("NN01", "male"): 99_000.0}, rice_history()) == []
    empty = rice_history().iloc[:0]
    assert unusual_values(quarter("2026-Q1"), {("NN01", "total"): 99_000.0}, empty) == []
    adhoc = Period(code="DOT-LU-2026", type="adhoc", start_date=date(2026, 9, 1), end_date=date(2026, 9, 30))
    assert unusual_values(adhoc, {("NN01", "total"): 99_000.0}, rice_history()) == []


def test_history_after_the_period_entered_is_not_used():
    later = rice_history(years=range(2022, 2026))
    later["period"] = later["period"].str.replace(r"^(\d{4})", lambda m: str(int(m[1]) + 10), regex=True)
    assert unusual_values(quarter("2026-Q1"), {("NN01", "total"): 99_000.0}, later) == []


def test_one_bad_year_in_the_history_does_not_hide_an_error():
    history = rice_history()
    history.loc[history["period"] == "2024-Q1", "value"] = 10_300.0
    [flag] = unusual_values(quarter("2026-Q1"), {("NN01", "total"): 11_200.0}, history)
    assert flag.reason.startswith("unusual: expected about 1,200")
