"""reports/: approved figures as the units sent them, old units before 1 July 2025, new ones after.

Province-level indicators come from the old provinces' statistics offices before the reform
and from the responsible department after it; commune-level ones from the old districts
before and the current communes after. Every area's figure is the province series times a
share (additive indicators) or a relative factor (rates), both derived from one population,
so the old provinces add up to the new province and the series runs on across the change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ioc_app.demo.categories import FEMALE, MALE, RURAL, TOTAL, URBAN, ethnic_code
from ioc_app.demo.context import REFORM_DATE, DemoContext
from ioc_app.demo.indicators import ETHNICITY, INDICATORS, RESIDENCE, SEX, Indicator
from ioc_app.demo.population import Population
from ioc_app.demo.series import ADDITIVE, period_values, periods
from ioc_app.demo.units import commune_unit_code, district_unit_code, old_office_code, unit_code
from ioc_app.demo.writers import write_csv, write_parquet, write_xlsx

REPORT_COLUMNS = ["submission_id", "unit_code", "indicator_code", "period", "area_code", "category_code", "value",
                  "approved_at"]
_LAG_DAYS = {"month": (6, 16), "quarter": (12, 28), "year": (30, 75)}
_POOR_RISK_KINH = 1.0
_POOR_RISK_MINORITY = 3.0


@dataclass(frozen=True)
class AreaSet:
    """The areas that report one side of the reform, with each one's share and relative level."""

    codes: list[str]
    units: list[str]
    share: np.ndarray
    factor: np.ndarray
    urban: np.ndarray


def _commune_factors(indicator: Indicator, pop: Population, rng: np.random.Generator) -> np.ndarray:
    model = indicator.model
    factor = rng.lognormal(0.0, model.spread, len(pop.communes))
    factor *= np.where(pop.communes["urban"].to_numpy(), model.urban, 1.0)
    people = pop.communes["pop"].to_numpy()
    return factor / np.average(factor, weights=people)


def _commune_weights(indicator: Indicator, pop: Population) -> np.ndarray:
    people = pop.communes["pop"].to_numpy()
    if indicator.model.weight == "farmland":
        rural = np.where(pop.communes["urban"].to_numpy(), 0.05, 1.0)
        people = people * rural * np.sqrt(pop.communes["area_km2"].to_numpy())
    return people / people.sum()


def area_sets(ctx: DemoContext, indicator: Indicator, pop: Population,
              rng: np.random.Generator) -> tuple[AreaSet, AreaSet]:
    """(before the reform, after it) for one indicator."""
    people = pop.communes["pop"].to_numpy()
    weights = _commune_weights(indicator, pop)
    factors = _commune_factors(indicator, pop, rng)
    urban_people = people * pop.communes["urban"].to_numpy()
    if indicator.level == "commune":
        d_people = pop.to_districts(people)
        old = AreaSet(list(pop.districts.index), [district_unit_code(c) for c in pop.districts.index],
                      pop.to_districts(weights), pop.to_districts(people * factors) / d_people,
                      pop.to_districts(urban_people) / d_people)
        new = AreaSet(list(pop.communes.index), [commune_unit_code(c) for c in pop.communes.index],
                      weights, factors, pop.communes["urban"].to_numpy().astype(float))
        return old, new
    p_people = pop.to_old_provinces(people).to_numpy()
    old = AreaSet(list(pop.old_provinces.index), [old_office_code(c) for c in pop.old_provinces.index],
                  pop.to_old_provinces(weights).to_numpy(),
                  pop.to_old_provinces(people * factors).to_numpy() / p_people,
                  pop.to_old_provinces(urban_people).to_numpy() / p_people)
    new = AreaSet([ctx.province_code], [unit_code(ctx, indicator.reporter)], np.ones(1), np.ones(1),
                  np.array([pop.urban_share()]))
    return old, new


def _round(indicator: Indicator, values: np.ndarray) -> np.ndarray:
    if indicator.value_type == "integer":
        return np.round(values)
    return np.where(np.abs(values) >= 100, np.round(values, 1), np.round(values, 2))


def _split(indicator: Indicator, total: float, areas: AreaSet, rng: np.random.Generator) -> np.ndarray:
    if indicator.model.kind in ADDITIVE:
        shares = areas.share * np.exp(rng.normal(0, 0.03, len(areas.codes)))
        return total * shares / shares.sum()
    values = total * areas.factor * np.exp(rng.normal(0, 0.015, len(areas.codes)))
    return np.clip(values, *indicator.model.bounds)


