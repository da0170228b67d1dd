"""Checks on entered figures: the blocking ones (`check_values`) and the seasonal outlier
flags (`unusual_values`, in outliers.py), each Problem naming its cell (row = indicator
code, column = category code).

Bounds of an indicator: its `min_value`/`max_value` when set. Otherwise counts
(value_type integer) and additive figures (aggregation sum) cannot be negative, and a
percent that is a share (aggregation ratio, latest, sum) lies in 0..100; a percent
averaged over time (aggregation avg) is a rate of change or a year-on-year index (GRDP
growth -1.5 %, CPI 103.4 %) and has no default bounds.

Parts of a criterion (male + female) may not exceed the row's `total` for indicators that
add up across categories (aggregation sum or latest, not percent). Whole counts must add
up exactly; other figures, typed rounded, may exceed the total by PARTS_TOLERANCE of it.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from ioc_app.opdb.models import Category, Indicator
from ioc_app.writeback.outliers import show, unusual_values
from ioc_app.writeback.problems import Problem

if TYPE_CHECKING:
    from ioc_app.writeback.forms import FormLayout

__all__ = ["check_values", "unusual_values"]

Cell = tuple[str, str]
TOTAL = "total"
PARTS_TOLERANCE = 0.001
_EPSILON = 1e-9


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _bounds(indicator: Indicator) -> tuple[float | None, float | None]:
    low, high = indicator.min_value, indicator.max_value
    if low is None and (indicator.value_type == "integer" or indicator.aggregation == "sum"):
        low = 0.0
    if indicator.value_type == "percent" and indicator.aggregation != "avg":
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
    return low, high


def _cell_problems(indicator: Indicator, value: object) -> list[str]:
    if not _is_number(value):
        return [f"{value!r} is not a number"]
    reasons = []
    if indicator.value_type == "integer" and abs(value - round(value)) > _EPSILON:
        reasons.append(f"{show(value)} is not a whole number (this indicator counts things)")
    low, high = _bounds(indicator)
    percent = indicator.value_type == "percent" and indicator.min_value is None and indicator.max_value is None
    if low is not None and value < low - _EPSILON:
        reasons.append(f"{show(value)} is below the smallest allowed value {show(low)}"
                       + (" (a percentage lies between 0 and 100)" if percent else ""))
    if high is not None and value > high + _EPSILON:
        reasons.append(f"{show(value)} is above the largest allowed value {show(high)}"
                       + (" (a percentage lies between 0 and 100)" if percent else ""))
    return reasons


def _adds_up(indicator: Indicator) -> bool:
    return indicator.aggregation in ("sum", "latest") and indicator.value_type != "percent"


def _parts_problems(indicator: Indicator, columns: list[Category], values: dict[Cell, object]) -> list[Problem]:
    total = values.get((indicator.code, TOTAL))
    if not _adds_up(indicator) or not _is_number(total):
        return []
    by_criterion: dict[str, list[str]] = defaultdict(list)
    for category in columns:
        if category.code != TOTAL and _is_number(values.get((indicator.code, category.code))):
            by_criterion[category.disaggregation_code].append(category.code)
    tolerance = _EPSILON if indicator.value_type == "integer" else PARTS_TOLERANCE * abs(total) + _EPSILON
    problems = []
    for criterion, parts in by_criterion.items():
        added = sum(values[(indicator.code, code)] for code in parts)
        if added > total + tolerance:
            problems.append(Problem(
                f"the parts by {criterion} ({' + '.join(parts)} = {show(added)}) are above the total {show(total)}",
                row=indicator.code, column=TOTAL))
    return problems


def check_values(layout: FormLayout, values: dict[Cell, float | None], *, require_all: bool) -> list[Problem]:
    """Blocking problems of the figures against the form: not a number, not whole, out of range,
    parts above their total, a cell outside the form, and (with `require_all`) an empty cell
    (None or NaN)."""
    rows = {indicator.code: indicator for indicator in layout.rows}
    column_codes = {category.code for category in layout.columns}
    problems = [Problem("not a cell of this form", row=code, column=category)
                for code, category in values if code not in rows or category not in column_codes]
    for indicator in layout.rows:
        for category in layout.columns:
            value = values.get((indicator.code, category.code))
            if value is None or (isinstance(value, float) and math.isnan(value)):
                if require_all:
                    problems.append(Problem("empty: every cell must be filled before submitting",
                                            row=indicator.code, column=category.code))
                continue
            problems += [Problem(reason, row=indicator.code, column=category.code)
                         for reason in _cell_problems(indicator, value)]
        problems += _parts_problems(indicator, layout.columns, values)
    return problems
