"""Province-wide time series of one indicator: trend, seasonality and noise per reporting period."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from ioc_app.demo.indicators import Indicator, Model
from ioc_app.demo.profiles import Profile

ADDITIVE = ("flow", "stock")

# Relative weight of each calendar month (January first); normalised to a mean of 1 on use.
SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1,) * 12,
    "retail": (1.10, 1.12, 0.94, 0.95, 0.97, 0.97, 0.98, 0.98, 0.97, 1.0, 1.0, 1.08),
    "export": (0.95, 0.72, 1.0, 0.98, 1.0, 1.0, 1.03, 1.05, 1.04, 1.07, 1.05, 1.11),
    "budget_revenue": (1.25, 0.75, 0.95, 1.05, 0.9, 0.95, 0.95, 0.9, 0.9, 0.95, 0.95, 1.5),
    "budget_spending": (0.6, 0.7, 0.85, 0.9, 0.95, 1.0, 0.95, 1.0, 1.0, 1.05, 1.2, 1.8),
    "investment": (0.6, 0.6, 0.9, 0.9, 1.0, 1.1, 1.0, 1.0, 1.1, 1.1, 1.2, 1.5),
    "grdp": (0.95, 0.9, 0.98, 0.98, 1.0, 1.02, 1.0, 1.0, 1.02, 1.03, 1.05, 1.07),
    "enterprise": (1.05, 0.55, 1.15, 1.05, 1.05, 1.05, 1.0, 1.0, 1.0, 1.05, 1.0, 1.05),
    "dissolution": (2.0, 0.6, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.3),
    "tourism": (1.35, 1.45, 1.0, 1.05, 1.15, 1.2, 1.15, 1.05, 0.7, 0.65, 0.65, 0.8),
    "tourism_intl": (1.3, 1.2, 1.2, 1.1, 0.9, 0.8, 0.9, 0.9, 0.7, 0.9, 1.0, 1.1),
    "transport": (1.05, 0.95, 0.98, 0.98, 1.0, 1.0, 1.0, 1.0, 0.98, 1.0, 1.02, 1.05),
    "electricity": (0.85, 0.8, 1.0, 1.15, 1.18, 1.12, 1.05, 1.0, 0.95, 0.95, 0.95, 1.0),
    "accidents": (1.25, 1.3, 1.0, 1.0, 0.95, 0.9, 0.95, 0.95, 0.9, 0.9, 0.9, 1.0),
    # Rice: winter-spring and summer-autumn harvests (south: Feb-Mar, Jul-Aug; north: Jun, Oct).
    "rice_south": (0.05, 0.22, 0.22, 0.07, 0.04, 0.03, 0.08, 0.12, 0.06, 0.03, 0.05, 0.03),
    "rice_north": (0.0, 0.0, 0.0, 0.0, 0.05, 0.42, 0.04, 0.0, 0.08, 0.33, 0.08, 0.0),
    "rice_central": (0.0, 0.0, 0.02, 0.25, 0.25, 0.03, 0.03, 0.2, 0.17, 0.03, 0.02, 0.0),
    "rice_highlands": (0.0, 0.02, 0.15, 0.15, 0.03, 0.0, 0.0, 0.03, 0.12, 0.3, 0.18, 0.02),
    "aquaculture": (0.07, 0.06, 0.07, 0.08, 0.08, 0.09, 0.09, 0.09, 0.09, 0.09, 0.09, 0.1),
    "fishing": (0.06, 0.06, 0.09, 0.1, 0.1, 0.09, 0.09, 0.09, 0.08, 0.08, 0.08, 0.08),
    "meat": (0.1, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.1),
    "fruit": (0.07, 0.08, 0.07, 0.08, 0.1, 0.11, 0.1, 0.08, 0.07, 0.08, 0.08, 0.08),
}
# Share of the yearly public-investment plan disbursed in each month.
_DISBURSEMENT = np.array([0.02, 0.03, 0.05, 0.05, 0.07, 0.08, 0.08, 0.09, 0.1, 0.1, 0.13, 0.2])


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def periods(frequency: str, first_day: date, last_day: date) -> list[Period]:
    """Complete periods that end inside [first_day, last_day]."""
    result: list[Period] = []
    for year in range(first_day.year - 1, last_day.year + 1):
        if frequency == "month":
            spans = [(f"{year}-{m:02d}", m, m) for m in range(1, 13)]
        elif frequency == "quarter":
            spans = [(f"{year}-Q{q}", 3 * q - 2, 3 * q) for q in range(1, 5)]
        else:
            spans = [(str(year), 1, 12)]
        for label, m0, m1 in spans:
            start, end = date(year, m0, 1), _month_end(year, m1)
            if first_day <= end <= last_day:
                result.append(Period(label, start, end))
    return result


def season_weights(model: Model, profile: Profile) -> np.ndarray:
    name = profile.rice_season() if model.season == "rice" else model.season
    weights = np.array(SEASONS.get(name, SEASONS["flat"]), dtype=float)
    return weights * 12 / weights.sum()


def base_level(model: Model, profile: Profile) -> float:
    if model.profile is not None:
        return profile.levels[model.profile] * model.profile_scale
    return model.base


def trend(indicator: Indicator, profile: Profile, years: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Noise-free monthly value (flows: that month's amount) for calendar months (year, 1..12)."""
    model = indicator.model
    t = years - 2024 + (months - 1) / 12
    growth = (1 + model.growth) ** t
    base = base_level(model, profile)
    if model.kind in ADDITIVE:
        size = base * profile.population * profile.income ** model.elasticity * growth
        return size * season_weights(model, profile)[months - 1] / 12 if model.kind == "flow" else size
    if model.kind == "level":
        return base * profile.income ** model.elasticity * growth
    level = (base + model.income_shift * (profile.income - 1)) * growth
    if model.kind == "cumulative":
        return level * np.cumsum(_DISBURSEMENT)[months - 1]
    return level


