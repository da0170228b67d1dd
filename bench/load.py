"""Timed replays of the recorded callbacks: one user, then many users at one request per second each.

The query cache keeps a result until a table it read changes (ioc_app.web.query_cache), so what
a round measures depends on which feeds committed before it. `Snapshots.commit` brings what five
minutes bring a province, through the real pipelines (`run_ingest`): a reading of every station,
the tickets received in five minutes and as many status changes of open tickets, and every
third time (heartbeats come every 15 minutes) a heartbeat of every camera. It runs before every
round of the one-user replay and every `commit_every` seconds of the many-user run: each round
measures the first request of a callback after the new data (a cache miss for what read the
feeds; reports, indicators and catalogs change only when a report is approved), as a pessimistic
bound; within a round, callbacks that share a query share its cached answer as they do in use.
"""
from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.capture import WALL_READY, Callback
from bench.client import Client
from ioc_app.config import Settings
from ioc_app.lake import snapshot_id

OK = (200, 204)  # 204: the callback answered "nothing to update"


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    p50, p95, p99 = np.percentile(samples, [50, 95, 99])
    return {"p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1), "p99_ms": round(float(p99), 1)}


TICKETS_PER_COMMIT = 20  # 2M tickets a year: about 19 received every 5 minutes
HEARTBEAT_EVERY = 3  # commits (of 5 minutes) per camera heartbeat round (15 minutes)


class Snapshots:
    """New lake snapshots on demand: the next five minutes of the sensor, ticket and camera feeds."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        from ioc_app.lake import connect

        self.settings = settings
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.con = connect(settings)
        self.sensors = [row[0] for row in self.con.execute("SELECT sensor_id FROM lake.main.dim_sensor").fetchall()]
        self.newest = self.con.execute("SELECT max(observed_at) FROM lake.main.fact_sensor_reading").fetchone()[0]
        self.lock = threading.Lock()
        self.seconds: list[float] = []

    def commit(self) -> None:
        with self.lock:
            self.newest += timedelta(minutes=5)
            rng = np.random.default_rng(len(self.seconds))
            started = time.perf_counter()
            self._load("sensors", "readings.parquet", pa.table({
                "sensor_id": self.sensors, "observed_at": [self.newest] * len(self.sensors),
                "value": np.round(rng.uniform(0.5, 3.0, len(self.sensors)), 2)}), len(self.sensors))
            tickets = self._tickets()
            self._load("tickets", "tickets.parquet", tickets, len(tickets))
            if len(self.seconds) % HEARTBEAT_EVERY == 0:
                beats = self._heartbeats(rng)
                self._load("cameras", "status.parquet", beats, len(beats))
            self.seconds.append(time.perf_counter() - started)

    def _load(self, kind: str, name: str, table: pa.Table, expected: int) -> None:
        from pipelines import run_ingest

        path = self.folder / f"{self.newest:%Y%m%d%H%M}_{name}"
        pq.write_table(table, path)
        try:
            report = run_ingest(self.settings, kind, path, con=self.con)
        finally:
            path.unlink()
        if report.loaded < expected:
            raise RuntimeError(f"increment of {kind}: {report.loaded} of {expected} rows loaded")

    def _tickets(self) -> pa.Table:
        """Copies of the newest tickets, received now (named after the lake's snapshot: never taken), and
        the next status of as many open tickets."""
        at = self.newest
        return self.con.execute("""
            WITH newest AS (
                SELECT * FROM lake.main.fact_ticket ORDER BY requested_at DESC, ticket_id LIMIT ?),
                 moving AS (
                SELECT t.* FROM lake.main.fact_ticket t
                WHERE t.ticket_id IN (SELECT ticket_id FROM lake.main.agg_ticket_backlog
                                      ORDER BY requested_at, ticket_id LIMIT ?))
            SELECT 'BENCH-' || ? || '-' || row_number() OVER () AS service_request_id,
                   'open' AS status, service_code, service_name, description,
                   ?::TIMESTAMP AS requested_datetime, ?::TIMESTAMP AS updated_datetime,
                   ?::TIMESTAMP + (expected_at - requested_at) AS expected_datetime, lat, lon AS long, address,
                   agency AS agency_responsible, NULL::INTEGER AS satisfaction,
                   (SELECT d.code FROM lake.main.dim_area d WHERE d.area_key = newest.area_key) AS area_code
            FROM newest
            UNION ALL
            SELECT ticket_id, CASE status WHEN 'open' THEN 'in_progress' ELSE 'closed' END, service_code,
                   service_name, description, requested_at, ?::TIMESTAMP, expected_at, lat, lon, address, agency,
                   CASE WHEN status = 'in_progress' THEN 4 END, original_area_code
            FROM moving""", [TICKETS_PER_COMMIT, TICKETS_PER_COMMIT, snapshot_id(self.con), at, at, at, at]
        ).fetch_arrow_table()

    def _heartbeats(self, rng: np.random.Generator) -> pa.Table:
        """A heartbeat of every camera, 15 minutes after the newest round: 2 % of them offline."""
        cameras, newest = self.con.execute("""
            SELECT list(camera_id ORDER BY camera_id), (SELECT max(observed_at) FROM lake.main.fact_camera_status)
            FROM lake.main.dim_camera""").fetchone()
        return pa.table({"camera_id": cameras, "observed_at": [newest + timedelta(minutes=15)] * len(cameras),
                         "online": rng.uniform(size=len(cameras)) > 0.02})

    def close(self) -> None:
        self.con.close()


def one_user(callbacks: list[Callback], options: dict, clients: dict[str, Client], snapshots: Snapshots,
             rounds: int, seed: int) -> tuple[dict[str, list[float]], int]:
    """`rounds` rounds, each after a new snapshot: every callback once, in a shuffled order."""
    rng = random.Random(seed)
    samples: dict[str, list[float]] = defaultdict(list)
    errors = 0
    for _ in range(rounds):
        snapshots.commit()
        for callback in rng.sample(callbacks, len(callbacks)):
            ms, status = clients[callback.account].callback(callback.path, callback.varied(rng, options))
            if status in OK:
                samples[callback.name].append(ms)
            else:
                errors += 1
    return samples, errors


def many_users(callbacks: list[Callback], options: dict, base_url: str, account: tuple[str, str], users: int,
               seconds: float, snapshots: Snapshots, commit_every: float, seed: int) -> dict:
    """`users` signed-in users, each sending one recorded callback a second (the next of a shuffled
    cycle, with varied inputs) for `seconds`; new data every `commit_every` seconds."""
    logins: list[float] = []
    clients = [Client(base_url) for _ in range(users)]
    login_threads = [threading.Thread(target=lambda c=c: logins.append(c.log_in(*account))) for c in clients]
    for thread in login_threads:
        thread.start()
    for thread in login_threads:
        thread.join()
    samples: list[float] = []
    by_page: dict[str, list[float]] = defaultdict(list)
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 1.0
    stop = start + seconds

    def user(index: int, client: Client) -> None:
        rng = random.Random(seed * 1000 + index)
        order = rng.sample(callbacks, len(callbacks))
        due = start + rng.random()
        k = 0
        while due < stop:
            time.sleep(max(0.0, due - time.perf_counter()))
            callback = order[k % len(order)]
            ms, status = client.callback(callback.path, callback.varied(rng, options))
            with lock:
                if status in OK:
                    samples.append(ms)
                    by_page[callback.page].append(ms)
                else:
                    errors[0] += 1
            k += 1
            due += 1.0

    threads = [threading.Thread(target=user, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    while time.perf_counter() < stop:
        time.sleep(min(commit_every, max(0.0, stop - time.perf_counter())))
        if time.perf_counter() < stop:
            snapshots.commit()
    for thread in threads:
        thread.join()
    return {"samples": samples, "by_page": by_page, "errors": errors[0], "logins": logins,
            "requests": len(samples) + errors[0], "seconds": seconds}


def wall_ready(base_url: str, account: tuple[str, str], snapshots: Snapshots, loads: int) -> list[float]:
    """Milliseconds from navigation to the first chart of the wall, each load after new data."""
    from tests.browser import chromium, log_in

    times = []
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        log_in(page, base_url, *account)
        page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
        for _ in range(loads):
            snapshots.commit()
            started = time.perf_counter()
            page.goto(base_url + "/wall")
            page.locator(WALL_READY).first.wait_for(state="attached", timeout=60_000)
            times.append((time.perf_counter() - started) * 1000)
        context.close()
    return times


def smaps(pid: int) -> dict[str, float]:
    """RSS and PSS of one process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            fields[name.lower()] = round(int(rest.split()[0]) / 1024, 1)
    return fields


def worker_memory(master_pid: int) -> list[dict[str, float]]:
    """RSS and PSS (MB) of each gunicorn worker (the master's children)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [smaps(int(pid)) for pid in children]
