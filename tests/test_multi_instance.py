"""Several machines, one installation: two web instances and the scheduler, each with its own data
folder, all against one PostgreSQL (operational DB and DuckLake catalog, two databases) and one
shared folder of lake data files (what NFS is in production).

Real processes only: `ioc serve` (gunicorn) twice, `ioc scheduler`, `ioc ingest`; the dashboards
are asked through their Dash callback over HTTP, as a browser asks them.
"""
from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.bootstrap import create_account, init_stores
from ioc_app.config import load_settings
from pipelines.inbox import SETTLE_SECONDS
from tests import pg
from tests.conftest import ISSUED_PASSWORD, finish_first_login
from tests.test_crash_and_readers import KPI_CALLBACK
from tests.demo_instance import IOC, REPO, Instance, Server, clean_env

PROVINCE = "86"
ACCOUNT = ("cluster_leader", "Nhieu-may-2026!")
TICKET = {"status": "open", "service_code": "road", "service_name": "Đường", "description": "ổ gà",
          "requested_datetime": "2025-08-01 08:00", "updated_datetime": "2025-08-01 08:00",
          "expected_datetime": "", "address": "", "agency_responsible": "Sở GTVT"}


def _one_line_pem() -> str:
    """A fresh Ed25519 key in the one-line form an environment file holds (line breaks as \\n)."""
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()).decode("ascii")
    return pem.strip().replace("\n", "\\n")


def _machine(root: Path, name: str, opdb: str, lake: str, shared: Path, inbox: bool) -> Instance:
    """One machine's installation: its own config and data folder, the shared stores."""
    folder = root / name
    folder.mkdir(parents=True)
    sources = ("sources:\n  - {name: tickets-in, kind: tickets, inbox: data/inbox/tickets, interval_minutes: 0.05}\n"
               if inbox else "sources: []\n")
    config = folder / "config.yaml"
    config.write_text(
        f"province: '{PROVINCE}'\n"
        "data_dir: data\n"
        f"database_url: '{pg.sqlalchemy_url(opdb)}'\n"
        f"lake:\n  catalog: 'postgres:{pg.libpq_dsn(lake)}'\n  data_path: '{shared}'\n"
        "server:\n  workers: 2\n  threads: 2\n" + sources,
        encoding="utf-8")
    return Instance(folder, config)


def _place() -> dict:
    commune = geo.boundaries(PROVINCE)["features"][0]
    point = shape(commune["geometry"]).representative_point()
    return {"lat": point.y, "long": point.x}


