"""Outlier checks on generated seasonal series: false alarms and detections of the seasonal
median/MAD check (ioc_app.writeback.outliers) against a naive mean +/- 2 SD of every
earlier period.

    python -m bench.outliers [--series 300] [--years 4] [--seed 7] [--json]

Each series: `--years` years of history with a seasonal profile, 0-8 % growth a year and
3-8 % noise, then the next year's periods, entered once as they are (a flag there is a
false alarm) and once with an error (x10, /10 misplaced decimal, x1000 units slip, x3
double entry; a flag is a detection). The last line printed is one flat JSON object.
"""
from __future__ import annotations

import argparse
import json
import time
from datetime import date

import numpy as np
import pandas as pd

from ioc_app.opdb.models import Period
from ioc_app.writeback.outliers import unusual_values

PROFILES: dict[str, tuple[str, tuple[float, ...]]] = {
    "rice by quarter (two harvests)": ("quarter", (1.0, 5.0, 1.1, 4.8)),
    "rice by quarter (one harvest)": ("quarter", (1.0, 1.0, 5.0, 1.0)),
    "rice by month (two harvests)": ("month", (1, 1, 5, 1.2, 1, 1, 1, 4.5, 1.1, 1, 1, 1)),
    "tourists by month": ("month", (1.6, 2.0, 1.2, 1.0, 1.1, 1.5, 1.8, 1.7, 0.8, 0.9, 1.0, 1.4)),
    "flat by quarter": ("quarter", (1.0, 1.0, 1.0, 1.0)),
}
ERRORS = {"x10": 10.0, "/10": 0.1, "x1000": 1000.0, "x3": 3.0}


def code(kind: str, year: int, position: int) -> str:
    return f"{year}-{position:02d}" if kind == "month" else f"{year}-Q{position}"


def period(kind: str, year: int, position: int) -> Period:
    months = 1 if kind == "month" else 3
    return Period(code=code(kind, year, position), type=kind, start_date=date(year, months * (position - 1) + 1, 1))


def generate(rng: np.random.Generator, kind: str, shape: tuple[float, ...], years: int) -> np.ndarray:
    """(years + 1) x periods-per-year figures; the last row is the year entered."""
    growth, noise, level = rng.uniform(0.0, 0.08), rng.uniform(0.03, 0.08), rng.uniform(200, 20_000)
    trend = (1 + growth) ** np.arange(years + 1)[:, None]
    return level * np.array(shape)[None, :] * trend * (1 + rng.normal(0, noise, (years + 1, len(shape))))


def mean_sd_flags(history: np.ndarray, value: float) -> bool:
    return abs(value - history.mean()) > 2 * history.std(ddof=1)


def run(series: int, years: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    result: dict = {"series": series, "years": years}
    seconds, calls = 0.0, 0
    for name, (kind, shape) in PROFILES.items():
        counts = {"seasonal": {"false": 0, "caught": 0}, "mean_sd": {"false": 0, "caught": 0}}
        normal = wrong = 0
        for _ in range(series):
            figures = generate(rng, kind, shape, years)
            first = 2026 - years
            history = pd.DataFrame([("X", "total", code(kind, first + y, p + 1), figures[y, p])
                                    for y in range(years) for p in range(len(shape))],
                                   columns=["indicator_code", "category_code", "period", "value"])
            for position in range(len(shape)):
                value, error = figures[years, position], ERRORS[rng.choice(list(ERRORS))]
                entered = period(kind, 2026, position + 1)
                for typed, key in ((value, "false"), (value * error, "caught")):
                    started = time.perf_counter()
                    flagged = bool(unusual_values(entered, {("X", "total"): typed}, history))
                    seconds, calls = seconds + time.perf_counter() - started, calls + 1
                    counts["seasonal"][key] += flagged
                    counts["mean_sd"][key] += mean_sd_flags(figures[:years].ravel(), typed)
                normal, wrong = normal + 1, wrong + 1
        for method, count in counts.items():
            result[f"{name}: {method} false alarms %"] = round(100 * count["false"] / normal, 1)
            result[f"{name}: {method} detected %"] = round(100 * count["caught"] / wrong, 1)
    result["ms per check"] = round(1000 * seconds / calls, 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    result = run(args.series, args.years, args.seed)
    if not args.json:
        print(f"{'series':34} {'method':9} {'false alarms':>13} {'detected':>9}")
        for name in PROFILES:
            for method in ("seasonal", "mean_sd"):
                print(f"{name:34} {method:9} {result[f'{name}: {method} false alarms %']:>12}% "
                      f"{result[f'{name}: {method} detected %']:>8}%")
        print(f"{result['ms per check']} ms per check")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
