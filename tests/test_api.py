"""The data-sharing API through real gunicorn: tokens (CLI, expiry, revocation, closed
accounts), scopes and area scopes, figures against the lake, errors, signatures as a
receiver checks them, Open311 fields."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from ioc_app.api.tokens import hash_token
from ioc_app.clock import now_ict
from ioc_app.config import load_settings
from ioc_app.lake import connect
from ioc_app.opdb.models import ApiToken, AuditEntry
from ioc_app.opdb.session import engine_for, session_scope
from tests.api_fixtures import Api, first_commune_unit, make_token, make_user
from tests.conftest import LEADER

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"
OPEN311_FIELDS = {"service_request_id", "status", "service_code", "service_name", "requested_datetime",
                  "updated_datetime", "expected_datetime", "agency_responsible", "address", "lat", "long"}


@pytest.fixture(scope="module")
def api(demo, server) -> Api:
    return Api(server.url, make_token(demo, LEADER[0]))


@pytest.fixture(scope="module")
def opdb(demo):
    engine = engine_for(load_settings(demo.config).database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def lake(demo):
    con = connect(load_settings(demo.config), read_only=True)
    yield con
    con.close()


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


# --- tokens --------------------------------------------------------------------------------

def test_token_is_printed_once_and_only_its_hash_is_stored(demo, opdb):
    out = demo.ioc("token", "create", "--user", LEADER[0], "--scope", "catalogs:read", "--days", "2",
                   "--label", "LGSP").stdout
    token = out.split()[-1]
    assert re.fullmatch(r"ioc_[A-Za-z0-9_-]{43}", token) and "shown only now" in out
    listing = demo.ioc("token", "list", "--user", LEADER[0]).stdout
    assert token not in listing and token[:12] in listing and "LGSP" in listing and "active" in listing
    with session_scope(opdb) as db:
        row = db.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()
        assert row.scopes == "catalogs:read" and token not in (row.token_hash, row.prefix)
        created = db.scalars(select(AuditEntry).where(AuditEntry.action == "token_create",
                                                      AuditEntry.entity_id == str(row.id))).one()
        assert token not in created.new_value


@pytest.mark.parametrize("args, message", [
    (["--user", LEADER[0], "--scope", "everything:write", "--days", "5"], "unknown scope everything:write"),
    (["--user", LEADER[0], "--scope", "catalogs:read", "--days", "0"], "--days 0"),
    (["--user", LEADER[0], "--scope", "catalogs:read", "--days", "400"], "1 to 366 days"),
    (["--user", "nobody-here", "--scope", "catalogs:read", "--days", "5"], "no account 'nobody-here'"),
    (["--user", "wall", "--scope", "tickets:read", "--days", "5"], "may not hold tickets:read"),
])
def test_bad_token_requests_are_refused_in_one_line(demo, args, message):
    result = demo.ioc("token", "create", *args, check=False)
    assert result.returncode == 1 and message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_missing_malformed_and_unknown_tokens_get_401(api):
    for token, reason in ((None, "missing bearer token"), ("abc", "malformed token"),
                          ("ioc_" + "A" * 43, "unknown token")):
        response = api.get("/api/v1/figures", token=token)
        body = _error(response, 401)
        assert body["error"] == "unauthorized" and reason in body["message"]
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="ioc"')
    basic = requests.get(api.url + "/api/v1/figures", headers={"Authorization": "Basic eDp5"}, timeout=30)
    assert "malformed Authorization header" in _error(basic, 401)["message"]


def test_expired_revoked_and_closed_account_tokens_stop_working(demo, api, opdb):
    make_user(demo, "api_closing", "leader")
    expiring, revoked, closing = (make_token(demo, LEADER[0]), make_token(demo, LEADER[0]),
                                  make_token(demo, "api_closing"))
    for token in (expiring, revoked, closing):
        assert api.get("/api/v1/sectors", token=token).status_code == 200
    with session_scope(opdb) as db:
        db.execute(update(ApiToken).where(ApiToken.token_hash == hash_token(expiring))
                   .values(expires_at=now_ict().replace(microsecond=0)))
        revoked_id = db.scalars(select(ApiToken.id).where(ApiToken.token_hash == hash_token(revoked))).one()
    demo.ioc("token", "revoke", str(revoked_id))
    demo.ioc("user", "close", "api_closing")
    for token, reason in ((expiring, "token expired"), (revoked, "token revoked"), (closing, "token user closed")):
        assert _error(api.get("/api/v1/sectors", token=token), 401)["message"] == reason
    again = demo.ioc("token", "revoke", str(revoked_id), check=False)
    assert again.returncode == 1 and "already revoked" in again.stderr
    with session_scope(opdb) as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity == "api_token",
                                                             AuditEntry.entity_id == str(revoked_id))).all()
    assert actions == ["token_create", "token_use", "token_revoke"]  # one use audited per day, not per request


def test_token_use_is_audited_once_a_day(api, opdb):
    for _ in range(3):
        assert api.get("/api/v1/sectors").status_code == 200
    with session_scope(opdb) as db:
        token_id = db.scalars(select(ApiToken.id).where(ApiToken.token_hash == hash_token(api.token))).one()
        uses = db.scalars(select(AuditEntry).where(AuditEntry.action == "token_use",
                                                   AuditEntry.entity_id == str(token_id))).all()
        assert len(uses) == 1 and uses[0].username == LEADER[0]


# --- scopes --------------------------------------------------------------------------------

def test_a_token_reads_only_its_scopes(demo, api):
    catalogs_only = make_token(demo, LEADER[0], "catalogs:read")
    assert api.get("/api/v1/indicators", token=catalogs_only).status_code == 200
    for path in ("/api/v1/figures", "/api/v1/tickets/stats", "/api/v1/qcvn125/kpi-data"):
        body = _error(api.get(path, token=catalogs_only), 403)
        assert body["error"] == "forbidden" and "scope" in body["message"]


def test_a_commune_users_token_sees_only_its_commune(demo, api):
    unit, area = first_commune_unit(demo)
    make_user(demo, "api_commune", "approver", unit)  # a commune-bound role (ioc_app.opdb.reach)
    commune = Api(api.url, make_token(demo, "api_commune"))
    areas = commune.get("/api/v1/areas").json()
    assert [row["area_key"] for row in areas["data"]] == [area]
    figures = commune.get("/api/v1/figures", page_size=500).json()
    assert figures["page"]["total"] > 0 and {row["area_key"] for row in figures["data"]} == {area}
    stats = commune.get("/api/v1/tickets/stats", group_by="commune").json()["data"]
    assert {row["key"] for row in stats} <= {area}
    assert "outside" in _error(commune.get("/api/v1/figures", area=load_settings(demo.config).province_code),
                               403)["message"]
    assert "outside" in _error(commune.get("/api/v1/figures", level="province"), 403)["message"]
    other = next(row["area_key"] for row in api.get("/api/v1/areas", level="commune").json()["data"]
                 if row["area_key"] != area)
    assert _error(commune.get("/api/v1/tickets/stats", commune=other), 403)["error"] == "forbidden"


# --- content -------------------------------------------------------------------------------

def test_figures_are_the_lakes_approved_figures_with_snapshot_and_sources(api, lake):
    expected = lake.execute("""
        SELECT area_key, category_code, value FROM agg_indicator_area
        WHERE indicator_code = 'DS01' AND period = '2025' ORDER BY area_key, category_code""").fetchall()
    snapshot = lake.execute("SELECT id FROM lake.current_snapshot()").fetchone()[0]
    response = api.get("/api/v1/figures", indicator="DS01", period="2025", page_size=500)
    body = response.json()
    got = sorted((row["area_key"], row["category_code"], row["value"]) for row in body["data"])
    assert got == [tuple(row) for row in expected] and body["page"]["total"] == len(expected)
    assert body["as_of"]["snapshot_id"] == snapshot == int(response.headers["X-IOC-Snapshot"])
    assert body["as_of"]["snapshot_time"].endswith("+07:00") and body["source"]["store"] == "lake"
    commune = next(row for row in body["data"] if row["level"] == "commune")
    sources = api.get("/api/v1/figures/sources", indicator="DS01", period="2025", area=commune["area_key"],
                      category=commune["category_code"]).json()["data"]
    assert sources and sources[0]["value"] == commune["value"] and sources[0]["submission_id"]


def test_paging_is_bounded_and_consistent(api):
    first = api.get("/api/v1/figures", page_size=3).json()
    second = api.get("/api/v1/figures", page_size=3, page=2).json()
    assert len(first["data"]) == 3 and first["page"]["total"] == second["page"]["total"] > 6
    assert first["data"][-1] != second["data"][0]
    assert _error(api.get("/api/v1/figures", page_size=501), 400)["errors"][0]["parameter"] == "page_size"


def test_ticket_statistics_add_up(api, lake):
    by_status = api.get("/api/v1/tickets/stats", group_by="status", start_date="2026-01-01",
                        end_date="2026-11-20").json()["data"]
    received = lake.execute("""SELECT count(*) FROM fact_ticket WHERE requested_at >= DATE '2026-01-01'
                               AND requested_at < DATE '2026-11-21'""").fetchone()[0]
    assert sum(row["received"] for row in by_status) == received
    closed = next(row for row in by_status if row["key"] == "closed")
    assert closed["on_time_rate"] == pytest.approx(closed["on_time"] / closed["closed"])
    assert 0 < closed["mean_handling_days"] < 60


def test_qcvn125_packets_name_the_standard(api):
    document = api.get("/api/v1/openapi.json", token=None).json()
    packets = [path for path in document["paths"] if path.startswith("/api/v1/qcvn125/")]
    assert len(packets) == 11
    for path in packets:
        body = api.get(path, page_size=5) if "page" in json.dumps(document["paths"][path]) else api.get(path)
        assert body.status_code == 200, (path, body.text)
        assert body.json()["packet"]["standard"] == "QCVN 125:2021/BTTTT"
    status = api.get("/api/v1/qcvn125/report-status", status="approved", page_size=5).json()["data"]
    assert status and all(row["signature"] and row["digest"] for row in status)


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("path, params, parameter, reason", [
    ("/api/v1/figures", {"period": "2025-13"}, "period", "a period such as"),
    ("/api/v1/figures", {"indicator": "NOPE99"}, "indicator", "unknown indicator code"),
    ("/api/v1/figures", {"area": "99999"}, "area", "unknown area"),
    ("/api/v1/figures", {"period": "2025", "period_from": "2024"}, "period", "either period or"),
    ("/api/v1/figures", {"period_from": "2025", "period_to": "2024"}, "period_from", "starts after"),
    ("/api/v1/figures", {"page": "x"}, "page", "valid integer"),
    ("/api/v1/figures", {"colour": "red"}, "colour", "unknown parameter"),
    ("/api/v1/figures", {"level": "district"}, "level", "'province' or 'commune'"),
    ("/api/v1/figures/sources", {"indicator": "DS01"}, "period", "required"),
    ("/api/v1/tickets/stats", {"start_date": "2026-02-30"}, "start_date", "not a calendar date"),
    ("/api/v1/tickets/stats", {"start_date": "2026-05-01", "end_date": "2026-04-01"}, "start_date", "after end_date"),
    ("/api/v1/tickets/stats", {"start_date": "2000-01-01", "end_date": "2026-01-01"}, "start_date", "more than"),
    ("/api/v1/tickets/stats", {"group_by": "agency"}, "group_by", "Input should be"),
])
def test_bad_parameters_get_400_naming_them(api, path, params, parameter, reason):
    body = _error(api.get(path, **params), 400)
    assert body["error"] == "invalid_parameter"
    named = {problem["parameter"]: problem["reason"] for problem in body["errors"]}
    assert reason in named[parameter], body


def test_repeated_parameters_and_unknown_routes_and_methods(api):
    response = requests.get(api.url + "/api/v1/figures?period=2025&period=2024",
                            headers={"Authorization": f"Bearer {api.token}"})
    assert _error(response, 400)["errors"] == [{"parameter": "period", "reason": "given more than once"}]
    assert _error(api.get("/api/v1/no/such/thing"), 404)["error"] == "not_found"
    posted = requests.post(api.url + "/api/v1/figures", headers={"Authorization": f"Bearer {api.token}"})
    assert _error(posted, 405)["error"] == "method_not_allowed" and "GET" in posted.headers["Allow"]


# --- signatures ----------------------------------------------------------------------------

def _receiver_snippet() -> str:
    """The verification code docs/api.md gives receivers (its first python block)."""
    return re.search(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S).group(1)


def test_a_receiver_verifies_bodies_with_the_documented_snippet_and_detects_tampering(api):
    namespace: dict = {}
    exec(_receiver_snippet(), namespace)  # noqa: S102 - the documented receiver code, run as written
    key = api.get("/api/v1/signing-key", token=None).json()["data"][0]
    for response in (api.get("/api/v1/figures", page_size=2), api.get("/open311/v2/services.json", token=None),
                     api.get("/api/v1/figures", token=None)):
        signature, key_id = response.headers["X-IOC-Signature"], response.headers["X-IOC-Key-Id"]
        assert key_id == key["key_id"]
        assert namespace["verify"](response.content, signature, key["public_key_pem"]) is True
        tampered = response.content.replace(b'"', b"'", 1)
        assert namespace["verify"](tampered, signature, key["public_key_pem"]) is False
        flipped = base64.b64encode(bytes([base64.b64decode(signature)[0] ^ 1]) + base64.b64decode(signature)[1:])
        assert namespace["verify"](response.content, flipped.decode(), key["public_key_pem"]) is False


# --- Open311 -------------------------------------------------------------------------------

def test_open311_services_and_requests_follow_georeport_v2_with_public_fields_only(api, lake):
    services = api.get("/open311/v2/services.json", token=None).json()
    assert services and all(set(s) == {"service_code", "service_name", "description", "metadata", "type",
                                       "keywords", "group"} and s["metadata"] is False for s in services)
    requests_ = api.get("/open311/v2/requests.json", token=None, page_size=200).json()
    assert 0 < len(requests_) <= 200
    texts = {row[0] for row in lake.execute("SELECT description FROM fact_ticket WHERE description IS NOT NULL "
                                            "UNION SELECT address FROM fact_ticket WHERE address IS NOT NULL").fetchall()}
    for row in requests_:
        assert set(row) == OPEN311_FIELDS and row["status"] in ("open", "closed")
        assert row["requested_datetime"].endswith("+07:00")
        assert row["lat"] is None or round(row["lat"], 3) == row["lat"]
        assert not texts & {str(value) for value in row.values()}
    one = requests_[0]["service_request_id"]
    single = api.get(f"/open311/v2/requests/{one}.json", token=None).json()
    assert single == [requests_[0]]
    by_id = api.get("/open311/v2/requests.json", token=None, service_request_id=one).json()
    assert by_id == [requests_[0]]
    closed = api.get("/open311/v2/requests.json", token=None, status="closed",
                     start_date="2026-01-01T00:00:00+07:00", end_date="2026-11-20T23:59:59+07:00").json()
    assert closed and all(row["status"] == "closed" for row in closed)
    assert all("2026-01-01" <= row["requested_datetime"][:10] <= "2026-11-20" for row in closed)


@pytest.mark.parametrize("params, fragment", [
    ({"page_size": "201"}, "page_size"),
    ({"start_date": "2026-01-01"}, "start_date"),
    ({"start_date": "2026-01-01T00:00:00"}, "start_date"),
    ({"status": "pending"}, "status"),
    ({"service_request_id": ",".join(f"id{n}" for n in range(51))}, "service_request_id"),
])
def test_open311_refusals_are_open311_errors(api, params, fragment):
    body = _error(api.get("/open311/v2/requests.json", token=None, **params), 400)
    assert body[0]["code"] == 400 and fragment in body[0]["description"]
    missing = _error(api.get("/open311/v2/requests/NO-SUCH.json", token=None), 404)
    assert missing == [{"code": 404, "description": "no service request 'NO-SUCH'"}]
