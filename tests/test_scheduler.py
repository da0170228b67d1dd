"""The scheduler and its inbox folders: files picked up, filed away, failures backed off and recorded."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.clock import today_ict
from ioc_app.config import load_settings
from ioc_app.errors import IocError, StoreError
from ioc_app.lake import connect, ensure_schema
from pipelines import BatchReport, run_ingest
from pipelines import inbox as inbox_module
from pipelines.scheduler import Scheduler, backoff_seconds, run_scheduler
from tests.demo_instance import IOC, REPO, clean_env, write_store_config

PROVINCE = "86"
SOURCES = {"reports": 15, "tickets": 5, "cameras": 5, "sensors": 5}
TICKET = {"service_request_id": "T1", "status": "open", "service_code": "road", "service_name": "Đường",
          "description": "ổ gà", "requested_datetime": "2025-08-01 08:00", "updated_datetime": "2025-08-01 08:00",
          "expected_datetime": "", "address": "", "agency_responsible": "Sở GTVT"}


def write(frame: pd.DataFrame, path: Path, age: float = 60) -> Path:
    """Write `frame` in the format of the file's suffix, last modified `age` seconds ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif path.suffix == ".json":
        path.write_text(frame.to_json(orient="records", force_ascii=False), encoding="utf-8")
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_excel(path, sheet_name="data", index=False)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def one(settings, sql: str):
    with connect(settings, read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def rows(settings, sql: str) -> list[tuple]:
    with connect(settings, read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def place() -> dict:
    commune = next(f for f in geo.boundaries(PROVINCE)["features"])
    point = shape(commune["geometry"]).representative_point()
    return {"commune": commune["id"], "lat": point.y, "lon": point.x}


def write_config(root: Path, sources: str) -> Path:
    return write_store_config(root, PROVINCE, f"sources:\n{sources}")


def inbox_sources(extra: str = "") -> str:
    return "".join(f"  - {{name: {kind}-in, kind: {kind}, inbox: inbox/{kind}, interval_minutes: {minutes}}}\n"
                   for kind, minutes in SOURCES.items()) + extra


@pytest.fixture
def settings(tmp_path, place):
    """A lake with areas, one unit, one indicator and the total category; an inbox per kind."""
    settings = load_settings(write_config(tmp_path, inbox_sources()))
    catalog = tmp_path / "catalog"
    write(pd.DataFrame([("UBND", "UBND tỉnh", "province_office", "", PROVINCE, "2025-07-01", "")],
                       columns=["unit_code", "name", "kind", "parent_code", "area_code", "valid_from", "valid_to"]),
          catalog / "units.csv")
    (catalog / "indicators.json").write_text(json.dumps([
        {"code": "POP", "name_vi": "Dân số", "name_en": "Population", "unit": "người", "sector": "dân số",
         "frequency": "year", "aggregation": "sum", "direction": "up", "value_type": "integer",
         "level": "commune", "targets": {}}]), encoding="utf-8")
    (catalog / "categories.json").write_text(json.dumps([
        {"criterion": "all", "name_vi": "Tổng", "name_en": "Total",
         "categories": [{"code": "total", "name_vi": "Tổng", "name_en": "Total"}]}]), encoding="utf-8")
    with connect(settings) as con:
        ensure_schema(con)
        run_ingest(settings, "areas", None, con=con)
        for kind in ("units", "indicators", "categories"):
            run_ingest(settings, kind, next(catalog.glob(f"{kind}.*")), con=con)
    return settings


def inbox(settings, kind: str) -> Path:
    return next(s.inbox for s in settings.sources if s.kind == kind)


def filed(settings, kind: str, status: str) -> list[str]:
    folder = inbox(settings, kind) / status / today_ict().isoformat()
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def waiting(settings, kind: str) -> list[str]:
    return sorted(p.name for p in inbox(settings, kind).iterdir() if p.is_file())


def sensor_registry(place) -> pd.DataFrame:
    return pd.DataFrame([("SAL1", "Trạm mặn", "salinity", "g/l", "4", place["lat"], place["lon"], "")],
                        columns=["sensor_id", "name", "kind", "unit", "threshold", "lat", "lon", "area_code"])


def tickets(place, *ids: str) -> pd.DataFrame:
    return pd.DataFrame([{**TICKET, "service_request_id": i, "lat": place["lat"], "long": place["lon"]} for i in ids])


def test_inbox_files_of_every_kind_are_loaded_and_filed(settings, place):
    write(pd.DataFrame([("S1", "UBND", "POP", "2025", PROVINCE, "total", "1000", "2025-12-20")],
                       columns=["submission_id", "unit_code", "indicator_code", "period", "area_code",
                                "category_code", "value", "approved_at"]), inbox(settings, "reports") / "pop.json")
    write(tickets(place, "T1", "T2"), inbox(settings, "tickets") / "tickets.csv")
    write(pd.DataFrame([("CAM1", "Ngã tư", "traffic", place["lat"], place["lon"], "", "2024-05-01")],
                       columns=["camera_id", "name", "kind", "lat", "lon", "area_code", "installed_at"]),
          inbox(settings, "cameras") / "cameras.xlsx", age=120)
    write(pd.DataFrame({"camera_id": ["CAM1"] * 2, "online": [True, False],
                        "observed_at": pd.to_datetime(["2025-09-01 00:00", "2025-09-01 00:15"])}),
          inbox(settings, "cameras") / "status.parquet", age=60)  # newer than the registry: loaded after it
    write(sensor_registry(place), inbox(settings, "sensors") / "sensors.csv", age=120)
    write(pd.DataFrame({"sensor_id": ["SAL1"] * 3, "value": [1.0, 2.0, 3.0],
                        "observed_at": ["2025-09-01 10:00", "2025-09-01 10:05", "2025-09-01 10:10"]}),
          inbox(settings, "sensors") / "readings.jsonl", age=60)
    # not offered: hidden, still being uploaded, written a moment ago
    for name, age in ((".hidden.csv", 60), ("upload.csv.part", 60), ("fresh.csv", 0)):
        write(tickets(place, "T9"), inbox(settings, "tickets") / name, age=age)

    summary = run_scheduler(settings, once=True)

    assert [(r.source, r.status, r.files, r.loaded) for r in summary.runs] == [
        ("reports-in", "ok", 1, 1), ("tickets-in", "ok", 1, 2), ("cameras-in", "ok", 2, 3),
        ("sensors-in", "ok", 2, 4)]
    assert not summary.failed
    assert filed(settings, "cameras", "done") == ["cameras.xlsx", "status.parquet"]
    assert filed(settings, "sensors", "done") == ["readings.jsonl", "sensors.csv"]
    assert waiting(settings, "tickets") == [".hidden.csv", "fresh.csv", "upload.csv.part"]
    assert sorted(t[0] for t in rows(settings, "SELECT ticket_id FROM fact_ticket")) == ["T1", "T2"]
    assert one(settings, "SELECT value FROM fact_indicator_value") == 1000
    assert one(settings, "SELECT count(*) FROM fact_camera_status") == 2
    assert one(settings, "SELECT sum(value) FROM fact_sensor_reading") == 6
    assert rows(settings, "SELECT source, count(*) FROM ingest_batch WHERE source LIKE '%-in' "
                          "GROUP BY 1 ORDER BY 1") == [("cameras-in", 2), ("reports-in", 1), ("sensors-in", 2),
                                                       ("tickets-in", 1)]
    assert rows(settings, "SELECT source, status, files, rows_loaded FROM source_run ORDER BY source") == [
        ("cameras-in", "ok", 2, 3), ("reports-in", "ok", 1, 1), ("sensors-in", "ok", 2, 4),
        ("tickets-in", "ok", 1, 2)]


def test_a_refused_file_is_rejected_with_its_reason_and_the_others_load(settings, place):
    folder = inbox(settings, "tickets")
    write(pd.DataFrame({"service_request_id": ["T1"], "status": ["open"]}), folder / "bad.csv", age=90)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    os.utime(folder / "notes.pdf", (time.time() - 90,) * 2)
    write(tickets(place, "T1", "T2"), folder / "good.csv", age=30)

    run = run_scheduler(settings, once=True).runs[1]

    assert (run.source, run.status, run.files, run.loaded) == ("tickets-in", "ok", 3, 2)
    assert run.message == "rejected: bad.csv, notes.pdf"
    assert filed(settings, "tickets", "done") == ["good.csv"]
    assert filed(settings, "tickets", "rejected") == ["bad.csv", "bad.csv.reason.txt", "notes.pdf",
                                                      "notes.pdf.reason.txt"]
    rejected = folder / "rejected" / today_ict().isoformat()
    assert (rejected / "bad.csv.reason.txt").read_text(encoding="utf-8") == (
        f"{folder / 'bad.csv'}: missing required columns service_code, requested_datetime, updated_datetime\n")
    assert "unsupported file type '.pdf'" in (rejected / "notes.pdf.reason.txt").read_text(encoding="utf-8")
    assert one(settings, "SELECT count(*) FROM fact_ticket") == 2


def test_bad_rows_are_quarantined_and_the_good_ones_loaded(settings, place):
    run_ingest(settings, "sensors", write(sensor_registry(place), settings.data_dir / "sensors.csv"))
    write(pd.DataFrame({"sensor_id": ["SAL1", "SAL1", "NOPE"], "value": ["6", "x", "1"],
                        "observed_at": ["2025-09-01 10:15", "2025-09-01 10:20", "2025-09-01 10:15"]}),
          inbox(settings, "sensors") / "readings.csv")

    run = run_scheduler(settings, once=True).runs[3]

    assert (run.status, run.read, run.loaded, run.quarantined) == ("ok", 3, 1, 2)
    assert filed(settings, "sensors", "done") == ["readings.csv"]
    assert rows(settings, "SELECT row_number, column_name, reason, source FROM quarantine ORDER BY 1") == [
        (3, "value", "value is not a number", "sensors-in"), (4, "sensor_id", "unknown sensor_id", "sensors-in")]


def test_a_file_dropped_again_adds_nothing(settings, place):
    folder = inbox(settings, "tickets")
    write(tickets(place, "T1"), folder / "t.csv")
    run_scheduler(settings, once=True)
    done = folder / "done" / today_ict().isoformat() / "t.csv"
    snapshot = one(settings, "SELECT id FROM lake.current_snapshot()")
    write(pd.read_csv(done, dtype=str, keep_default_na=False), folder / "t.csv")
    assert (folder / "t.csv").read_bytes() == done.read_bytes()

    run = run_scheduler(settings, once=True).runs[1]

    assert (run.status, run.files, run.loaded) == ("ok", 1, 0)
    assert filed(settings, "tickets", "done") == ["t-1.csv", "t.csv"]
    assert one(settings, "SELECT count(*) FROM fact_ticket_event") == 1
    assert one(settings, "SELECT count(*) FROM ingest_batch WHERE source = 'tickets-in'") == 1
    # the batch wrote nothing: only the new scheduler's record of each source's first run made snapshots
    assert one(settings, "SELECT id FROM lake.current_snapshot()") == snapshot + len(SOURCES)


def test_a_crash_between_commit_and_move_reoffers_a_file_that_loads_nothing(settings, place, monkeypatch):
    folder = inbox(settings, "tickets")
    write(tickets(place, "T1", "T2"), folder / "t.csv")
    real = inbox_module.file_away

    def crash_after_commit(path, inbox, status, reason=""):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(inbox_module, "file_away", crash_after_commit)
    first = run_scheduler(settings, once=True).runs[1]
    assert (first.status, first.loaded) == ("error", 2)
    assert first.message == f"{folder / 't.csv'}: cannot file it away to done/ (No space left on device)"
    assert waiting(settings, "tickets") == ["t.csv"]

    monkeypatch.setattr(inbox_module, "file_away", real)
    second = run_scheduler(settings, once=True).runs[1]
    assert (second.status, second.loaded) == ("ok", 0)
    assert filed(settings, "tickets", "done") == ["t.csv"]
    assert one(settings, "SELECT count(*) FROM fact_ticket") == 2


def test_an_unexpected_error_leaves_the_file_and_the_next_files_still_load(settings, place, monkeypatch):
    folder = inbox(settings, "tickets")
    write(tickets(place, "T1"), folder / "a.csv", age=90)
    write(tickets(place, "T2"), folder / "b.csv", age=30)
    real = inbox_module.run_ingest

    def loader_bug(settings, kind, path, **kwargs):
        if path.name == "a.csv":
            raise RuntimeError("loader bug")
        return real(settings, kind, path, **kwargs)

    monkeypatch.setattr(inbox_module, "run_ingest", loader_bug)
    run = run_scheduler(settings, once=True).runs[1]
    assert (run.status, run.files, run.loaded) == ("error", 2, 1)
    assert run.message.endswith("a.csv: RuntimeError: loader bug")
    assert waiting(settings, "tickets") == ["a.csv"]
    assert filed(settings, "tickets", "done") == ["b.csv"]


def test_a_store_error_stops_the_inbox_and_leaves_its_files(settings, place, monkeypatch):
    folder = inbox(settings, "tickets")
    write(tickets(place, "T1"), folder / "a.csv", age=90)
    write(tickets(place, "T2"), folder / "b.csv", age=30)

    def lake_busy(*args, **kwargs):
        raise StoreError("ingest tickets a.csv: the lake refused the batch (database is locked); run it again")

    monkeypatch.setattr(inbox_module, "run_ingest", lake_busy)
    run = run_scheduler(settings, once=True).runs[1]
    assert (run.status, run.files) == ("error", 1)
    assert "database is locked" in run.message
    assert waiting(settings, "tickets") == ["a.csv", "b.csv"]
    assert rows(settings, "SELECT status, message FROM source_run WHERE source = 'tickets-in'") == [
        ("error", run.message)]


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps([{"code": 404, "description": "no such service"}]).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_pull_sources_run_through_their_pull_pipelines(tmp_path, monkeypatch):
    from pipelines.pulls import sensorthings

    pulled = []

    def fake_pull(settings, url, source_name, dry_run=False, con=None):
        pulled.append((url, source_name, con.execute("SELECT count(*) FROM source_run").fetchone()[0]))
        return BatchReport(read=5, loaded=4, quarantined=1, reasons={"unknown sensor_id": 1}, batch_id="b")

    monkeypatch.setattr(sensorthings, "pull", fake_pull)
    http = HTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        settings = load_settings(write_config(tmp_path, (
            f"  - {{name: hotline, kind: tickets, open311: 'http://127.0.0.1:{http.server_port}/open311'}}\n"
            "  - {name: stations, kind: sensors, sensorthings: 'http://127.0.0.1:1/v1.1'}\n")))
        summary = run_scheduler(settings, once=True)
    finally:
        http.shutdown()
        http.server_close()

    hotline, stations = summary.runs
    assert (hotline.status, hotline.files, hotline.loaded) == ("error", 0, 0)
    assert "HTTP 404" in hotline.message and "no such service" in hotline.message
    assert (stations.status, stations.files, stations.read, stations.loaded, stations.quarantined) == (
        "ok", 1, 5, 4, 1)
    assert pulled == [("http://127.0.0.1:1/v1.1", "stations", 1)]  # the hotline's run was recorded first
    assert rows(settings, "SELECT source, status, files, rows_loaded FROM source_run ORDER BY source") == [
        ("hotline", "error", 0, 0), ("stations", "ok", 1, 4)]


def test_backoff_doubles_from_30_seconds_up_to_the_interval():
    assert [backoff_seconds(n, 300) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    assert [backoff_seconds(n, 86_400) for n in (1, 5, 6, 20)] == [30, 480, 900, 900]


def test_a_failing_source_backs_off_while_the_others_keep_their_interval(settings, place, tmp_path):
    broken = tmp_path / "inbox" / "broken"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("a file where the folder should be", encoding="utf-8")
    settings = load_settings(write_config(tmp_path, inbox_sources(
        "  - {name: broken-in, kind: tickets, inbox: inbox/broken, interval_minutes: 5}\n")))
    now = [0.0]
    scheduler = Scheduler(settings, threading.Event(), clock=lambda: now[0])
    ran: list[tuple[float, str, str]] = []
    try:
        for step in range(1, 800):
            now[0] = float(step)
            if step == 200:
                write(tickets(place, "T1"), inbox(settings, "tickets") / "late.csv")
            if step == 500:
                broken.unlink()
            ran += [(now[0], run.source, run.status) for run in scheduler.run_due()]
    finally:
        scheduler.close()

    # retried after 30, 60, 120, 240 s, then every 300 s (its interval) until it works again
    broken_runs = [(at, status) for at, source, status in ran if source == "broken-in"]
    assert broken_runs == [(1, "error"), (31, "error"), (91, "error"), (211, "error"), (451, "error"), (751, "ok")]
    assert [at for at, source, _ in ran if source == "tickets-in"] == [1, 301, 601]
    assert all(status == "ok" for _, source, status in ran if source != "broken-in")
    assert one(settings, "SELECT count(*) FROM fact_ticket") == 1
    # the fake clock runs the retries within the same real second: order by outcome, not by time
    records = rows(settings, "SELECT status, message, finished_at FROM source_run WHERE source = 'broken-in' "
                             "ORDER BY status, finished_at")
    assert [status for status, _, _ in records] == ["error"] * 5 + ["ok"]
    assert records[-1][2] >= max(finished for _, _, finished in records)
    assert records[0][1] == f"inbox {broken}: cannot read the folder (File exists)"


def test_the_loop_runs_until_stopped_and_a_second_scheduler_is_refused(settings, place, caplog):
    caplog.set_level("INFO", logger="ioc.scheduler")
    stop = threading.Event()
    fast = settings.model_copy(update={"sources": tuple(
        s.model_copy(update={"interval_minutes": 0.005}) for s in settings.sources)})
    worker = threading.Thread(target=run_scheduler, args=(fast,), kwargs={"stop": stop})

    def tickets_runs() -> int:
        return sum(record.getMessage().startswith("source=tickets-in ") for record in caplog.records)

    worker.start()
    try:
        write(tickets(place, "T1"), inbox(settings, "tickets") / "t.csv")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (filed(settings, "tickets", "done") and tickets_runs() >= 3):
            time.sleep(0.1)
        assert filed(settings, "tickets", "done") == ["t.csv"]
        assert tickets_runs() >= 3
        with pytest.raises(IocError, match=r"another scheduler is running on .* \(pid \d+\)"):
            run_scheduler(settings, once=True)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert caplog.records[-1].getMessage() == "scheduler stopped"
    # the first run and the one that loaded the file (maybe the same) are recorded; idle ones are only logged
    assert 1 <= one(settings, "SELECT count(*) FROM source_run WHERE source = 'tickets-in'") <= 2 < tickets_runs()
    assert one(settings, "SELECT count(*) FROM fact_ticket") == 1


def _ioc(config: Path, *args: str) -> list[str]:
    return [*IOC, "--config", str(config), *args]


def test_cli_once_prints_a_summary_and_fails_when_a_source_fails(settings, tmp_path, place):
    write(tickets(place, "T1"), inbox(settings, "tickets") / "t.csv")
    (tmp_path / "inbox" / "broken").write_text("not a folder", encoding="utf-8")
    config = write_config(tmp_path, inbox_sources(
        "  - {name: broken-in, kind: tickets, inbox: inbox/broken, interval_minutes: 5}\n"))
    result = subprocess.run(_ioc(config, "scheduler", "--once"), check=False, capture_output=True, text=True,
                            cwd=REPO, env=clean_env(), timeout=120)
    assert result.returncode == 1, result.stderr
    summary = result.stdout.splitlines()
    assert [line.split()[0] for line in summary] == [f"source={kind}-in" for kind in SOURCES] + ["source=broken-in"]
    assert "status=ok files=1 read=1 loaded=1 quarantined=0" in summary[1]
    assert summary[-1].startswith("source=broken-in kind=tickets status=error files=0")
    assert 'error="inbox ' in summary[-1]
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # structured logs: one JSON object a line
    logged = [line for line in lines if line["logger"] == "ioc.scheduler" and line["message"].startswith("source=")]
    assert len(logged) == 5
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00$", line["time"]) for line in logged)
    assert (logged[-1]["level"], logged[-1]["source_run"]["source"]) == ("WARNING", "broken-in")
    assert any(line["level"] == "INFO" and line["logger"] == "ioc.inbox"
               and line["message"].startswith("tickets-in: t.csv read 1 loaded 1 quarantined 0") for line in lines)


def test_sigterm_stops_the_scheduler_cleanly(settings):
    process = subprocess.Popen(_ioc(settings.base_dir / "config.yaml", "scheduler"), cwd=REPO, env=clean_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stderr:
            lines.append(line)
            if "source=sensors-in" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, "".join(lines) + rest
    assert "SIGTERM received: stopping after the current batch" in rest
    assert json.loads(rest.splitlines()[-1])["message"] == "scheduler stopped"
    assert sum("source=" in line for line in lines) >= len(SOURCES)
    assert one(settings, "SELECT count(*) FROM source_run") == len(SOURCES)  # the first run of each source
