"""A batch is all or nothing, even under kill -9; readers (processes, gunicorn) only ever see whole batches."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.bootstrap import create_account, init_stores
from ioc_app.config import load_settings
from ioc_app.lake import connect, ensure_schema
from pipelines import run_ingest
from tests.conftest import ISSUED_PASSWORD, finish_first_login
from tests.demo_instance import IOC, REPO, Server, clean_env, make_instance

SENSORS = ("SAL1", "SAL2", "SAL3")
BIG_ROWS = 2_000_000  # about 5 s of loading: long enough to be killed inside the transaction
BATCH_ROWS = 6_000
BATCHES = 8
ACCOUNT = ("reader_leader", "Doc-gia-2026!x")

# A reader process: connects, looks with one statement (one snapshot), disconnects, again and
# again; prints what it saw as JSON once the stop file appears.
READER = """
import json, sys
from pathlib import Path
from ioc_app.config import load_settings
from ioc_app.lake import connect
settings, stop, batch_rows, ready = load_settings(Path(sys.argv[1])), Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
looks, states, errors = 0, set(), []
while not stop.exists() or looks == 0:
    try:
        with connect(settings, read_only=True) as con:
            rows, total, batches, hourly = con.execute(
                "SELECT (SELECT count(*) FROM fact_sensor_reading), "
                "(SELECT coalesce(sum(value), 0) FROM fact_sensor_reading), "
                "(SELECT coalesce(sum(rows_loaded), 0) FROM ingest_batch WHERE source = 'pairs'), "
                "(SELECT coalesce(sum(n), 0) FROM agg_sensor_hourly)").fetchone()
        if not (rows % batch_rows == 0 and total == rows == batches == hourly):
            errors.append(f"partial batch visible: rows {rows}, sum {total}, batches {batches}, hourly {hourly}")
        states.add(rows)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    looks += 1
    ready.touch()
print(json.dumps({"looks": looks, "states": sorted(states), "errors": errors[:5]}))
"""


def sensor_registry() -> pd.DataFrame:
    commune = geo.boundaries("86")["features"][0]
    point = shape(commune["geometry"]).representative_point()
    return pd.DataFrame({"sensor_id": list(SENSORS), "name": "Trạm", "kind": "salinity", "unit": "g/l",
                         "threshold": "4", "lat": point.y, "lon": point.x})


def readings(rows: int, start: str) -> pd.DataFrame:
    """`rows` readings of value 1.0, five minutes apart per sensor, from `start`."""
    step = np.arange(rows) // len(SENSORS)
    return pd.DataFrame({"sensor_id": np.array(SENSORS)[np.arange(rows) % len(SENSORS)],
                         "observed_at": pd.Timestamp(start) + pd.to_timedelta(step * 5, unit="min"),
                         "value": np.ones(rows)})


def prepare(settings, folder: Path) -> None:
    """Areas and three sensors registered, through one lake connection."""
    folder.mkdir(parents=True, exist_ok=True)
    sensor_registry().to_csv(folder / "sensors.csv", index=False)
    with connect(settings) as con:
        ensure_schema(con)
        run_ingest(settings, "areas", None, con=con)
        run_ingest(settings, "sensors", folder / "sensors.csv", con=con)


def lake_state(settings) -> tuple[int, int, int, int]:
    """Readings, distinct readings, ingest_batch rows and the hourly rollup's count, in one snapshot."""
    with connect(settings) as con:  # read-write: the lake must open for writing after a crash
        return con.execute(
            "SELECT (SELECT count(*) FROM fact_sensor_reading), "
            "(SELECT count(*) FROM (SELECT DISTINCT sensor_id, observed_at FROM fact_sensor_reading)), "
            "(SELECT count(*) FROM ingest_batch), (SELECT coalesce(sum(n), 0) FROM agg_sensor_hourly)").fetchone()


