"""Lake maintenance: compaction keeps every answer, orphaned files go, the scheduler runs it when due."""
from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.config import load_settings
from ioc_app.lake import connect, ensure_schema
from ioc_app.lake.maintenance import compact
from pipelines import run_ingest
from pipelines.ingest import ingest_table
from pipelines.maintenance import SOURCE, run_maintenance
from pipelines.scheduler import Scheduler
from tests.demo_instance import IOC, REPO, clean_env, write_store_config

PROVINCE = "86"
SENSORS = ["SAL1", "SAL2", "SAL3", "SAL4"]
READINGS_PER_SENSOR = 300  # 1,200 rows a batch, one file each
ANSWERS = {
    "readings": "SELECT sensor_id, count(*), round(sum(value), 6), min(observed_at), max(observed_at) "
                "FROM fact_sensor_reading GROUP BY ALL ORDER BY ALL",
    "hourly": "SELECT * FROM agg_sensor_hourly ORDER BY ALL",
    "daily": "SELECT * FROM agg_sensor_daily ORDER BY ALL",
    "batches": "SELECT batch_id, rows_loaded FROM ingest_batch ORDER BY ALL",
}


def make_settings(root: Path, extra: str = "") -> object:
    return load_settings(write_store_config(root, PROVINCE, extra))


def load_small_batches(settings, con, batches: int) -> None:
    """The sensor registry, then `batches` batches of 5-minute readings (a little more than a day each)."""
    commune = geo.boundaries(PROVINCE)["features"][0]
    point = shape(commune["geometry"]).representative_point()
    registry = pd.DataFrame([(s, s, "salinity", "g/l", "4", point.y, point.x, "") for s in SENSORS],
                            columns=["sensor_id", "name", "kind", "unit", "threshold", "lat", "lon", "area_code"])
    ingest_table(settings, "sensors", registry, "stations", con=con)
    for batch in range(batches):
        start = pd.Timestamp("2025-09-01") + pd.Timedelta(minutes=5 * READINGS_PER_SENSOR * batch)
        times = pd.date_range(start, periods=READINGS_PER_SENSOR, freq="5min")
        table = pd.DataFrame({"sensor_id": [s for s in SENSORS for _ in times],
                              "observed_at": [t.isoformat() for _ in SENSORS for t in times],
                              "value": [round(1 + (i % 97) / 10, 1) for i in range(len(SENSORS) * len(times))]})
        ingest_table(settings, "sensors", table, "stations", con=con)


def answers(con) -> dict[str, list[tuple]]:
    return {name: con.execute(sql).fetchall() for name, sql in ANSWERS.items()}


def live_files(con) -> list[str]:
    return [row[0] for row in con.execute(
        "SELECT data_file FROM ducklake_list_files('lake', 'fact_sensor_reading')").fetchall()]


@pytest.fixture
def lake(tmp_path):
    settings = make_settings(tmp_path)
    with connect(settings) as con:
        ensure_schema(con)
        run_ingest(settings, "areas", None, con=con)
        load_small_batches(settings, con, batches=12)
        yield settings, con


def test_compaction_merges_the_small_files_and_every_answer_stays_the_same(lake):
    settings, con = lake
    before = answers(con)
    assert len(live_files(con)) == 12
    report = compact(con)
    assert report.data_files_after < report.data_files_before
    assert len(live_files(con)) == 1
    assert answers(con) == before
    # a reader opened afterwards (another process) sees the same
    with connect(settings, read_only=True) as reader:
        assert answers(reader) == before


def test_orphaned_files_older_than_the_grace_period_are_removed_and_the_rest_stay(lake):
    settings, con = lake
    referenced = live_files(con)
    folder = Path(referenced[0]).parent
    stamp = time.time() - 2 * 3600

    def stray(name: str, old: bool) -> Path:
        path = folder / name
        path.write_bytes(Path(referenced[0]).read_bytes())  # what a batch killed before its commit leaves
        if old:
            os.utime(path, (stamp, stamp))
        return path

    orphan = stray(f"ducklake-{uuid.uuid4()}.parquet", old=True)
    writing = stray(f"ducklake-{uuid.uuid4()}.parquet", old=False)  # a batch still writing elsewhere
    foreign = stray("exported-by-hand.parquet", old=True)  # not DuckLake's: never deleted
    before = answers(con)

    run = run_maintenance(settings, con)

    assert run.status == "ok", run.message
    assert run.orphans.deleted == (str(orphan),)
    assert run.orphans.foreign == (str(foreign),)
    assert not orphan.exists() and writing.exists() and foreign.exists()
    assert all(Path(path).exists() for path in live_files(con))
    assert answers(con) == before
    assert con.execute("SELECT status, files FROM source_run WHERE source = ?", [SOURCE]).fetchall() == [
        ("ok", run.compaction.files_deleted + 1)]


def test_the_scheduler_runs_maintenance_when_due_after_the_sources(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="ioc.scheduler")
    settings = make_settings(tmp_path, "  maintenance_hours: 0.05\n"  # every 180 s
                                       "sources:\n  - {name: tickets-in, kind: tickets, inbox: inbox/tickets, "
                                       "interval_minutes: 1}\n")
    assert settings.lake.maintenance_hours == 0.05
    settings.sources[0].inbox.mkdir(parents=True)
    now = [0.0]

    def run_for(seconds: int) -> list[tuple[float, str]]:
        """Tick the fake clock second by second; (time, source) of every log line of a run."""
        scheduler = Scheduler(settings, threading.Event(), clock=lambda: now[0])
        start, ran = now[0], []
        try:
            for step in range(1, seconds + 1):
                now[0] = start + step
                caplog.clear()
                scheduler.run_due()
                ran += [(step, record.getMessage().split()[0].removeprefix("source="))
                        for record in caplog.records if record.getMessage().startswith("source=")]
        finally:
            scheduler.close()
        return ran

    first = run_for(400)
    assert [at for at, source in first if source == SOURCE] == [1, 181, 361]
    assert first[:2] == [(1, "tickets-in"), (1, SOURCE)]  # after the sources that were due
    assert [at for at, source in first if source == "tickets-in"] == [1, 61, 121, 181, 241, 301, 361]

    # a restarted scheduler waits for the rest of the interval since the last recorded run
    second = run_for(200)
    restarted = [at for at, source in second if source == SOURCE]
    assert len(restarted) == 1 and 150 <= restarted[0] <= 181
    with connect(settings, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM source_run WHERE source = ? AND status = 'ok'",
                           [SOURCE]).fetchone()[0] == 4


def test_cli_maintenance_runs_once(tmp_path):
    settings = make_settings(tmp_path)
    with connect(settings) as con:
        ensure_schema(con)
    result = subprocess.run([*IOC, "--config", str(settings.base_dir / "config.yaml"), "maintenance"], check=False,
                            capture_output=True, text=True, cwd=REPO, env=clean_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"source={SOURCE} status=ok data_files=")
    assert " orphans_deleted=0 " in result.stdout
