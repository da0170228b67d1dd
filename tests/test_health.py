"""/health and /ready on a real gunicorn: no session needed, 503 naming the failing part, no secrets;
and the JSON request log lines."""
from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request

import pytest

from ioc_app.config import load_settings
from tests.demo_instance import Instance, Server, write_store_config


def get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    root = tmp_path_factory.mktemp("health")
    made = Instance(root, write_store_config(root, "86"))
    made.ioc("init")
    return made


@pytest.fixture(scope="module")
def running(instance):
    server = Server(instance)
    yield server
    server.stop()


def test_health_and_ready_answer_without_a_session(running):
    status, body, _ = get(running.url + "/health")
    assert (status, body) == (200, {"status": "ok", "province": "86"})
    status, body, headers = get(running.url + "/ready")
    assert status == 200
    assert body["status"] == "ready" and body["failing"] == []
    assert body["checks"]["opdb"] == {"ok": True, "revision": ["0007_publishing"]}
    assert body["checks"]["lake"]["ok"] and isinstance(body["checks"]["lake"]["snapshot"], int)
    assert headers["Cache-Control"] == "no-store" and len(headers["X-Request-ID"]) == 32


def test_ready_is_503_naming_the_part_that_fails(instance, running):
    database = load_settings(instance.config).database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as con:
        con.execute("UPDATE alembic_version SET version_num = '0004_api_tokens'")
    try:
        status, body, _ = get(running.url + "/ready")
    finally:
        with sqlite3.connect(database) as con:
            con.execute("UPDATE alembic_version SET version_num = '0007_publishing'")
    assert status == 503
    assert body["status"] == "unavailable" and body["failing"] == ["opdb"]
    assert body["checks"]["opdb"] == {"ok": False, "reason": "not at the migration head",
                                      "revision": ["0004_api_tokens"]}
    assert get(running.url + "/ready")[0] == 200


def test_ready_is_503_when_the_lake_is_unreadable(tmp_path):
    made = Instance(tmp_path, write_store_config(tmp_path, "86"))
    made.ioc("init")
    server = Server(made)
    try:
        (tmp_path / "data/lake/catalog.sqlite").rename(tmp_path / "moved.sqlite")
        status, body, _ = get(server.url + "/ready")
    finally:
        server.stop()
    assert status == 503 and body["failing"] == ["lake"]
    assert body["checks"]["lake"] == {"ok": False, "reason": "unreadable"}
    assert str(tmp_path) not in json.dumps(body)  # no path, URL or error text in the answer
    logged = [json.loads(line) for line in server.log.read_text(encoding="utf-8").splitlines()
              if line.startswith("{")]
    request = next(line for line in logged if line["logger"] == "ioc.web.request" and line["path"] == "/ready")
    assert request["status"] == 503 and request["method"] == "GET" and request["duration_ms"] >= 0
    assert request["time"].endswith("+07:00") and len(request["request_id"]) == 32
    warning = next(line for line in logged if line["logger"] == "ioc.web.health")
    assert warning["level"] == "WARNING" and warning["message"].startswith("readiness: lake unreadable")
    assert any(line["logger"] == "gunicorn.error" for line in logged)  # gunicorn's own lines are JSON too
