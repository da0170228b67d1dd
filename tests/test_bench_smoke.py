"""The benchmark harness at a tiny scale, so it cannot rot: its generated feeds load through the
real pipelines without a refusal, its replay varies inputs only among offered choices, and its
report section is rendered and replaced in place."""
from __future__ import annotations

import random
from pathlib import Path

from bench.capture import Callback, collect_options
from bench.install import _write_config
from bench.load import percentiles
from bench.province import READINGS_PER_SENSOR, Volume, write_sources
from bench.report import section, write_report
from ioc_app.bootstrap import init_stores
from ioc_app.config import load_settings
from ioc_app.lake import connect
from pipelines import run_ingest


def test_generated_feeds_load_without_refusals(tmp_path: Path) -> None:
    volume = Volume(readings=3 * READINGS_PER_SENSOR, tickets=300, cameras=5)
    settings = load_settings(_write_config(tmp_path, seed=7))
    init_stores(settings)
    files = write_sources(settings, volume, 7, settings.demo_dir)
    assert volume.sensors == 4 and len(files["sensors"]) == 14  # the registry and 13 months
    first_month = {"units": files["units"], "tickets": files["tickets"], "cameras": files["cameras"][:2] + [
        next(p for p in files["cameras"] if p.suffix == ".jsonl")], "sensors": files["sensors"][:2]}
    with connect(settings) as con:
        for kind, paths in first_month.items():
            for path in paths:
                report = run_ingest(settings, kind, path, con=con)
                assert report.quarantined == 0 and report.loaded == report.read > 0, (path.name, report)
        tickets = con.execute("SELECT count(*) FROM lake.main.fact_ticket").fetchone()[0]
        cameras = con.execute("SELECT count(*) FROM lake.main.dim_camera").fetchone()[0]
    assert (tickets, cameras) == (volume.tickets, volume.cameras)


def test_replay_varies_one_input_among_the_offered_choices() -> None:
    answer = {"response": {"page": {"children": {"type": "Dropdown", "namespace": "dash_core_components",
                                                 "props": {"id": "fb-days", "value": 30,
                                                           "options": [{"label": "7", "value": 7},
                                                                       {"label": "90", "value": 90}]}}}}}
    options: dict[str, list] = {}
    collect_options(answer, options)
    assert options == {"fb-days": [7, 90]}
    body = {"output": "fb-kpis.children", "inputs": [{"id": "fb-days", "property": "value", "value": 30}]}
    callback = Callback("feedback", body["output"], "leader", "/_dash-update-component?endId=x", [body])
    varied = callback.varied(random.Random(1), options)
    assert varied["inputs"][0]["value"] in (7, 90)
    assert body["inputs"][0]["value"] == 30  # the recorded body is left as it was
    assert callback.name == "feedback__fb-kpis"


def test_report_section_is_replaced_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nintro\n", encoding="utf-8")
    figures = {"scale": "1m", "readings": 1_000_000, "tickets": 20_000, "cameras": 5, "sensors": 10,
               "date": "2026-12-01 22:00", "machine": "test", "python": "3.11", "duckdb": "1.4.4",
               "load_avg_mean": 1.0, "load_avg_max": 2.0, "callback_worst": "overview__page",
               **{f"callback_overview__page_{k}": v for k, v in percentiles([10.0, 20.0, 30.0]).items()}}
    write_report(figures, doc)
    write_report({**figures, "load_avg_max": 3.0}, doc)
    text = doc.read_text(encoding="utf-8")
    assert text.count("<!-- bench:1m -->") == 1 and "max 3.0" in text and text.startswith("# Performance")
    assert "`overview__page` | 20.0 |" in section(figures)
