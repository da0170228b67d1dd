"""Serve bench.naive_app under gunicorn exactly as the product is served, and time its answers."""
from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import requests

from bench.install import REPO
from ioc_app.config import Settings


class NaiveServer:
    """gunicorn with the product's worker class, workers and threads; each worker loads its frames."""

    def __init__(self, settings: Settings, config: Path, port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._log = log.open("w")
        server = settings.server
        env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")} | {"IOC_CONFIG": str(config)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", str(server.workers),
             "--threads", str(server.threads), "--bind", f"127.0.0.1:{port}", "--timeout", "1200",
             "bench.naive_app:create()"], cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.load_seconds = self._wait_ready(server.workers)

    def _wait_ready(self, workers: int, timeout: float = 1200) -> float:
        """Seconds until every worker answers; each loads its own frames before it accepts."""
        started = time.perf_counter()
        seen: dict[int, float] = {}
        while len(seen) < workers:
            if self.process.poll() is not None:
                raise RuntimeError(f"naive server exited early: see {self._log.name}")
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"naive server not ready after {timeout} s")
            try:
                answer = requests.get(self.url + "/naive/health", timeout=5).json()
                seen[answer["pid"]] = answer["load_seconds"]
            except (requests.RequestException, ValueError):
                time.sleep(1)
        return max(seen.values())

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def requests_for(sensors: list[str], services: list[str], rng: random.Random) -> tuple[str, str]:
    """(endpoint, query string) with the inputs a user varies."""
    name = rng.choice(["overview_tiles", "overview_map", "feedback_summary", "sensor_series", "wall_sensors"])
    if name == "feedback_summary":
        service = rng.choice([*services, None])
        return name, f"?days={rng.choice([7, 30, 90, 365])}" + (f"&service={service}" if service else "")
    if name == "sensor_series":
        return name, f"?sensor={rng.choice(sensors)}"
    return name, ""


def time_answers(url: str, sensors: list[str], services: list[str], count: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    samples: dict[str, list[float]] = defaultdict(list)
    session = requests.Session()
    for _ in range(count):
        name, query = requests_for(sensors, services, rng)
        started = time.perf_counter()
        answer = session.get(f"{url}/naive/{name}{query}", timeout=300)
        answer.raise_for_status()
        samples[name].append((time.perf_counter() - started) * 1000)
    return samples
