"""build_demo_sources: every demo source file for the configured province, reproducibly."""
from __future__ import annotations

import shutil
from pathlib import Path

from ioc_app.clock import today_ict
from ioc_app.config import Settings
from ioc_app.demo.cameras import write_cameras
from ioc_app.demo.catalog import write_catalog
from ioc_app.demo.context import make_context
from ioc_app.demo.population import build_population
from ioc_app.demo.reports import write_reports
from ioc_app.demo.sensors import write_sensors
from ioc_app.demo.spatial import CommuneShapes
from ioc_app.demo.tickets import write_tickets
from ioc_app.demo.units import build_units
from ioc_app.demo.writeback_catalog import writeback_catalog
from ioc_app.demo.writers import write_json

KINDS = ("units", "indicators", "categories", "reports", "tickets", "cameras", "sensors")
_FOLDERS = ("catalog", "reports", "tickets", "cameras", "sensors")


def build_demo_sources(settings: Settings, out_dir: Path, scale: float = 1.0) -> dict[str, list[Path]]:
    """Write the demo sources under out_dir and return kind -> files written.

    Deterministic for (province, settings.demo.seed, end date = settings.demo.end_date or
    today): earlier output in the demo's own folders is replaced, so no stale file survives.
    """
    end_date = settings.demo.end_date or today_ict()
    ctx = make_context(settings.province_code, settings.demo.seed, end_date, scale)
    out_dir = Path(out_dir)
    for folder in _FOLDERS:
        shutil.rmtree(out_dir / folder, ignore_errors=True)
    population = build_population(ctx)
    shapes = CommuneShapes(ctx, settings.geo.boundaries)
    files = write_catalog(ctx, out_dir / "catalog")
    write_json(writeback_catalog(ctx), out_dir / "catalog" / "writeback.json")
    files["reports"] = write_reports(ctx, population, out_dir / "reports")
    files["tickets"] = write_tickets(ctx, population, shapes, build_units(ctx), out_dir / "tickets")
    files["cameras"] = write_cameras(ctx, population, shapes, out_dir / "cameras")
    files["sensors"] = write_sensors(ctx, population, shapes, out_dir / "sensors")
    return {kind: files[kind] for kind in KINDS}