def _breakdown(ctx: DemoContext, indicator: Indicator, value: float, urban_share: float,
               rng: np.random.Generator, tilt: dict[str, float]) -> list[tuple[str, float]]:
    """Category rows beside the total: additive ones add up to it, rates average to it."""
    additive = indicator.model.kind in ADDITIVE
    rows: list[tuple[str, float]] = []
    for criterion in indicator.criteria:
        if criterion == SEX:
            male_share = 0.492 + rng.normal(0, 0.004)
            if additive:
                male = float(np.round(value * male_share))
                rows += [(MALE, male), (FEMALE, value - male)]
            else:
                male = value * (1 + tilt[SEX] + rng.normal(0, 0.01))
                rows += [(MALE, male), (FEMALE, (value - male_share * male) / (1 - male_share))]
        elif criterion == RESIDENCE and 0.02 < urban_share < 0.98 and not additive:
            urban = value * (1 + tilt[RESIDENCE] + rng.normal(0, 0.01))
            rows += [(URBAN, urban), (RURAL, (value - urban_share * urban) / (1 - urban_share))]
        elif criterion == ETHNICITY and additive:
            risk = np.array([_POOR_RISK_KINH if code == "kinh" else _POOR_RISK_MINORITY
                             for code, *_ in ctx.profile.ethnic])
            share = np.array([s for *_, s in ctx.profile.ethnic]) * risk
            parts = np.floor(value * share / share.sum())
            parts[0] += value - parts.sum()
            rows += [(ethnic_code(code), float(part)) for (code, *_), part in zip(ctx.profile.ethnic, parts)]
    low, high = indicator.model.bounds
    return [(code, float(np.clip(v, low, high)) if not additive else v) for code, v in rows]


def indicator_rows(ctx: DemoContext, indicator: Indicator, pop: Population) -> pd.DataFrame:
    rng = ctx.rng("report", indicator.code)
    spans = periods(indicator.frequency, ctx.report_start, ctx.end_date - timedelta(days=1))
    totals = period_values(indicator, ctx.profile, spans, rng)
    old, new = area_sets(ctx, indicator, pop, rng)
    tilt = {SEX: rng.normal(0, 0.06), RESIDENCE: rng.uniform(-0.15, 0.3)}
    records: list[tuple] = []
    for span, total in zip(spans, totals):
        side = old if span.end < REFORM_DATE else new
        values = _round(indicator, _split(indicator, total, side, rng))
        for code, unit, value, urban in zip(side.codes, side.units, values, side.urban):
            records.append((unit, span, code, TOTAL, float(value)))
            for category, part in _breakdown(ctx, indicator, float(value), float(urban), rng, tilt):
                records.append((unit, span, code, category, float(_round(indicator, np.array([part]))[0])))
    frame = pd.DataFrame(records, columns=["unit_code", "span", "area_code", "category_code", "value"])
    frame["indicator_code"] = indicator.code
    frame["frequency"] = indicator.frequency
    frame["level"] = indicator.level
    return frame


def _approvals(ctx: DemoContext, frame: pd.DataFrame) -> pd.Series:
    """When each submission was approved: some days after its period, in office hours."""
    submissions = frame[["submission_id", "span", "frequency"]].drop_duplicates("submission_id")
    submissions = submissions.sort_values("submission_id", kind="stable")
    rng = ctx.rng("approvals")
    stamps = {}
    for sid, span, frequency in submissions.itertuples(index=False):
        low, high = _LAG_DAYS[frequency]
        day = span.end + timedelta(days=int(rng.integers(low, high + 1)))
        if day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday())
        minute = int(rng.integers(7 * 60 + 30, 17 * 60))
        second = int(rng.integers(60))
        stamps[sid] = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute, seconds=second)
    return frame["submission_id"].map(stamps)


def build_report_table(ctx: DemoContext, pop: Population) -> pd.DataFrame:
    """All approved figures up to the horizon, with the bookkeeping columns used to file them."""
    frame = pd.concat([indicator_rows(ctx, ind, pop) for ind in INDICATORS], ignore_index=True)
    frame["period"] = frame["span"].map(lambda span: span.label)
    frame["submission_id"] = frame["unit_code"] + "/" + frame["period"]
    frame["approved_at"] = _approvals(ctx, frame)
    frame = frame[frame["approved_at"] < ctx.horizon].copy()
    frame["year"] = frame["span"].map(lambda span: span.start.year)
    return frame.sort_values(["period", "unit_code", "indicator_code", "area_code", "category_code"],
                             kind="stable").reset_index(drop=True)


def _as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole numbers as integers, the way a person types them into a sheet."""
    out = frame[REPORT_COLUMNS].copy()
    out["value"] = [int(v) if float(v).is_integer() else float(v) for v in out["value"]]
    return out


def write_reports(ctx: DemoContext, pop: Population, out_dir: Path) -> list[Path]:
    table = build_report_table(ctx, pop)
    written: list[Path] = []
    communes = table[table["level"] == "commune"]
    for year, part in communes.groupby("year", sort=True):
        data = part[REPORT_COLUMNS].reset_index(drop=True)
        data["approved_at"] = pd.to_datetime(data["approved_at"]).astype("datetime64[us]")
        written.append(write_parquet(data, out_dir / f"communes_{year}.parquet"))
    province = table[table["level"] == "province"]
    monthly = province[province["frequency"] == "month"]
    for year, part in monthly.groupby("year", sort=True):
        data = _as_written(part)
        data["approved_at"] = pd.to_datetime(data["approved_at"]).dt.strftime("%Y-%m-%d %H:%M:%S")
        written.append(write_csv(data, out_dir / f"monthly_{year}.csv"))
    periodic = province[province["frequency"] != "month"]
    for (unit, year), part in periodic.groupby(["unit_code", "year"], sort=True):
        written.append(write_xlsx(_as_written(part), out_dir / f"{unit}_{year}.xlsx"))
    return written
