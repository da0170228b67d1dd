"""Province-year benchmark: generate (or reuse) an installation at one scale, measure it through
real HTTP against gunicorn, beside the engine floor and a naive pandas app.

    python -m bench --scale 1m|10m|100m [--users 50] [--json]

Steps: install (bench/install.py); ingestion speed (bench/ingest.py); `ioc serve`; record the
pages' callbacks in chromium (bench/capture.py); sign-in times; one user replaying every
callback after each new snapshot; N users at one request a second; the wall page until its
first chart, in chromium; worker memory; the same queries on a direct DuckDB connection
(bench/floor.py); the naive app (bench/naive_app.py). The last line printed is one flat JSON
object (times in ms); the figures also go into docs/performance.md (bench/report.py).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from bench import ingest as ingest_bench
from bench.capture import capture
from bench.client import Client
from bench.floor import floor_times, queries_of
from bench.install import Installation, bench_dir, install
from bench.load import Snapshots, many_users, one_user, percentiles, smaps, wall_ready, worker_memory
from bench.naive import NaiveServer, time_answers
from bench.naive_app import ANSWERS
from bench.province import Volume
from bench.report import machine, write_report
from ioc_app.config import Settings

log = logging.getLogger("bench")
SCALES = {"1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}


def _flatten(prefix: str, samples: list[float], into: dict) -> None:
    for key, value in percentiles(samples).items():
        into[f"{prefix}_{key}"] = value


class LoadSampler:
    """The 1-minute load average every few seconds while the measurement runs."""

    def __init__(self, every: float = 5.0) -> None:
        self.values: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.is_set():
            self.values.append(os.getloadavg()[0])
            self._stop.wait(every)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {"load_avg_mean": round(float(np.mean(self.values)), 1), "load_avg_max": round(max(self.values), 1)}


def _ingest_speed(rows: int) -> dict:
    """bench.ingest's Parquet and CSV loads into a fresh lake."""
    args = SimpleNamespace(rows=rows, file_rows=min(rows, 10_000_000), csv_rows=min(rows, 1_000_000), sensors=1000)
    fleet = ingest_bench.Fleet.build(args.sensors)
    work = Path(tempfile.mkdtemp(prefix="ioc-bench-ingest-"))
    try:
        figures = {**ingest_bench.bench_parquet(args, fleet, work), **ingest_bench.bench_csv(args, fleet, work)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {f"ingest_{key}": value for key, value in figures.items()}


def _compact(settings: Settings) -> float:
    """Seconds of the lake maintenance (ioc_app.lake.maintenance.compact) that every run starts with:
    earlier runs' five-minute commits each left small files behind, as a day of feeds does before
    the scheduler's maintenance; without it a run would measure the runs before it."""
    from ioc_app.lake import connect
    from ioc_app.lake.maintenance import compact

    started = time.perf_counter()
    with connect(settings) as con:
        report = compact(con)
    log.info("bench: lake compacted, %d -> %d data files", report.data_files_before, report.data_files_after)
    return round(time.perf_counter() - started, 1)


def measure(inst: Installation, args: argparse.Namespace) -> dict:
    from tests.demo_instance import Instance, Server

    class PatientServer(Server):
        """`ioc serve` as the tests start it, given longer to boot on a loaded machine."""

        def _wait_ready(self, timeout: float = 600) -> None:
            super()._wait_ready(timeout)

    settings = inst.settings
    figures: dict = {"compact_seconds": _compact(settings)}
    snapshots = Snapshots(settings, inst.root / "increments")
    server = PatientServer(Instance(inst.root, inst.config))
    try:
        log.info("bench: recording the pages' callbacks in chromium")
        callbacks, options = capture(server.url, inst.passwords)
        figures["callbacks"] = len(callbacks)
        log.info("bench: %d callbacks recorded; sign-in times", len(callbacks))
        login = Client(server.url)
        logins = [login.log_in("leader", inst.passwords["leader"]) for _ in range(args.logins)]
        _flatten("login", logins, figures)
        clients = {}
        for callback in callbacks:
            if callback.account not in clients:
                clients[callback.account] = Client(server.url)
                clients[callback.account].log_in(callback.account, inst.passwords[callback.account])
        log.info("bench: one user, %d rounds", args.rounds)
        samples, errors = one_user(callbacks, options, clients, snapshots, args.rounds, args.seed)
        figures["callback_errors"] = errors
        by_page: dict[str, list[float]] = defaultdict(list)
        for callback in callbacks:
            _flatten(f"callback_{callback.name}", samples[callback.name], figures)
            by_page[callback.page] += samples[callback.name]
        for page, values in by_page.items():
            _flatten(f"callback_{page}", values, figures)
        _flatten("callback", [v for values in samples.values() for v in values], figures)
        worst = max(callbacks, key=lambda c: figures.get(f"callback_{c.name}_p95_ms", 0))
        figures["callback_worst"] = worst.name
        figures["callback_worst_p95_ms"] = figures.get(f"callback_{worst.name}_p95_ms")
        log.info("bench: %d users for %d s", args.users, args.seconds)
        shared = [c for c in callbacks if c.account != "admin"]
        crowd = many_users(shared, options, server.url, ("leader", inst.passwords["leader"]), args.users,
                           args.seconds, snapshots, args.commit_every, args.seed)
        prefix = f"users{args.users}"
        _flatten(f"{prefix}_callback", crowd["samples"], figures)
        for page, values in crowd["by_page"].items():
            _flatten(f"{prefix}_{page}", values, figures)
        _flatten(f"{prefix}_login", crowd["logins"], figures)
        figures[f"{prefix}_requests_per_s"] = round(crowd["requests"] / crowd["seconds"], 1)
        figures[f"{prefix}_errors"] = crowd["errors"]
        log.info("bench: the wall page in chromium")
        _flatten("wall_ready", wall_ready(server.url, ("wall", inst.passwords["wall"]), snapshots, args.wall_loads),
                 figures)
        memory = worker_memory(server.process.pid)
        figures["worker_rss_mb"] = max(m["rss"] for m in memory)
        figures["worker_pss_mb"] = max(m["pss"] for m in memory)
        _flatten("snapshot_commit", [s * 1000 for s in snapshots.seconds], figures)
    finally:
        server.stop()
        snapshots.close()
    log.info("bench: engine floor")
    queries = queries_of(settings, callbacks, inst.passwords)
    floor = floor_times(settings, queries, args.rounds)
    floor_by_page: dict[str, list[float]] = defaultdict(list)
    for callback in callbacks:
        if floor.get(callback.name):
            _flatten(f"floor_{callback.name}", floor[callback.name], figures)
            floor_by_page[callback.page] += floor[callback.name]
            figures[f"ratio_{callback.name}_product_floor"] = _ratio(
                figures.get(f"callback_{callback.name}_p95_ms"), figures.get(f"floor_{callback.name}_p95_ms"))
    for page, values in floor_by_page.items():
        _flatten(f"floor_{page}", values, figures)
        figures[f"ratio_{page}_product_floor"] = _ratio(figures.get(f"callback_{page}_p95_ms"),
                                                        figures.get(f"floor_{page}_p95_ms"))
    _flatten("floor", [v for values in floor.values() for v in values], figures)
    figures["ratio_product_floor"] = _ratio(figures.get("callback_p95_ms"), figures.get("floor_p95_ms"))
    figures.update(_naive(inst, queries, callbacks, figures, args))
    return figures


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def _naive(inst: Installation, queries: dict, callbacks: list, figures: dict, args: argparse.Namespace) -> dict:
    """The naive app's answers, its memory, and how it compares with the product's callback that
    gives the same answer (of those that run the same query, the one that runs the fewest)."""
    from ioc_app.lake import connect
    from tests.demo_instance import free_port

    settings = inst.settings
    with connect(settings, read_only=True) as con:
        sensors = [r[0] for r in con.execute("SELECT sensor_id FROM lake.main.dim_sensor").fetchall()]
        services = [r[0] for r in con.execute("SELECT DISTINCT service_code FROM lake.main.fact_ticket").fetchall()]
    log.info("bench: naive pandas app (each worker loads the facts)")
    naive = NaiveServer(settings, inst.config, free_port(), inst.root / "naive.log")
    out: dict = {"naive_load_seconds": round(naive.load_seconds, 1)}
    try:
        samples = time_answers(naive.url, sensors, services, args.naive_requests, args.seed)
        memory = [smaps(pid) for pid in naive.workers()]
        out["naive_worker_rss_mb"] = max(m["rss"] for m in memory)
        out["naive_worker_pss_mb"] = max(m["pss"] for m in memory)
    finally:
        naive.stop()
    for endpoint, values in samples.items():
        _flatten(f"naive_{endpoint}", values, out)
        same = [c.name for c in callbacks
                if any(q.__name__ in ANSWERS[endpoint] for q, _ in queries.get(c.name, []))]
        if same:
            closest = min(same, key=lambda name: len(queries[name]))
            out[f"naive_{endpoint}_product_callback"] = closest
            out[f"ratio_naive_product_{endpoint}"] = _ratio(out.get(f"naive_{endpoint}_p95_ms"),
                                                            figures.get(f"callback_{closest}_p95_ms"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", required=True, type=lambda s: s.lower(),
                        help="1m, 10m or 100m sensor readings (or any count such as 50k for a quick check)")
    parser.add_argument("--users", type=int, default=50, help="concurrent users of the load test")
    parser.add_argument("--seconds", type=float, default=30, help="duration of the load test")
    parser.add_argument("--rounds", type=int, default=20, help="one-user rounds (one new snapshot each)")
    parser.add_argument("--commit-every", type=float, default=10, help="seconds between snapshots under load")
    parser.add_argument("--wall-loads", type=int, default=8)
    parser.add_argument("--logins", type=int, default=10)
    parser.add_argument("--naive-requests", type=int, default=100)
    parser.add_argument("--ingest-rows", type=ingest_bench.parse_count, default=None,
                        help="rows of the ingestion benchmark (default: the scale's readings, at most 10m)")
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--rebuild", action="store_true", help="generate and ingest again even when reusable")
    parser.add_argument("--no-report", action="store_true", help="do not write docs/performance.md")
    parser.add_argument("--json", action="store_true", help="progress only as warnings; the JSON line last")
    args = parser.parse_args(argv)
    readings = SCALES.get(args.scale) or ingest_bench.parse_count(args.scale)
    logging.basicConfig(level=logging.WARNING if args.json else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("ioc").setLevel(logging.WARNING)
    volume = Volume.of(readings)
    started = datetime.now()
    inst = install(volume, args.scale, args.seed, rebuild=args.rebuild)
    sampler = LoadSampler()
    figures: dict = {"scale": args.scale, "date": started.strftime("%Y-%m-%d %H:%M"), **machine(),
                     "readings": volume.readings, "tickets": volume.tickets, "cameras": volume.cameras,
                     "sensors": volume.sensors, **inst.ingest}
    try:
        figures.update(_ingest_speed(args.ingest_rows or min(readings, 10_000_000)))
        figures.update(measure(inst, args))
    finally:
        figures.update(sampler.stop())
    figures["bench_minutes"] = round((datetime.now() - started).total_seconds() / 60, 1)
    results = bench_dir() / f"results-{args.scale}.json"
    baseline = bench_dir() / "results-1m.json"
    if args.scale != "1m" and baseline.is_file():
        base = json.loads(baseline.read_text(encoding="utf-8"))
        figures["ratio_callback_p95_vs_1m"] = _ratio(figures.get("callback_p95_ms"), base.get("callback_p95_ms"))
        figures["ratio_callback_worst_p95_vs_1m"] = _ratio(
            figures.get("callback_worst_p95_ms"), base.get(f"callback_{figures['callback_worst']}_p95_ms"))
    results.write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    if not args.no_report:
        write_report(figures)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
