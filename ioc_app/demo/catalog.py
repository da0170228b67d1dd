"""catalog/: units.csv, indicators.json (with yearly targets) and categories.json."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ioc_app.demo.categories import build_categories
from ioc_app.demo.context import DemoContext
from ioc_app.demo.indicators import INDICATORS
from ioc_app.demo.series import yearly_target
from ioc_app.demo.units import build_units
from ioc_app.demo.writers import write_csv, write_json


def indicator_catalog(ctx: DemoContext) -> list[dict]:
    years = range(ctx.report_start.year, ctx.end_date.year + 2)
    entries = []
    for indicator in INDICATORS:
        rng = ctx.rng("target", indicator.code)
        targets = {}
        for year in years:
            value = yearly_target(indicator, ctx.profile, year, rng)
            rounded = np.round(value) if indicator.value_type == "integer" else np.round(value, 2 if value < 100 else 1)
            targets[str(year)] = int(rounded) if indicator.value_type == "integer" else float(rounded)
        entries.append(indicator.catalog_entry(targets))
    return entries


def write_catalog(ctx: DemoContext, out_dir: Path) -> dict[str, list[Path]]:
    return {
        "units": [write_csv(build_units(ctx), out_dir / "units.csv")],
        "indicators": [write_json(indicator_catalog(ctx), out_dir / "indicators.json")],
        "categories": [write_json(build_categories(ctx), out_dir / "categories.json")],
    }
