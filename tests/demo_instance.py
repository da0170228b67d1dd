"""A throw-away installation for end-to-end tests: its own config, data dir and demo."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IOC = [sys.executable, "-m", "ioc_app.cli"]
END_DATE = "2026-11-20"


@dataclass
class Instance:
    root: Path
    config: Path

    def ioc(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*IOC, "--config", str(self.config), *args], input=stdin, capture_output=True,
                                text=True, cwd=REPO, env=clean_env(), timeout=900)
        if check and result.returncode != 0:
            raise AssertionError(f"ioc {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}


def write_store_config(root: Path, province: str, extra: str = "",
                       database_url: str = "sqlite:///data/ioc.db") -> Path:
    """config.yaml of an installation whose stores live under `root`, plus `extra` YAML."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "config.yaml"
    config.write_text(
        f"province: '{province}'\n"
        "data_dir: data\n"
        f"database_url: '{database_url}'\n"
        "lake:\n  catalog: sqlite:data/lake/catalog.sqlite\n  data_path: data/lake/files\n" + extra,
        encoding="utf-8",
    )
    return config


def make_instance(root: Path, province: str = "Vĩnh Long", scale: float = 0.1) -> Instance:
    config = write_store_config(root, province, f"demo:\n  seed: 7\n  end_date: {END_DATE}\n  scale: {scale}\n")
    return Instance(root, config)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`ioc serve` (gunicorn) in a child process."""

    def __init__(self, instance: Instance, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = instance.root / f"serve-{self.port}.log"
        self._handle = self.log.open("w")
        self.process = subprocess.Popen([*IOC, "--config", str(instance.config), "serve", "--port", str(self.port)],
                                        cwd=REPO, env=clean_env() | (env or {}), stdout=self._handle,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 180) -> None:  # a busy shared machine boots workers slowly
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"server not ready after {timeout} s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL to gunicorn and its workers at once, as when the machine dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._handle.close()
