"""Accounts on the web: password policy and changes, lockout with backoff, audit, CSRF,
cookies and security headers, and the `ioc user` account commands.

The app runs in-process (Flask test client) on its own installation with a short lockout
so that the waits are seconds, not minutes.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ioc_app import cli
from ioc_app.bootstrap import create_account
from ioc_app.clock import now_ict
from ioc_app.config import SecuritySettings, load_settings
from ioc_app.opdb import throttle, users
from ioc_app.opdb.audit import verify_chain
from ioc_app.opdb.models import AccountHandover, AuditEntry, LoginThrottle, User
from ioc_app.opdb.session import engine_for, migrate, session_scope
from ioc_app.web.app import create_app
from tests.demo_instance import make_instance

ISSUED = "Cap-moi-2026!"
OWN = "Cua-toi-2026!"
SHORT_LOCKOUT = SecuritySettings(lockout_after_failures=3, address_lockout_after_failures=5,
                                 lockout_base_seconds=1, lockout_max_seconds=4, lockout_forget_minutes=1)
ROUTE_CALLBACK = {
    "output": "..ioc-header.children...page.children..",
    "outputs": [{"id": "ioc-header", "property": "children"}, {"id": "page", "property": "children"}],
    "inputs": [{"id": "url", "property": "pathname", "value": "/no-such-page"},
               {"id": "url", "property": "search", "value": ""}],
    "changedPropIds": ["url.pathname"],
    "state": [],
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An installation (operational DB only: these pages never read the lake) and its app."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "HASH_METHOD", "scrypt:1024:8:1")  # behaviour, not hashing speed
        instance = make_instance(tmp_path_factory.mktemp("accounts"))
        settings = load_settings(instance.config).model_copy(update={"security": SHORT_LOCKOUT})
        migrate(settings.database_url)
        app = create_app(settings)
        engine = engine_for(settings.database_url)
        yield settings, app, engine
        engine.dispose()


@pytest.fixture
def app(site):
    return site[1]


@pytest.fixture
def engine(site):
    return site[2]


_addresses = iter(range(1, 250))


def client(app, address: str | None = None):
    """A browser of its own at its own address, so counters of one test never touch another's."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address or f"10.0.1.{next(_addresses)}"
    return browser


