"""How the status page judges each source, and what it says of each kind of record."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from ioc_app.config import SourceSettings, load_settings
from ioc_app.lake import connect
from ioc_app.queries import pipeline_status as q
from layouts.pipelines import source_rows, source_state

NOW = datetime(2026, 11, 25, 9, 0)


def test_states():
    assert source_state(None, None, None, NOW, 30) == "never"
    assert source_state("ok", NOW - timedelta(minutes=10), NOW - timedelta(minutes=10), NOW, 30) == "ok"
    assert source_state("ok", NOW - timedelta(minutes=31), NOW - timedelta(minutes=31), NOW, 30) == "late"
    assert source_state("error", NOW - timedelta(minutes=5), NOW, NOW, 30) == "error"
    assert source_state("error", None, NOW, NOW, 30) == "error"


def test_rows_follow_the_configured_sources_and_ignore_others():
    sources = (
        SourceSettings(name="tickets-inbox", kind="tickets", inbox=Path("/srv/inbox/tickets"), late_after_minutes=60),
        SourceSettings(name="open311", kind="tickets", open311="http://127.0.0.1:9/georeport/v2"),
    )
    activity = pd.DataFrame([
        {"source": "tickets-inbox", "last_run": NOW - timedelta(hours=2), "last_status": "ok", "last_message": None,
         "last_ok": NOW - timedelta(hours=2), "last_batch": NOW - timedelta(hours=2), "loaded_24h": 120,
         "quarantined_24h": 3},
        {"source": "tickets_2024.csv", "last_run": None, "last_status": None, "last_message": None,
         "last_ok": NOW, "last_batch": NOW, "loaded_24h": 5, "quarantined_24h": 0},
    ])
    rows = source_rows(sources, activity, NOW)
    assert [(r["source"], r["state"], r["loaded_24h"]) for r in rows] == [
        ("tickets-inbox", "late", 120), ("open311", "never", 0)]
    assert rows[1]["origin"] == "http://127.0.0.1:9/georeport/v2"


def test_each_kinds_newest_record_and_count_are_those_of_its_feed(demo):
    feeds = {"reports": ("fact_indicator_value", "approved_at"), "tickets": ("fact_ticket", "updated_at"),
             "cameras": ("fact_camera_status", "observed_at"), "sensors": ("fact_sensor_reading", "observed_at")}
    with connect(load_settings(demo.config), read_only=True) as con:
        con.execute("USE lake")
        found = q.data_freshness(con)
        expected = [(kind, *con.execute(f"SELECT max({column}), count(*) FROM {table}").fetchone())
                    for kind, (table, column) in feeds.items()]
    assert list(found.itertuples(index=False, name=None)) == expected
    assert all(records > 0 for _, _, records in expected)