def _month_grid(start: date, end: date) -> tuple[np.ndarray, np.ndarray]:
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    index = np.arange(count) + start.month - 1
    return start.year + index // 12, index % 12 + 1


def period_values(indicator: Indicator, profile: Profile, spans: list[Period], rng: np.random.Generator) -> np.ndarray:
    """Province-wide value of each period, with the noise a real series shows."""
    if not spans:
        return np.zeros(0)
    model = indicator.model
    years, months = _month_grid(spans[0].start, spans[-1].end)
    monthly = trend(indicator, profile, years, months)
    if model.kind == "flow":
        monthly = monthly * np.exp(rng.normal(0, model.noise, len(monthly)) - model.noise**2 / 2)
    elif model.kind == "cumulative":
        yearly = {y: np.exp(rng.normal(0, model.noise)) for y in np.unique(years)}
        monthly = monthly * np.array([yearly[y] for y in years])
    elif model.season == "tet_shift":
        shift = {y: rng.normal(0, 6) for y in np.unique(years)}
        monthly = monthly + np.array([shift[y] * {1: 1, 2: -1}.get(m, 0) for y, m in zip(years, months)])
    values = np.empty(len(spans))
    key = years * 12 + months
    for i, span in enumerate(spans):
        inside = (key >= span.start.year * 12 + span.start.month) & (key <= span.end.year * 12 + span.end.month)
        chunk = monthly[inside]
        if model.kind == "flow":
            values[i] = chunk.sum()
        elif model.kind in ("stock", "cumulative"):
            values[i] = chunk[-1]
        else:
            values[i] = chunk.mean()
    if model.kind in ("rate", "level"):
        scale = model.noise if model.kind == "rate" else model.noise * values
        values = values + rng.normal(0, 1, len(values)) * scale
    elif model.kind == "stock":
        values = values * np.exp(rng.normal(0, model.noise, len(values)))
    return np.clip(values, *model.bounds)


def yearly_target(indicator: Indicator, profile: Profile, year: int, rng: np.random.Generator) -> float:
    """The plan figure: the expected level nudged in the good direction, sometimes missed."""
    model = indicator.model
    months = np.arange(1, 13)
    monthly = trend(indicator, profile, np.full(12, year), months)
    if model.kind == "flow":
        expected = monthly.sum()
    elif model.kind in ("stock", "cumulative"):
        expected = monthly[-1]
    else:
        expected = monthly.mean()
    sign = 1 if indicator.direction == "up" else -1
    if model.kind in ("rate", "cumulative") and indicator.unit == "%":
        target = expected + sign * abs(rng.normal(0.3, 0.6)) * max(0.1, min(1.0, expected / 20))
    else:
        target = expected * (1 + sign * rng.uniform(0.0, 0.06))
    return float(np.clip(target, *model.bounds))
