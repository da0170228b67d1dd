"""HTTP pulls (Open311, SensorThings) against small servers started here on 127.0.0.1.

The servers answer from in-memory lists, so a test can add or change records between pulls,
make the next answers fail, and read the query parameters each pull sent.
"""
from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from shapely.geometry import shape

from ioc_app import cli, geo
from ioc_app.clock import now_ict
from ioc_app.config import load_settings
from ioc_app.lake import connect
from pipelines import rollups, run_ingest
from pipelines.pulls import open311, sensorthings
from pipelines.pulls.http import HttpClient, PullError
from tests.demo_instance import write_store_config

PROVINCE = "86"
FAST = HttpClient(timeout=5, retries=2, backoff=0.01)


@dataclass
class Feed:
    """What a test server serves and what it was asked."""

    records: list[dict] = field(default_factory=list)
    things: list[dict] = field(default_factory=list)
    queries: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # status codes to answer next, in order
    page_cap: int = 1000
    body: bytes | None = None  # a raw body to answer instead of the data (invalid JSON)

    def asked(self, path_end: str) -> list[dict[str, str]]:
        return [query for path, query in self.queries if path.endswith(path_end)]


def _aware(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _open311(feed: Feed, path: str, query: dict[str, str]) -> object:
    assert path == "/georeport/v2/requests.json"
    rows = sorted(feed.records, key=lambda r: _aware(r["updated_datetime"]))
    if "updated_after" in query:
        rows = [r for r in rows if _aware(r["updated_datetime"]) > _aware(query["updated_after"])]
    rows = [r for r in rows if _aware(r["updated_datetime"]) < _aware(query["updated_before"])]
    if "status" in query:
        rows = [r for r in rows if r.get("status") in query["status"].split(",")]
    size = min(int(query["page_size"]), feed.page_cap)
    start = (int(query["page"]) - 1) * size
    return rows[start:start + size]


def _collection(base: str, path: str, query: dict[str, str], items: list, top: int) -> dict:
    skip = int(query.get("$skip", 0))
    body: dict = {"value": items[skip:skip + top]}
    if skip + top < len(items):
        following = {**query, "$skip": str(skip + top)}
        body["@iot.nextLink"] = f"{base}{path}?{urlencode(following, quote_via=quote, safe='$(),')}"
    return body


def _sensorthings(feed: Feed, base: str, path: str, query: dict[str, str]) -> object:
    if path == "/sta/v1.1/Things":
        assert query["$expand"] == sensorthings.THINGS_EXPAND
        things = [{key: value for key, value in thing.items() if key != "observations"} for thing in feed.things]
        return _collection(base, path, query, things, top=1)
    stream_id = int(re.fullmatch(r"/sta/v1\.1/Datastreams\((\d+)\)/Observations", path).group(1))
    stream = next(s for t in feed.things for s in t["Datastreams"] if s["@iot.id"] == stream_id)
    rows = sorted(stream["observations"], key=lambda o: _aware(o["phenomenonTime"]))
    if "$filter" in query:
        since = re.fullmatch(r"phenomenonTime gt (\S+)", query["$filter"]).group(1)
        rows = [o for o in rows if _aware(o["phenomenonTime"]) > _aware(since)]
    return _collection(base, path, query, rows, top=int(query["$top"]))



class _Handler(BaseHTTPRequestHandler):
    feed: Feed
    base: str

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        self.feed.queries.append((parts.path, query))
        if self.feed.failures:
            status = self.feed.failures.pop(0)
            self._answer(status, json.dumps([{"code": status, "description": "không xử lý được"}]).encode())
            return
        if self.feed.body is not None:
            self._answer(200, self.feed.body)
            return
        if parts.path.startswith("/georeport/"):
            data = _open311(self.feed, parts.path, query)
        else:
            data = _sensorthings(self.feed, self.base, parts.path, query)
        self._answer(200, json.dumps(data).encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def feed() -> Iterator[tuple[Feed, str]]:
    """A running server on a random port: (its feed, its base URL)."""
    state = Feed()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.RequestHandlerClass = type("Handler", (_Handler,), {"feed": state, "base": base})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, base
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def point() -> tuple[float, float]:
    """lat, lon inside a commune of the province."""
    feature = geo.boundaries(PROVINCE)["features"][0]
    inside = shape(feature["geometry"]).representative_point()
    return inside.y, inside.x


@pytest.fixture
def settings(tmp_path):
    loaded = load_settings(write_store_config(tmp_path, PROVINCE))
    run_ingest(loaded, "areas", None)
    yield loaded
    reader = _READERS.pop(loaded.base_dir, None)
    if reader is not None:
        reader.close()


# One read-only connection per test lake: in autocommit it sees each snapshot the pulls commit.
_READERS: dict = {}


def rows(settings, sql: str, params: list | None = None) -> list[tuple]:
    if settings.base_dir not in _READERS:
        _READERS[settings.base_dir] = connect(settings, read_only=True)
    return _READERS[settings.base_dir].execute(sql, params or []).fetchall()


def one(settings, sql: str, params: list | None = None):
    return rows(settings, sql, params)[0][0]


def snapshot(settings) -> int:
    return one(settings, "SELECT id FROM lake.current_snapshot()")


def watermark(settings, source: str):
    return one(settings, "SELECT max(watermark) FROM source_watermark WHERE source = ?", [source])


def wire(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+07:00")


def ticket(ticket_id: str, status: str, requested: datetime, updated: datetime, point, **extra) -> dict:
    return {"service_request_id": ticket_id, "status": status, "service_code": "road", "service_name": "Đường",
            "description": "ổ gà", "requested_datetime": wire(requested), "updated_datetime": wire(updated),
            "expected_datetime": None, "lat": point[0], "long": point[1], "address": "ấp 3",
            "agency_responsible": "Sở Xây dựng", **extra}


@pytest.fixture
def start() -> datetime:
    return (now_ict() - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)


OPEN311 = "/georeport/v2"


def test_open311_first_pull_pages_then_asks_only_for_updates(settings, feed, point, start):
    state, base = feed
    state.page_cap = 3  # the server caps page_size below what the pull asks for
    state.records = [ticket(f"T{i}", "open", start, start + timedelta(hours=i), point) for i in range(7)]
    report = open311.pull(settings, base + OPEN311, "city", client=FAST)
    assert (report.read, report.loaded, report.quarantined) == (7, 7, 0)
    assert [q["page"] for q in state.asked("requests.json")] == ["1", "2", "3"]
    assert "updated_after" not in state.asked("requests.json")[0]
    assert one(settings, "SELECT count(*) FROM fact_ticket") == 7
    assert watermark(settings, "city") == start + timedelta(hours=6)
    assert one(settings, "SELECT DISTINCT source FROM fact_ticket") == "city"
    assert one(settings, "SELECT file FROM ingest_batch WHERE batch_id = ?", [report.batch_id]) == base + OPEN311

    state.queries.clear()
    again = open311.pull(settings, base + OPEN311, "city", client=FAST)
    asked = state.asked("requests.json")[0]
    assert asked["updated_after"] == wire(start + timedelta(hours=6) - open311.OVERLAP)
    assert _aware(asked["updated_before"]) >= _aware(wire(now_ict() - timedelta(minutes=1)))
    assert (again.read, again.loaded) == (1, 0)  # the overlap brings the newest ticket again: nothing new
    assert one(settings, "SELECT count(*) FROM fact_ticket_event") == 7
    before = snapshot(settings)
    assert open311.pull(settings, base + OPEN311, "city", client=FAST).unchanged
    assert snapshot(settings) == before  # an identical answer writes nothing


def test_open311_late_status_change_becomes_an_event_and_moves_the_state(settings, feed, point, start):
    state, base = feed
    state.records = [ticket("OLD", "open", start, start, point),
                     ticket("NEW", "open", start, start + timedelta(hours=5), point)]
    open311.pull(settings, base + OPEN311, "city", client=FAST)
    state.records[0] = ticket("OLD", "in_progress", start, start + timedelta(days=1), point)
    assert open311.pull(settings, base + OPEN311, "city", client=FAST).loaded == 1
    state.records[0] = ticket("OLD", "closed", start, start + timedelta(days=2), point,
                              extended_attributes={"satisfaction": 5})
    assert open311.pull(settings, base + OPEN311, "city", client=FAST).loaded == 1
    assert rows(settings, "SELECT status, event_at FROM fact_ticket_event WHERE ticket_id = 'OLD' ORDER BY 2") == [
        ("open", start), ("in_progress", start + timedelta(days=1)), ("closed", start + timedelta(days=2))]
    assert rows(settings, "SELECT status, closed_at, satisfaction FROM fact_ticket WHERE ticket_id = 'OLD'") == [
        ("closed", start + timedelta(days=2), 5)]
    assert watermark(settings, "city") == start + timedelta(days=2)


def test_open311_bad_records_are_quarantined_and_the_rest_loads(settings, feed, point, start):
    state, base = feed
    state.records = [
        ticket("GOOD", "open", start, start, point),
        ticket("STATUS", "acknowledged", start, start + timedelta(minutes=1), point),
        ticket("NOCODE", "open", start, start + timedelta(minutes=2), point, service_code=None),
        ticket("FAR", "open", start, start + timedelta(minutes=3), (1.0, 100.0)),
        ticket("DATE", "open", start, start + timedelta(minutes=4), point, requested_datetime="hôm qua"),
    ]
    report = open311.pull(settings, base + OPEN311, "city", client=FAST)
    assert (report.read, report.loaded, report.quarantined) == (5, 1, 4)
    assert report.reasons == {"status not one of closed|in_progress|open": 1, "missing service_code": 1,
                              "coordinates outside the province": 1, "requested_datetime is not a date/time": 1}
    raw = [json.loads(text)["service_request_id"] for (text,) in rows(settings, "SELECT raw FROM quarantine")]
    assert sorted(raw) == ["DATE", "FAR", "NOCODE", "STATUS"]
    assert watermark(settings, "city") == start + timedelta(minutes=4)  # quarantined rows are not pulled again


def test_open311_dry_run_writes_nothing_and_keeps_the_watermark(settings, feed, point, start):
    state, base = feed
    state.records = [ticket("T1", "open", start, start, point), ticket("T2", "closed", start, start, point)]
    before = snapshot(settings)
    report = open311.pull(settings, base + OPEN311, "city", dry_run=True, client=FAST)
    assert (report.read, report.loaded) == (2, 2)
    assert snapshot(settings) == before
    assert watermark(settings, "city") is None
    assert open311.pull(settings, base + OPEN311, "city", client=FAST).loaded == 2


def test_open311_retries_server_errors_then_loads(settings, feed, point, start):
    state, base = feed
    state.records = [ticket("T1", "open", start, start, point)]
    state.failures = [500, 503]
    assert open311.pull(settings, base + OPEN311, "city", client=FAST, service_code="road",
                        status="open,closed").loaded == 1
    asked = state.asked("requests.json")
    assert [q["page"] for q in asked] == ["1", "1", "1", "2"]
    assert (asked[-1]["service_code"], asked[-1]["status"]) == ("road", "open,closed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unusable_services_are_one_line_errors_and_store_nothing(settings, feed):
    state, base = feed
    before = snapshot(settings)
    down = f"http://127.0.0.1:{_free_port()}/georeport/v2?api_key=s3cret"
    with pytest.raises(PullError) as refused:
        open311.pull(settings, down, "city", client=FAST)
    message = str(refused.value)
    assert "\n" not in message and "s3cret" not in message
    assert re.match(r"GET http://127\.0\.0\.1:\d+/georeport/v2/requests\.json\?api_key=\*\*\*&.*: cannot connect "
                    r"\(Connection refused\) \(gave up after 3 attempts\)$", message)
    state.failures = [404]
    with pytest.raises(PullError, match=r"requests\.json.*: HTTP 404 Not Found: không xử lý được$"):
        open311.pull(settings, base + OPEN311, "city", client=FAST)
    assert len(state.queries) == 1  # a 4xx is not retried
    state.body = b"<html>maintenance</html>"
    with pytest.raises(PullError, match=r"Things\?\$expand=.*: the answer is not valid JSON"):
        sensorthings.pull(settings, base + "/sta/v1.1", "air", client=FAST)
    assert snapshot(settings) == before


def test_failed_batch_keeps_the_watermark(settings, feed, point, start, monkeypatch):
    state, base = feed
    state.records = [ticket("T1", "open", start, start, point)]
    open311.pull(settings, base + OPEN311, "city", client=FAST)
    state.records.append(ticket("T2", "open", start, start + timedelta(hours=1), point))

    def broken(con, touched_days, new_state):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollups, "tickets", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        open311.pull(settings, base + OPEN311, "city", client=FAST)
    assert watermark(settings, "city") == start
    assert one(settings, "SELECT count(*) FROM fact_ticket") == 1
    monkeypatch.undo()
    assert open311.pull(settings, base + OPEN311, "city", client=FAST).loaded == 1
    assert watermark(settings, "city") == start + timedelta(hours=1)


def observation(moment: datetime, result: object) -> dict:
    return {"phenomenonTime": (moment - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%SZ"), "result": result}


def stream(stream_id: int, name: str, observed: str, symbol: str, start: datetime, values: list,
           **properties) -> dict:
    return {"@iot.id": stream_id, "name": name, "unitOfMeasurement": {"name": observed, "symbol": symbol},
            "ObservedProperty": {"name": observed, "definition": ""}, "properties": properties,
            "observations": [observation(start + timedelta(minutes=5 * i), v) for i, v in enumerate(values)]}


def station(thing_id: int, name: str, point, streams: list[dict], **properties) -> dict:
    return {"@iot.id": thing_id, "name": name, "properties": properties,
            "Locations": [{"location": {"type": "Point", "coordinates": [point[1], point[0]]}}],
            "Datastreams": streams}


STA = "/sta/v1.1"


def test_sensorthings_registry_readings_and_incremental_pulls(settings, feed, point, start):
    state, base = feed
    salinity = stream(1, "Độ mặn cống A", "Độ mặn", "g/l", start, [1.0, 2.0, 3.0, 4.0, 5.0], threshold=4)
    level = stream(2, "Mực nước cống A", "Water level", "cm", start, [120, 121])
    heat = stream(3, "Nhiệt độ", "Air temperature", "°C", start, [30])
    state.things = [station(10, "Cống A", point, [salinity, level]),
                    station(11, "Trạm khí", point, [heat, stream(4, "Bụi", "PM2.5", "µg/m³", start, [12, "n/a"])])]
    report = sensorthings.pull(settings, base + STA, "air", client=FAST, top=2)
    assert rows(settings, "SELECT sensor_id, kind, unit, threshold FROM dim_sensor ORDER BY 1") == [
        ("air:1", "salinity", "g/l", 4.0), ("air:2", "water_level", "cm", None), ("air:4", "pm25", "µg/m³", None)]
    assert (report.read, report.loaded, report.quarantined) == (4 + 9, 3 + 8, 1 + 1)
    assert report.reasons == {"kind not one of pm25|salinity|water_level": 1, "value is not a number": 1}
    assert len(state.asked("/Things")) == 2  # one Thing a page: the nextLink was followed
    assert len(state.asked("Datastreams(1)/Observations")) == 3  # five observations, two a page
    assert not state.asked("Datastreams(3)/Observations")  # its registry row was quarantined
    assert watermark(settings, "air:1") == start + timedelta(minutes=20)

    state.queries.clear()
    late = start + timedelta(minutes=12)  # arrives after the pull that loaded the later ones
    salinity["observations"] += [observation(late, 9.0), observation(start + timedelta(minutes=25), 6.0)]
    again = sensorthings.pull(settings, base + STA, "air", client=FAST, top=2)
    assert state.asked("Datastreams(1)/Observations")[0]["$filter"] == (
        f"phenomenonTime gt {wire(start + timedelta(minutes=20) - sensorthings.OVERLAP)}")
    assert again.loaded == 2
    assert rows(settings, "SELECT n, max_value FROM agg_sensor_hourly WHERE sensor_id = 'air:1'") == [(7, 9.0)]
    assert watermark(settings, "air:1") == start + timedelta(minutes=25)
    assert one(settings, "SELECT count(*) FROM fact_sensor_reading") == 5 + 2 + 1 + 2


def test_sensorthings_dry_run_and_configured_source_name_from_the_cli(settings, feed, point, start, capsys,
                                                                      monkeypatch):
    state, base = feed
    state.things = [station(10, "Cống A", point, [stream(1, "Độ mặn", "salinity", "g/l", start, [1.0])])]
    monkeypatch.setenv("IOC_CONFIG", str(settings.base_dir / "config.yaml"))
    config = str(settings.base_dir / "config.yaml")
    before = snapshot(settings)
    assert cli.main(["--config", config, "ingest", "sensors", "--sensorthings", base + STA, "--dry-run",
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["loaded"] == 1  # the registry only
    assert snapshot(settings) == before
    assert cli.main(["--config", config, "ingest", "sensors", "--sensorthings", base + STA, "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (report["read"], report["loaded"]) == (2, 2)
    source = f"sensorthings:{base}{STA}"
    assert watermark(settings, f"{source}:1") == start
    assert cli.main(["--config", config, "ingest", "tickets", "--sensorthings", base + STA]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: ingest tickets: --sensorthings feeds sensors only (ioc ingest sensors --sensorthings URL)")