def token(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def log_in(browser, name: str, password: str):
    form = browser.get("/login")
    return browser.post("/login", data={"csrf_token": token(form.text), "username": name, "password": password})


def change_password(browser, current: str, new: str, repeat: str | None = None, next_url: str = ""):
    form = browser.get("/account/password")
    return browser.post("/account/password" + (f"?next={next_url}" if next_url else ""), data={
        "csrf_token": token(form.text), "current_password": current, "new_password": new,
        "repeat_password": new if repeat is None else repeat})


def make_user(site, name: str, role: str = "leader", ready: bool = True) -> None:
    """An account as `ioc user create` makes it; `ready`: its first-login change is done."""
    settings, _, engine = site
    create_account(settings, name, role, ISSUED, None, None)
    if ready:
        with session_scope(engine) as db:
            users.set_password(db, users.find_user(db, name), OWN)


def audit_of(engine, name: str, entity: str | None = "session") -> list[tuple[str, dict]]:
    """What the audit log holds under this name: sign-ins and -outs (entity None: everything)."""
    query = select(AuditEntry).where(AuditEntry.username == name).order_by(AuditEntry.id)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    with session_scope(engine) as db:
        rows = db.scalars(query).all()
        assert verify_chain(db) is None
    return [(row.action, json.loads(row.new_value or "null")) for row in rows]


def alert(page_html: str) -> str:
    return re.sub(r"\s+", " ", re.search(r'class="alert alert-danger"[^>]*>(.*?)</div>', page_html, re.S).group(1))


# --- password policy and changes -------------------------------------------------------


def test_first_login_must_change_the_issued_password_and_nothing_else_opens(site, app, engine):
    make_user(site, "first.login", ready=False)
    browser = client(app)
    answer = log_in(browser, "first.login", ISSUED)
    assert answer.status_code == 302 and answer.headers["Location"] == "/account/password"
    for path in ("/", "/pipelines", "/some/page?lang=en"):
        answer = browser.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/account/password?next=/")
    assert browser.post("/_dash-update-component", json=ROUTE_CALLBACK).status_code == 403
    assert browser.get("/_dash-layout").status_code == 403
    assert browser.get("/api/v1/indicators").status_code == 401  # the data API takes bearer tokens, never sessions
    form = browser.get("/account/password?lang=vi")  # the page load above asked for English
    assert form.status_code == 200 and 'id="password-due"' in form.text
    assert form.headers["Cache-Control"] == "no-store"
    for rule in ("ít nhất 8 ký tự", "một chữ in hoa", "một chữ số", "khác 5 mật khẩu gần nhất"):
        assert rule in form.text

    answer = change_password(browser, ISSUED, OWN, next_url="/pipelines")
    assert answer.status_code == 302 and answer.headers["Location"] == "/pipelines"
    assert browser.get("/").status_code == 200
    assert browser.post("/_dash-update-component", json=ROUTE_CALLBACK).status_code == 200
    actions = [action for action, _ in audit_of(engine, "first.login", entity=None)]
    assert actions == ["login", "set_password"]


def test_a_refused_change_names_every_rule_it_breaks(site, app):
    make_user(site, "rules.check", ready=False)
    browser = client(app)
    log_in(browser, "rules.check", ISSUED)
    answer = change_password(browser, ISSUED, "abc", repeat="abd")
    assert answer.status_code == 400
    assert alert(answer.text).count("<li>") == 5
    for text in ("Hai lần nhập mật khẩu mới không khớp.", "Mật khẩu mới cần có ít nhất 8 ký tự.",
                 "Mật khẩu mới cần có một chữ in hoa.", "Mật khẩu mới cần có một chữ số.",
                 "Mật khẩu mới cần có một ký tự đặc biệt như ! @ # hoặc %."):
        assert text in answer.text
    answer = change_password(browser, ISSUED, ISSUED)
    assert answer.status_code == 400 and "trùng một trong 5 mật khẩu gần nhất" in answer.text
    answer = change_password(browser, "Sai-roi-2026!", OWN)
    assert answer.status_code == 400 and "Mật khẩu hiện tại không đúng." in answer.text
    assert browser.get("/").headers["Location"].startswith("/account/password")  # still due


def test_voluntary_change_keeps_this_session_ends_the_others_and_refuses_the_last_five(site, app):
    make_user(site, "volunteer")
    here, elsewhere = client(app), client(app)
    assert log_in(here, "volunteer", OWN).headers["Location"] == "/"
    assert log_in(elsewhere, "volunteer", OWN).headers["Location"] == "/"
    form = here.get("/account/password?lang=en")
    assert form.status_code == 200 and 'id="password-due"' not in form.text
    history = [OWN]
    for n in range(5):
        new = f"Lan-doi-{n}-2026!"
        assert change_password(here, history[-1], new).status_code == 302
        history.append(new)
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").headers["Location"].startswith("/login")
    for reused in history[1:]:
        answer = change_password(here, history[-1], reused)
        assert answer.status_code == 400 and "one of your last 5 passwords" in answer.text
    assert change_password(here, history[-1], history[0]).status_code == 302  # six changes ago


def test_a_password_older_than_the_configured_age_must_be_changed(site, app, engine):
    make_user(site, "old.password")
    browser = client(app)
    assert log_in(browser, "old.password", OWN).headers["Location"] == "/"
    assert browser.get("/").status_code == 200
    days = site[0].security.password_max_age_days
    with session_scope(engine) as db:
        user = users.find_user(db, "old.password")
        changed = now_ict() - timedelta(days=days, minutes=1)
        db.execute(update(User).where(User.id == user.id).values(password_changed_at=changed))
    again = client(app)
    assert log_in(again, "old.password", OWN).headers["Location"] == "/account/password"
    assert again.get("/").headers["Location"].startswith("/account/password")


# --- lockout ---------------------------------------------------------------------------


def test_an_account_locks_with_doubling_waits_and_says_so_whether_or_not_it_exists(site, app, engine):
    make_user(site, "target")
    answers = {}
    for name in ("target", "nobody.here"):
        browser = client(app)
        for _ in range(2):
            answer = log_in(browser, name, "Sai-roi-2026!")
            assert answer.status_code == 401 and "không đúng" in alert(answer.text)
        answer = log_in(browser, name, "Sai-roi-2026!")
        assert answer.status_code == 429
        answers[name] = alert(answer.text)
    assert answers["target"] == answers["nobody.here"] == (
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 1 giây.")

    elsewhere = client(app)
    refused = log_in(elsewhere, "target", OWN)  # the right password waits too, from any address
    assert refused.status_code == 429 and "thử lại sau 1 giây" in refused.text
    time.sleep(1.05)
    answer = log_in(elsewhere, "target", "Sai-roi-2026!")
    assert answer.status_code == 429 and "thử lại sau 2 giây" in answer.text  # doubled
    with session_scope(engine) as db:
        row = db.get(LoginThrottle, (throttle.ACCOUNT, "target"))
        assert row.failures == 4 and row.locked_until - row.last_failure_at == timedelta(seconds=2)
    time.sleep(2.05)
    assert log_in(elsewhere, "target", OWN).headers["Location"] == "/"
    with session_scope(engine) as db:
        assert db.get(LoginThrottle, (throttle.ACCOUNT, "target")) is None  # success forgets the account's

    entries = audit_of(engine, "target")
    assert [action for action, _ in entries] == [
        "login_failed", "login_failed", "login_failed", "lockout", "login_refused", "login_failed", "lockout",
        "login"]
    assert entries[0][1]["reason"] == "wrong_password" and entries[0][1]["address"].startswith("10.0.1.")
    assert entries[3][1] == {"address": entries[2][1]["address"], "failures": 3, "seconds": 1.0}
    assert entries[4][1]["reason"] == "locked"
    assert audit_of(engine, "nobody.here")[0][1]["reason"] == "unknown_user"


def test_an_address_locks_after_its_own_threshold_for_every_account(site, app):
    make_user(site, "innocent")
    address = "10.0.9.9"
    for n in range(5):
        answer = log_in(client(app, address), f"guess{n}", "Sai-roi-2026!")
    assert answer.status_code == 429
    assert log_in(client(app, address), "innocent", OWN).status_code == 429
    assert log_in(client(app, "10.0.9.10"), "innocent", OWN).headers["Location"] == "/"


def test_backoff_doubles_up_to_the_cap_and_is_forgotten_after_a_quiet_while(engine):
    backoff = throttle.Backoff(after=2, base_seconds=30, max_seconds=900, forget_seconds=3600)
    start = now_ict()
    waits = []
    with session_scope(engine) as db:
        for n in range(9):
            started = throttle.register_failure(db, [(throttle.ACCOUNT, "cap.check", backoff)],
                                                start + timedelta(seconds=n))
            waits.append(started[0].seconds if started else 0)
        assert throttle.seconds_left(db, [(throttle.ACCOUNT, "cap.check")], start + timedelta(seconds=8)) == 900
        later = start + timedelta(hours=2)
        assert throttle.seconds_left(db, [(throttle.ACCOUNT, "cap.check")], later) == 0
        assert throttle.register_failure(db, [(throttle.ACCOUNT, "cap.check", backoff)], later) == []
    assert waits == [0, 30, 60, 120, 240, 480, 900, 900, 900]


# --- CSRF, cookies, headers ------------------------------------------------------------


def test_forms_without_the_session_token_are_refused(site, app, engine):
    make_user(site, "csrf.target")
    browser = client(app)
    browser.get("/login")
    answer = browser.post("/login", data={"username": "csrf.target", "password": OWN})
    assert answer.status_code == 400 and 'id="expired"' in answer.text
    answer = browser.post("/login", data={"csrf_token": "forged", "username": "csrf.target", "password": OWN})
    assert answer.status_code == 400
    assert audit_of(engine, "csrf.target") == []  # not even an attempt
    assert log_in(browser, "csrf.target", OWN).headers["Location"] == "/"
    answer = browser.post("/account/password", data={"current_password": OWN, "new_password": "Khac-han-2026!",
                                                     "repeat_password": "Khac-han-2026!"})
    assert answer.status_code == 400
    assert [action for action, _ in audit_of(engine, "csrf.target", entity=None)] == [
        "set_password", "login"]  # the one of make_user: the forged change did nothing
    assert browser.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200  # still signed in


def test_dash_callbacks_must_be_json_from_this_site(site, app):
    make_user(site, "dash.user")
    browser = client(app)
    log_in(browser, "dash.user", OWN)
    host = "http://localhost"
    assert browser.post("/_dash-update-component", json=ROUTE_CALLBACK, headers={"Origin": host}).status_code == 200
    assert browser.post("/_dash-update-component", json=ROUTE_CALLBACK).status_code == 200  # not a browser
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Referer": "http://evil.example/page"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site", "Origin": "http://sub.localhost"}):
        answer = browser.post("/_dash-update-component", json=ROUTE_CALLBACK, headers=headers)
        assert answer.status_code == 403, headers
    answer = browser.post("/_dash-update-component", data=json.dumps(ROUTE_CALLBACK),
                          headers={"Content-Type": "text/plain", "Origin": host})
    assert answer.status_code == 403


def test_sign_out_from_another_site_asks_first_and_every_sign_out_is_audited(site, app, engine):
    make_user(site, "leaving")
    browser = client(app)
    log_in(browser, "leaving", OWN)
    answer = browser.get("/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 200 and 'action="/logout"' in answer.text
    assert browser.get("/").status_code == 200
    answer = browser.get("/logout", headers={"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert browser.get("/").headers["Location"].startswith("/login")
    assert [action for action, _ in audit_of(engine, "leaving")] == ["login", "logout"]


def test_without_a_session_pages_redirect_and_callbacks_and_api_answer_401(app):
    browser = client(app)
    assert browser.get("/pipelines").headers["Location"] == "/login?next=/pipelines"
    assert browser.post("/_dash-update-component", json=ROUTE_CALLBACK).status_code == 401
    assert browser.get("/_dash-layout").status_code == 401
    assert browser.get("/api/v1/indicators").status_code == 401


def test_every_response_carries_the_security_headers_and_the_csp_covers_dash_inline_scripts(site, app):
    make_user(site, "headers")
    browser = client(app)
    log_in(browser, "headers", OWN)
    for path in ("/", "/login", "/health", "/assets/10-ioc.css", "/no-such-file.txt", "/account/password"):
        headers = browser.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP here
    index = browser.get("/")
    script_src = re.search(r"script-src ([^;]+)", index.headers["Content-Security-Policy"]).group(1).split()
    page = re.sub(r"<!--.*?-->", "", index.text, flags=re.S)  # Dash's IE notice sits in a comment
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", page, re.S)
    assert inline, "Dash's page has its inline renderer script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src


def test_session_cookie_is_httponly_samesite_and_secure_behind_https(site, app):
    settings = site[0]
    cookie = client(app).get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = settings.model_copy(update={"server": settings.server.model_copy(update={"https": True})})
    secure_app = create_app(https)
    answer = secure_app.test_client().get("/login", base_url="https://localhost")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("__Host-ioc_session=") and "Secure" in cookie and "HttpOnly" in cookie
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    assert secure_app.permanent_session_lifetime == timedelta(minutes=settings.server.session_minutes)


# --- the `ioc user` account commands ---------------------------------------------------


def ioc(site, monkeypatch, *args: str, stdin: str = "") -> int:
    """`ioc --config ... ARGS` in this process (it sets IOC_CONFIG: restored after the test)."""
    config = str(site[0].base_dir / "config.yaml")
    monkeypatch.setenv("IOC_CONFIG", config)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(["--config", config, *args])


def test_reset_sets_a_temporary_password_unlocks_and_ends_sessions(site, app, engine, monkeypatch, capsys):
    make_user(site, "forgetful")
    signed_in = client(app)
    log_in(signed_in, "forgetful", OWN)
    for _ in range(3):
        log_in(client(app), "forgetful", "Sai-roi-2026!")
    assert log_in(client(app), "forgetful", OWN).status_code == 429
    assert ioc(site, monkeypatch, "user", "reset", "forgetful", "--password-stdin", stdin="weak\n") == 1
    assert "password too weak" in capsys.readouterr().err
    assert ioc(site, monkeypatch, "user", "reset", "forgetful", "--password-stdin", stdin="Tam-thoi-2026!\n") == 0
    assert signed_in.get("/").headers["Location"].startswith("/login")  # the old session ended
    browser = client(app)
    assert log_in(browser, "forgetful", "Tam-thoi-2026!").headers["Location"] == "/account/password"
    actions = audit_of(engine, "forgetful")
    with session_scope(engine) as db:
        reset = db.scalars(select(AuditEntry).where(AuditEntry.action == "set_password",
                                                    AuditEntry.username.like("cli%"))).all()
    assert any(json.loads(entry.new_value) == {"username": "forgetful", "must_change_password": True}
               for entry in reset)
    assert actions[-1][0] == "login"


def test_close_never_deletes_and_delete_is_refused(site, app, engine, monkeypatch, capsys):
    make_user(site, "leaver")
    assert ioc(site, monkeypatch, "user", "delete", "leaver") == 1
    assert "never deleted" in capsys.readouterr().err
    assert ioc(site, monkeypatch, "user", "close", "leaver") == 0
    assert ioc(site, monkeypatch, "user", "close", "nobody.at.all") == 1
    answer = log_in(client(app), "leaver", OWN)
    assert answer.status_code == 401 and "không đúng" in alert(answer.text)
    with session_scope(engine) as db:
        user = users.find_user(db, "leaver")
        assert user is not None and not user.is_active and user.closed_at is not None
        closes = db.scalars(select(AuditEntry).where(AuditEntry.action == "close",
                                                     AuditEntry.entity_id == str(user.id))).all()
    assert len(closes) == 1 and closes[0].username.startswith("cli")
    assert audit_of(engine, "leaver")[-1][1]["reason"] == "closed"
    assert ioc(site, monkeypatch, "user", "reset", "leaver", "--password-stdin", stdin="Tam-thoi-2026!\n") == 1
    assert "is closed" in capsys.readouterr().err


def test_handover_records_the_new_person_and_ends_the_old_holders_sessions(site, app, engine, monkeypatch, capsys):
    make_user(site, "handed")
    with session_scope(engine) as db:
        users.find_user(db, "handed").full_name = "Phạm Văn Cũ"
    old_holder = client(app)
    log_in(old_holder, "handed", OWN)
    assert old_holder.get("/").status_code == 200
    assert ioc(site, monkeypatch, "user", "handover", "handed", "--to", "Đỗ Thị Mới", "--reason", " ",
               "--password-stdin", stdin="Ban-giao-2026!\n") == 1
    assert "reason is required" in capsys.readouterr().err
    assert ioc(site, monkeypatch, "user", "handover", "handed", "--to", "Đỗ Thị Mới", "--reason", "nghỉ hưu",
               "--on", "2026-11-30", "--password-stdin", stdin="weak\n") == 1
    assert "password too weak" in capsys.readouterr().err
    assert old_holder.get("/").status_code == 200  # refused handovers change nothing
    assert ioc(site, monkeypatch, "user", "handover", "handed", "--to", "Đỗ Thị Mới", "--reason", "nghỉ hưu",
               "--on", "2026-11-30", "--password-stdin", stdin="Ban-giao-2026!\n") == 0
    assert old_holder.get("/").headers["Location"].startswith("/login")
    assert log_in(client(app), "handed", "Ban-giao-2026!").headers["Location"] == "/account/password"
    with session_scope(engine) as db:
        user = users.find_user(db, "handed")
        handover, = db.scalars(select(AccountHandover).where(AccountHandover.user_id == user.id)).all()
        assert (handover.from_name, handover.to_name, handover.reason, str(handover.handed_over_on)) == (
            "Phạm Văn Cũ", "Đỗ Thị Mới", "nghỉ hưu", "2026-11-30")
        assert handover.recorded_by.startswith("cli") and user.full_name == "Đỗ Thị Mới"
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "handover",
                                                    AuditEntry.entity_id == str(user.id))).one()
    assert json.loads(entry.old_value) == {"full_name": "Phạm Văn Cũ"}
