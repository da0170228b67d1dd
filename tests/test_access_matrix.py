"""The access matrix: every role, of two different communes where the role is commune-bound,
against the real gunicorn server of the demo, calls every page, every server-side Dash
callback of the app's callback map (through `/_dash-update-component`, with forged inputs
that name the other commune's unit, area, account, cameras, sensors and reports) and every
GET route of the Flask url_map; nothing of the other commune may appear in any answer (nor
in the CSV and Excel files the exports send), and neither the operational DB nor the lake may
change.

Callbacks and routes are enumerated from the running app, so pages, callbacks and API routes
added later are covered without touching this file. API routes (/api/, /open311/) that refuse
an anonymous caller must refuse a session cookie too: they take bearer tokens only.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import MetaData, select

from ioc_app.config import load_settings
from ioc_app.lake import connect
from ioc_app.lake.connection import snapshot_id
from ioc_app.opdb import users
from ioc_app.opdb.models import Submission, Unit
from ioc_app.opdb.session import engine_for, session_scope
from layouts.shell import PAGES

PASSWORD = "Ma-tran-2026!"
LOCAL_ROLES = ("officer", "approver", "unit_admin")
PROVINCE_ROLES = ("leader", "dept_head", "admin", "wall")
# Tables that reading and signing in legitimately write: the audit log, the sign-in counters,
# and the periods that services create when they list what is due.
CHURN_TABLES = {"audit_log", "login_throttle", "periods", "alembic_version"}
# Triggers that ask for a change: an administrator's forged clicks would really change the
# shared demo (they are allowed to), so the administrator's callbacks run without them.
WRITE_TRIGGERS = {"n_clicks", "submit_n_clicks", "contents"}
# Accounts exercised at once (the server has 2 workers x 4 threads).
PARALLEL = 4
API_PREFIXES = ("/api/", "/open311/")
# Routes meant for everyone, without a session: readiness, the public dashboard (its isolation:
# tests/test_public_isolation.py), the API's description and key, Open311's public fields
# (tests/test_api.py). What they show is public, so no account's answer there is a leak.
OPEN_TO_EVERYONE = ("/ready", "/public", "/api/v1/openapi.json", "/api/v1/signing-key", "/open311/v2/")
SKIPPED_ROUTES = ("/_dash-", "/assets/", "/_dash-component-suites/", "/static/", "/login", "/logout",
                  "/account/password", "/_favicon", "/_reload-hash")


@dataclass
class Commune:
    """One commune of the demo. Forged inputs name its unit code, area code, one camera and a
    report (an answer may repeat those back in a refusal); `markers` are what only a read of its
    data could reveal: its names and the ids of its other cameras, sensors and tickets."""

    unit_code: str
    unit_id: int
    area_code: str
    name: str
    submission_id: int | None
    camera: str | None
    markers: list[str] = field(default_factory=list)

    def pattern(self) -> re.Pattern:
        return re.compile("|".join(rf"(?<![\w.]){re.escape(m)}(?![\w])" for m in self.markers))


@dataclass
class Account:
    name: str | None  # None: anonymous
    role: str
    commune: Commune | None  # commune-bound accounts
    other: Commune | None  # the commune they must never see


def _pick_communes(settings, engine) -> tuple[Commune, Commune]:
    """The two communes with most tickets whose names are unique in the province (so a marker
    cannot match another commune's text), with their cameras, sensors and tickets as markers."""
    with connect(settings, read_only=True) as con:
        areas = con.execute("SELECT area_key, name FROM dim_area WHERE level = 'commune'").fetchall()
        busiest = con.execute("""
            SELECT area_key, count(*) AS n FROM fact_ticket GROUP BY 1 ORDER BY n DESC, area_key""").fetchall()
        names = [name for _, name in areas]
        chosen = []
        with session_scope(engine) as session:
            for key, _ in busiest:
                name = dict(areas)[key]
                if sum(name in other for other in names) != 1:
                    continue
                unit = session.scalars(select(Unit).where(Unit.area_key == key, Unit.kind == "commune")).first()
                if unit is None:
                    continue
                submission = session.scalars(select(Submission.id).where(Submission.unit_id == unit.id)).first()
                cameras = [row[0] for row in con.execute(
                    "SELECT camera_id FROM dim_camera WHERE area_key = ? ORDER BY 1 LIMIT 6", [key]).fetchall()]
                markers = [name, unit.name, *cameras[1:]]
                for sql in ("SELECT sensor_id FROM dim_sensor WHERE area_key = ? ORDER BY 1 LIMIT 5",
                            "SELECT ticket_id FROM fact_ticket WHERE area_key = ? ORDER BY 1 LIMIT 5"):
                    markers += [row[0] for row in con.execute(sql, [key]).fetchall()]
                chosen.append(Commune(unit.code, unit.id, key, name, submission, next(iter(cameras), None), markers))
                if len(chosen) == 2:
                    return chosen[0], chosen[1]
    raise AssertionError("the demo has fewer than two communes with tickets and unique names")


def _opdb_digest(engine) -> dict[str, str]:
    """A hash of every row of every table but the churn tables."""
    meta = MetaData()
    meta.reflect(engine)
    digest = {}
    with engine.connect() as con:
        for table in meta.sorted_tables:
            if table.name in CHURN_TABLES:
                continue
            rows = con.execute(table.select().order_by(*table.primary_key.columns or table.columns)).fetchall()
            digest[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digest


def _lake_snapshot(settings) -> int:
    with connect(settings, read_only=True) as con:
        return snapshot_id(con)


class Browser:
    """One HTTP client per account: signs in through the login form with its CSRF token."""

    def __init__(self, url: str, account: Account) -> None:
        self.url, self.account = url, account
        self.http = requests.Session()
        if account.name:
            form = self.http.get(url + "/login", timeout=30)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            answer = self.http.post(url + "/login", data={"csrf_token": token, "username": account.name,
                                                          "password": PASSWORD}, allow_redirects=False, timeout=30)
            assert answer.status_code == 302 and "/login" not in answer.headers["Location"], account.name

    def _send(self, method: str, path: str, **options) -> requests.Response:
        """One request, sent again once when a busy machine drops the connection."""
        try:
            return self.http.request(method, self.url + path, timeout=180, allow_redirects=False, **options)
        except requests.ConnectionError:
            return self.http.request(method, self.url + path, timeout=180, allow_redirects=False, **options)

    def callback(self, body: dict) -> requests.Response:
        return self._send("POST", "/_dash-update-component", json=body, headers={"Origin": self.url})

    def get(self, path: str) -> requests.Response:
        return self._send("GET", path)


def _text(response: requests.Response) -> str:
    """The answer as text, JSON decoded (Dash escapes non-ASCII letters), with the files it sends
    decoded: an export's rows are searched like any other answer."""
    try:
        answer = response.json()
    except ValueError:
        return response.text
    return "\n".join([json.dumps(answer, ensure_ascii=False), *_files(answer)])


def _files(value) -> Iterator[str]:
    """The text of every dcc.Download payload in a callback's answer (base64: CSV, or an Excel sheet)."""
    if isinstance(value, list):
        for item in value:
            yield from _files(item)
    elif isinstance(value, dict) and value.get("base64") and "filename" in value:
        data = base64.b64decode(value["content"])
        if value["filename"].endswith(".xlsx"):
            rows = load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True)
            yield "\n".join(" ".join(str(cell) for cell in row if cell is not None) for row in rows)
        else:
            yield data.decode("utf-8", errors="replace")
    elif isinstance(value, dict):
        for item in value.values():
            yield from _files(item)


# --- forged callback bodies -------------------------------------------------------------

def _flavours(other: Commune, other_user: str) -> list[dict]:
    """Rounds of forged values, each naming the other commune in another way."""
    target = {"id": other.submission_id, "unit": other.unit_code, "regime": "XA-QUY", "period": "2026-Q3"}
    return [
        {"text": other.unit_code, "data": target, "id": other.submission_id or 1},
        {"text": other.area_code, "data": other.area_code, "id": other.area_code},
        {"text": other_user, "data": other.camera or other.unit_code, "id": other_user},
    ]


def _value(prop: str, flavour: dict, page: str):
    upload = "data:text/csv;base64," + base64.b64encode(
        f"unit,{flavour['text']}\nregime,XA-QUY\nperiod,2026-Q3\n".encode()).decode()
    fixed = {
        "n_clicks": 1, "submit_n_clicks": 1, "n_intervals": 1, "pathname": page, "search": "", "hash": "",
        "clickData": {"points": [{"location": flavour["data"] if isinstance(flavour["data"], str) else
                                  flavour["text"], "customdata": [flavour["text"]], "pointIndex": 0}]},
        "contents": upload, "filename": "forged.csv", "rowData": [], "options": [],
        "cellClicked": {"colId": "total", "rowIndex": 0, "rowId": flavour["text"]},
        "date": "2026-11-01", "start_date": "2026-01-01", "end_date": "2026-11-20",
        "data": flavour["data"],
    }
    return fixed.get(prop, flavour["text"])


def _concrete(id_text: str, flavour: dict) -> str | dict:
    """A pattern-matching id with its wildcards replaced by a forged value."""
    if not id_text.startswith("{"):
        return id_text
    parsed = json.loads(id_text)
    return {key: flavour["id"] if isinstance(value, list) else value for key, value in parsed.items()}


def _dependency(item: dict, flavour: dict, page: str) -> dict | list:
    concrete = _concrete(item["id"], flavour)
    # the browser's window size is no one's data: left out, as before the first measurement
    value = None if "viewport" in item["id"] else _value(item["property"], flavour, page)
    entry = {"id": concrete, "property": item["property"], "value": value}
    return [entry] if '["ALL"]' in item["id"] or '["ALLSMALLER"]' in item["id"] else entry


def _outputs(output: str, flavour: dict) -> list | dict:
    def one(text: str):
        id_, prop = text.rsplit(".", 1)
        concrete = {"id": _concrete(id_, flavour), "property": prop}
        return [concrete] if '["ALL"]' in id_ else concrete

    if output.startswith(".."):
        return [one(part) for part in output[2:-2].split("...")]
    return one(output)


def _bodies(callback: dict, flavours: list[dict], page: str, writes: bool) -> list[dict]:
    """Forged bodies for one callback: each input triggers once and each flavour is used at
    least once (trigger i with flavour i mod n): every branch on ctx.triggered_id is reached."""
    inputs = callback["inputs"]
    if not writes and any(item["property"] in WRITE_TRIGGERS for item in inputs):
        return []
    bodies = []
    for step in range(max(len(inputs), len(flavours))):
        flavour, trigger = flavours[step % len(flavours)], inputs[step % len(inputs)]
        bodies.append({
            "output": callback["output"], "outputs": _outputs(callback["output"], flavour),
            "inputs": [_dependency(item, flavour, page) for item in inputs],
            "state": [_dependency(item, flavour, page) for item in callback.get("state", [])],
            "changedPropIds": [f"{trigger['id']}.{trigger['property']}"],
        })
    return bodies


# --- the installation -------------------------------------------------------------------

@pytest.fixture(scope="module")
def matrix(demo, server):
    """Accounts of every role (commune-bound ones in two communes) on the demo, signed in."""
    settings = load_settings(demo.config)
    engine = engine_for(settings.database_url)
    first, second = _pick_communes(settings, engine)
    accounts = [Account(None, "anonymous", None, None)]
    with pytest.MonkeyPatch.context() as patch, session_scope(engine) as session:
        patch.setattr(users, "HASH_METHOD", "scrypt:1024:8:1")
        for role in PROVINCE_ROLES:
            users.create_user(session, f"mx_{role}", role, PASSWORD, must_change_password=False,
                              unit_code=first.unit_code if role == "leader" else None)
            accounts.append(Account(f"mx_{role}", role, None, None))
        for mine, other, tag in ((first, second, "a"), (second, first, "b")):
            for role in LOCAL_ROLES:
                users.create_user(session, f"mx_{role}_{tag}", role, PASSWORD, unit_code=mine.unit_code,
                                  must_change_password=False, full_name=f"Ma trận {role} {tag}")
                accounts.append(Account(f"mx_{role}_{tag}", role, mine, other))
    browsers = [Browser(server.url, account) for account in accounts]
    yield settings, engine, browsers, (first, second)
    engine.dispose()


def _leaks(account: Account, text: str) -> list[str]:
    if account.other is None:
        return []
    return sorted(set(account.other.pattern().findall(text)))


def _exercise(browser: Browser, callbacks: list[dict], route: dict, rules: list[str],
              communes: tuple[Commune, Commune]) -> tuple[int, list[str], set[str]]:
    """Every page, forged callback and route as one account: (calls made, problems found,
    callbacks that failed with a server error)."""
    account, (first, second) = browser.account, communes
    anonymous = account.name is None
    other_user = f"mx_officer_{'b' if account.commune is first else 'a'}"
    flavours = _flavours(account.other or second, other_user)
    problems: list[str] = []
    failures: set[str] = set()
    calls = 0
    # pages: the router callback with each path; a role outside the page's roles gets "forbidden"
    for page in PAGES:
        answer = browser.callback(_bodies(route, flavours[:1], page.path, True)[0])
        calls += 1
        text = _text(answer)
        if anonymous:
            if answer.status_code != 401:
                problems.append(f"anonymous opened {page.path}: {answer.status_code}")
            continue
        allowed = page.roles is None or account.role in page.roles
        if answer.status_code != 200 or allowed == ('"forbidden"' in text):
            problems.append(f"{account.name} on {page.path}: {answer.status_code}, allowed={allowed}")
        problems += [f"{account.name} on page {page.path} sees {leak}" for leak in _leaks(account, text)]
    # every server-side callback, forged
    for callback in callbacks:
        for body in _bodies(callback, flavours, "/", writes=account.role != "admin"):
            answer = browser.callback(body)
            calls += 1
            if anonymous and answer.status_code != 401:
                problems.append(f"anonymous ran {callback['output']}: {answer.status_code}")
            if answer.status_code >= 500:
                failures.add(callback["output"])
            problems += [f"{account.name} via {callback['output']} sees {leak}"
                         for leak in _leaks(account, _text(answer))]
    # every GET route of the Flask app
    for path in rules:
        answer = browser.get(path)
        calls += 1
        if answer.status_code >= 500:
            problems.append(f"{account.name}: {path} answers {answer.status_code}")
        if path.startswith(OPEN_TO_EVERYONE):
            continue
        if path.startswith(API_PREFIXES) and not anonymous:
            anonymous_status = requests.get(browser.url + path, timeout=60, allow_redirects=False).status_code
            if anonymous_status in (401, 403) and answer.status_code not in (401, 403):
                problems.append(f"{account.name}: {path} answers a session cookie ({answer.status_code})")
        elif anonymous and answer.status_code == 200 and path != "/health":
            problems.append(f"anonymous got {path}")
        problems += [f"{account.name} on {path} sees {leak}" for leak in _leaks(account, _text(answer))]
    return calls, problems, failures


def test_every_page_callback_and_route_keeps_each_role_inside_its_scope(matrix):
    settings, engine, browsers, communes = matrix
    opdb_before, lake_before = _opdb_digest(engine), _lake_snapshot(settings)
    admin = next(b for b in browsers if b.account.role == "admin")
    callbacks = [cb for cb in admin.get("/_dash-dependencies").json() if not cb.get("clientside_function")]
    assert len(callbacks) > 40, "the callback map looks incomplete"
    route = next(cb for cb in callbacks if cb["output"] == "..ioc-header.children...page.children..")
    rules = _routes(settings)
    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(lambda browser: _exercise(browser, callbacks, route, rules, communes), browsers))
    calls = sum(count for count, _, _ in results)
    problems = [problem for _, found, _ in results for problem in found]
    failing = sorted(set().union(*(failed for _, _, failed in results)))
    assert calls > 500
    assert not failing, f"{len(failing)} callbacks answer forged inputs with a server error: {failing}"
    assert _lake_snapshot(settings) == lake_before, "the lake changed"
    changed = {name for name, digest in _opdb_digest(engine).items() if opdb_before.get(name) != digest}
    assert not changed, f"the operational DB changed: {sorted(changed)}"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def _routes(settings) -> list[str]:
    """Every GET route of the Flask app outside Dash's own, with forged path parameters."""
    from ioc_app.web.app import create_app

    app = create_app(settings)
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(SKIPPED_ROUTES) or rule.rule == "/":
            continue
        if rule.rule.startswith("/<"):  # Dash's catch-all page route: the pages above
            continue
        paths.append(re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule))
    return sorted(set(paths))