def test_kill_9_inside_the_batch_leaves_nothing_and_a_rerun_loads_every_row_once(tmp_path):
    instance = make_instance(tmp_path / "crash")
    settings = load_settings(instance.config)
    prepare(settings, tmp_path / "sources")
    big = tmp_path / "sources" / "big.parquet"
    readings(BIG_ROWS, "2025-01-01").to_parquet(big, index=False)
    before = lake_state(settings)
    data_files = settings.lake.data_path / "main" / "fact_sensor_reading"
    command = [*IOC, "--config", str(instance.config), "ingest", "sensors", "--file", str(big), "--json"]

    process = subprocess.Popen(command, cwd=REPO, env=clean_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    # The batch's readings are written to Parquet inside its transaction, before the commit that
    # makes them visible: the first such file shows the process is in the middle of the batch.
    deadline = time.monotonic() + 90
    while not (data_files.is_dir() and any(data_files.glob("*.parquet"))):
        assert process.poll() is None, f"ingest ended before it could be killed:\n{process.communicate()[1]}"
        assert time.monotonic() < deadline, "no data file written in 90 s"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, stderr
    assert "committed" not in stderr

    assert lake_state(settings) == before  # nothing of the batch: no reading, no rollup, no ingest_batch row

    rerun = subprocess.run(command, check=False, cwd=REPO, env=clean_env(), capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout.splitlines()[-1])["loaded"] == BIG_ROWS
    rows, distinct, batches, hourly = lake_state(settings)
    assert (rows, distinct, batches, hourly) == (before[0] + BIG_ROWS, before[0] + BIG_ROWS, before[2] + 1,
                                                before[3] + BIG_ROWS)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """An installation with areas, three sensors and a leader account; its files of readings."""
    root = tmp_path_factory.mktemp("readers")
    instance = make_instance(root)
    settings = load_settings(instance.config)
    init_stores(settings)
    prepare(settings, root / "sources")
    create_account(settings, ACCOUNT[0], "leader", ISSUED_PASSWORD, None, "Reader")
    finish_first_login(settings.database_url, ACCOUNT[0], ISSUED_PASSWORD, ACCOUNT[1])
    for number in range(BATCHES):
        start = pd.Timestamp("2025-03-01") + pd.Timedelta(days=30 * number)
        readings(BATCH_ROWS, str(start)).to_parquet(root / "sources" / f"batch_{number}.parquet", index=False)
    return instance


def ingest_batches(instance, batches: range, pause: float = 0.0) -> None:
    """Commit one batch per file through one connection, as the scheduler does."""
    settings = load_settings(instance.config)
    with connect(settings) as con:
        for number in batches:
            report = run_ingest(settings, "sensors", instance.root / "sources" / f"batch_{number}.parquet",
                                con=con, source="pairs")
            assert report.loaded == BATCH_ROWS
            time.sleep(pause)


def test_reader_processes_see_only_whole_batches(instance):
    stop = instance.root / "stop-readers"
    ready = [instance.root / f"reader-{n}-ready" for n in range(2)]
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(instance.config), str(stop), str(BATCH_ROWS),
                                 str(flag)], cwd=REPO, env=clean_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for flag in ready]
    try:
        deadline = time.monotonic() + 120  # the readers are looking before the first commit
        while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
            time.sleep(0.1)
        ingest_batches(instance, range(BATCHES // 2), pause=1.5)  # time for a look between commits on a busy machine
    finally:
        stop.touch()
    seen = []
    for reader in readers:
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        seen.append(json.loads(out.splitlines()[-1]))
    for report in seen:
        assert report["errors"] == [], report
        assert len(report["states"]) >= 3, f"the reader saw too few commits to tell: {report}"
        assert set(report["states"]) <= {n * BATCH_ROWS for n in range(BATCHES // 2 + 1)}


def _log_in(url: str) -> requests.Session:
    session = requests.Session()
    form = session.get(url + "/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = session.post(url + "/login", data={"csrf_token": token, "username": ACCOUNT[0],
                                                "password": ACCOUNT[1]}, timeout=10, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return session


KPI_CALLBACK = {
    "output": "..ov-kpis.children...ov-footer.children..",
    "outputs": [{"id": "ov-kpis", "property": "children"}, {"id": "ov-footer", "property": "children"}],
    "inputs": [{"id": "ov-refresh", "property": "n_intervals", "value": 1}],
    "changedPropIds": ["ov-refresh.n_intervals"],
    "state": [],
}


def test_dashboard_callbacks_answer_while_batches_are_committed(instance, tmp_path):
    server = Server(instance)
    answers: list[tuple[int, str]] = []
    done = threading.Event()
    ready = threading.Barrier(3, timeout=60)

    def poll() -> None:
        session = _log_in(server.url)
        first = True
        while first or not done.is_set():
            response = session.post(server.url + "/_dash-update-component", json=KPI_CALLBACK, timeout=60)
            ok = response.status_code == 200
            answers.append((response.status_code,
                            response.json()["response"]["ov-footer"]["children"] if ok else response.text[:300]))
            if first:
                first = False
                ready.wait()  # both pollers are answered before the first batch is committed

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    try:
        for poller in pollers:
            poller.start()
        ready.wait()
        ingest_batches(instance, range(BATCHES // 2, BATCHES), pause=0.3)
        time.sleep(0.5)  # the last commit gets answered too
    finally:
        done.set()
        for poller in pollers:
            poller.join(timeout=60)
        server.stop()
    assert [answer for answer in answers if answer[0] != 200] == []
    assert "Traceback" not in server.log.read_text(encoding="utf-8")
    assert len({footer for _, footer in answers}) >= 2, "the KPI footer never showed a new batch"