def write_tickets(path: Path, *ids: str) -> Path:
    """Open tickets, written aside and renamed into place as an upload would (the inbox skips partial files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    pd.DataFrame([{**TICKET, **_place(), "service_request_id": i} for i in ids]).to_csv(partial, index=False)
    partial.rename(path)
    return path


class Scheduler:
    """`ioc scheduler` on one machine, in the foreground like its systemd unit runs it."""

    def __init__(self, machine: Instance, env: dict[str, str]) -> None:
        self.log = machine.root / "scheduler.log"
        self._handle = self.log.open("a")
        self._offset = self._handle.tell()  # a restarted scheduler appends to the log of the one before
        self.process = subprocess.Popen([*IOC, "--config", str(machine.config), "scheduler"], cwd=REPO,
                                        env=clean_env() | env, stdout=self._handle, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        _wait(lambda: "scheduler started" in self.output() or self.process.poll() is not None,
              30, "the scheduler did not start")
        assert self.process.poll() is None, self.output()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")[self._offset:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self._handle.close()


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    opdb, lake = pg.create_database("ioc_mi_op"), pg.create_database("ioc_mi_lake")
    root = tmp_path_factory.mktemp("cluster")
    shared = root / "shared-lake-files"
    machines = {name: _machine(root, name, opdb, lake, shared, inbox=name.startswith("pipelines"))
                for name in ("web-a", "web-b", "pipelines", "pipelines-standby")}
    env = {"IOC_SECRET_KEY": secrets.token_hex(32), "IOC_SIGNING_KEY": _one_line_pem()}
    servers: list[Server] = []
    scheduler = None
    try:
        settings = load_settings(machines["pipelines"].config)
        init_stores(settings)
        create_account(settings, ACCOUNT[0], "leader", ISSUED_PASSWORD, None, "Lãnh đạo")
        finish_first_login(pg.sqlalchemy_url(opdb), ACCOUNT[0], ISSUED_PASSWORD, ACCOUNT[1])
        with ThreadPoolExecutor(2) as pool:  # both web machines (re)start at the same time
            servers = list(pool.map(lambda name: Server(machines[name], env=env), ("web-a", "web-b")))
        scheduler = Scheduler(machines["pipelines"], env)
        yield {"machines": machines, "a": servers[0], "b": servers[1], "env": env, "scheduler": scheduler,
               "opdb": opdb, "shared": shared}
    finally:
        if scheduler is not None:
            scheduler.stop()
        for server in servers:
            server.stop()
        pg.drop_database(opdb)
        pg.drop_database(lake)


def sign_in(url: str) -> requests.Session:
    session = requests.Session()
    form = session.get(url + "/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = session.post(url + "/login", data={"csrf_token": token, "username": ACCOUNT[0], "password": ACCOUNT[1]},
                          timeout=10, allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"] == "/", answer.text
    return session


def open_tickets(session: requests.Session, url: str) -> str:
    """The overview's open-tickets tile, as the dashboard's KPI callback returns it."""
    response = session.post(url + "/_dash-update-component", json=KPI_CALLBACK, timeout=30,
                            headers={"Origin": url})
    assert response.status_code == 200, response.text[:300]
    tile = next(t for t in response.json()["response"]["ov-kpis"]["children"] if t["props"].get("id") == "kpi-tickets")
    value = next(c for c in tile["props"]["children"] if c["props"].get("className") == "ioc-kpi-value")
    return value["props"]["children"][0]


def with_cookies_of(session: requests.Session) -> requests.Session:
    """A new client (another browser tab reaching another machine) carrying the same cookies."""
    other = requests.Session()
    other.cookies.update(session.cookies)
    return other


def on_both(cluster, session: requests.Session, expected: str, seconds: float = 60) -> None:
    """Every worker of both machines shows `expected` open tickets (several requests per machine)."""
    def shown() -> bool:
        return all(open_tickets(session, server.url) == expected
                   for server in (cluster["a"], cluster["b"]) for _ in range(4))

    _wait(shown, seconds, f"not every instance shows {expected} open tickets: "
          f"a={open_tickets(session, cluster['a'].url)} b={open_tickets(session, cluster['b'].url)}")


def test_a_session_opened_on_one_machine_works_on_the_other(cluster):
    a, b = cluster["a"], cluster["b"]
    session = sign_in(a.url)
    assert requests.get(b.url + "/", timeout=10, allow_redirects=False).status_code == 302  # no cookie, no page
    on_b = with_cookies_of(session)
    page = on_b.get(b.url + "/", timeout=10, allow_redirects=False)
    assert page.status_code == 200, page.headers.get("Location")
    assert open_tickets(on_b, b.url) == "0"


def test_a_web_machine_without_the_shared_secrets_refuses_to_start(cluster):
    machine = cluster["machines"]["web-a"]
    env = clean_env() | {"IOC_SIGNING_KEY": cluster["env"]["IOC_SIGNING_KEY"]}
    refused = subprocess.run([*IOC, "--config", str(machine.config), "serve"], capture_output=True, text=True,
                             cwd=REPO, env=env, timeout=120)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith(
        "error: IOC_SECRET_KEY is not set: with the operational DB on PostgreSQL it must be set, the same on every "
        "machine"), refused.stderr
    assert not (machine.root / "data" / "secret_key").exists()  # no key of its own made instead
    check = subprocess.run([*IOC, "--config", str(machine.config), "check"], capture_output=True, text=True,
                           cwd=REPO, env=clean_env(), timeout=120)
    assert check.returncode == 1
    assert [line.split(" ", 1)[0] for line in check.stdout.splitlines()] == ["IOC_SECRET_KEY", "IOC_SIGNING_KEY"]


def test_both_machines_append_to_one_intact_audit_chain(cluster):
    urls = [cluster["a"].url, cluster["b"].url] * 4
    with ThreadPoolExecutor(len(urls)) as pool:  # sign-ins at the same moment on both machines
        list(pool.map(sign_in, urls))
    with psycopg.connect(pg.libpq_dsn(cluster["opdb"])) as con:
        logins = con.execute("SELECT count(*) FROM audit_log WHERE action = 'login'").fetchone()[0]
    assert logins >= len(urls)
    verify = subprocess.run([*IOC, "--config", str(cluster["machines"]["web-b"].config), "audit", "verify"],
                            capture_output=True, text=True, cwd=REPO, env=clean_env() | cluster["env"], timeout=120)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("ok: audit log intact")


def test_data_the_pipeline_commits_appears_on_both_machines(cluster):
    machines, session = cluster["machines"], sign_in(cluster["b"].url)
    on_both(cluster, session, "0")
    inbox = machines["pipelines"].root / "data" / "inbox" / "tickets"
    write_tickets(inbox / "morning.csv", "MI-1", "MI-2", "MI-3")  # the scheduler's inbox
    on_both(cluster, session, "3")
    ticket = write_tickets(machines["pipelines"].root / "by-hand.csv", "MI-4")
    machines["pipelines"].ioc("ingest", "tickets", "--file", str(ticket))  # a one-off run beside the scheduler
    on_both(cluster, session, "4", seconds=30)
    assert any(cluster["shared"].rglob("*.parquet")), "the data files are not in the shared folder"


def test_a_second_scheduler_does_not_run_while_the_first_holds_the_lock(cluster):
    machines, session = cluster["machines"], sign_in(cluster["a"].url)
    standby = machines["pipelines-standby"]
    waiting = write_tickets(standby.root / "data" / "inbox" / "tickets" / "standby.csv", "MI-5")
    settled = time.time() - SETTLE_SECONDS - 1  # an upload that ended a while ago: the run below may take it
    os.utime(waiting, (settled, settled))
    refused = subprocess.run([*IOC, "--config", str(standby.config), "scheduler", "--once"], capture_output=True,
                             text=True, cwd=REPO, env=clean_env() | cluster["env"], timeout=120)
    assert refused.returncode == 1
    assert re.search(r"error: another scheduler is running against the operational DB .*ioc_mi_op_\w+ "
                     rf"\(ioc scheduler \S+ pid {cluster['scheduler'].process.pid} from ", refused.stderr), refused.stderr
    assert waiting.is_file() and open_tickets(session, cluster["a"].url) == "4"  # it ran nothing

    cluster["scheduler"].stop()  # SIGTERM: the lock goes with it
    ran = subprocess.run([*IOC, "--config", str(standby.config), "scheduler", "--once"], capture_output=True,
                         text=True, cwd=REPO, env=clean_env() | cluster["env"], timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert "source=tickets-in kind=tickets status=ok files=1 read=1 loaded=1" in ran.stdout
    assert not waiting.is_file()
    on_both(cluster, session, "5", seconds=30)


def test_a_scheduler_that_loses_its_lock_stops(cluster):
    scheduler = cluster["scheduler"] = Scheduler(cluster["machines"]["pipelines"], cluster["env"])
    with psycopg.connect(pg.libpq_dsn(cluster["opdb"]), autocommit=True) as con:
        ended = con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name LIKE %s", [f"ioc scheduler % pid {scheduler.process.pid}"]).fetchall()
    assert ended == [(True,)]
    assert scheduler.process.wait(timeout=30) == 1
    assert "error: lost the scheduler lock" in scheduler.output()


def test_one_machine_killed_the_other_keeps_serving(cluster):
    a, b = cluster["a"], cluster["b"]
    session = sign_in(a.url)
    a.kill()
    with pytest.raises(requests.ConnectionError):
        requests.get(a.url + "/health", timeout=5)
    on_b = with_cookies_of(session)
    for _ in range(10):
        assert requests.get(b.url + "/health", timeout=5).json()["status"] == "ok"
        assert open_tickets(on_b, b.url) == "5"
    assert "Traceback" not in b.log.read_text(encoding="utf-8")
