"""Sign-in, sign-out, password changes, and the rules every request passes first:
a session for every page but /login and /health, and a due password change before anything else.

Every sign-in, failure, lockout, password change and sign-out is written to the audit log
with the name as typed and the client address. Failures are throttled per account name
and per address (ioc_app.opdb.throttle); the page says how long to wait, the same way
whether or not the account exists.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlparse

from flask import Flask, abort, redirect, render_template, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ioc_app.clock import now_ict
from ioc_app.config import SecuritySettings
from ioc_app.web.i18n import t
from ioc_app.web.language import current_lang
from ioc_app.web.security import csrf_token, same_origin

# The data API and Open311 check their own bearer tokens (ioc_app.api), never the session; the
# public dashboard is a Dash app of its own that reads only published figures.
PUBLIC_PREFIXES = ("/login", "/health", "/ready", "/assets/", "/_dash-component-suites/", "/favicon.ico",
                   "/api/v1/", "/open311/v2/", "/public/")
PUBLIC_HOME = "/public"
PASSWORD_PATH = "/account/password"
# Paths a user whose password change is due may still open.
WHILE_DUE = (PASSWORD_PATH, "/logout")
STAMP = "password_stamp"
AUDIT_NAME_LENGTH = 64


@dataclass(frozen=True)
class WebUser(UserMixin):
    """What a request needs to know about the signed-in person."""

    id: int
    username: str
    role: str
    unit_code: str | None
    full_name: str | None
    password_due: bool = False

    def get_id(self) -> str:
        return str(self.id)


def _web_user(user, password_due: bool = False) -> WebUser:
    return WebUser(user.id, user.username, user.role_code, user.unit.code if user.unit else None,
                   user.full_name, password_due)


def _stamp(user) -> str:
    """Changes with every new password: a session made before a change or reset stops working."""
    return user.password_changed_at.isoformat()


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an absolute URL to another host would be an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _address() -> str:
    """The client address (the proxy's view of it when server.proxy_hops trusts X-Forwarded-For)."""
    return request.remote_addr or "unknown"


def _here() -> str:
    return request.full_path.rstrip("?")


def _no_store(page: str, status: int):
    return page, status, {"Cache-Control": "no-store"}


def install_auth(app: Flask, engine, province_name: str, security: SecuritySettings) -> None:
    from ioc_app.opdb import throttle
    from ioc_app.opdb.audit import record
    from ioc_app.opdb.session import session_scope
    from ioc_app.opdb.users import (
        HISTORY_DEPTH,
        MIN_LENGTH,
        POLICY_RULES,
        ReusedPasswordError,
        broken_rules,
        check_login,
        get_user,
        normalize_username,
        password_change_due,
        set_password,
        verify_password,
    )

    max_age = timedelta(days=security.password_max_age_days)
    forget = security.lockout_forget_minutes * 60
    account_backoff = throttle.Backoff(security.lockout_after_failures, security.lockout_base_seconds,
                                       security.lockout_max_seconds, forget)
    address_backoff = throttle.Backoff(security.address_lockout_after_failures, security.lockout_base_seconds,
                                       security.lockout_max_seconds, forget)
    manager = LoginManager(app)

    @manager.user_loader
    def load_user(user_id: str) -> WebUser | None:
        with session_scope(engine) as db:
            user = get_user(db, int(user_id))
            if user is None or not user.is_active or session.get(STAMP) != _stamp(user):
                return None
            return _web_user(user, password_change_due(user, max_age=max_age))

    @app.before_request
    def remember_language():
        """`?lang=` of a page load goes into the session before the page's callbacks run, so every
        one of their answers carries it: when only the `route` callback set it, a sibling
        callback's answer re-sent the cookie as it read it and could put the old language back."""
        current_lang()

    @app.before_request
    def require_login():
        path = request.path
        if path.startswith(PUBLIC_PREFIXES) or path == PUBLIC_HOME:
            return None
        api = path.startswith("/_dash-") or path.startswith("/api/")
        if not current_user.is_authenticated:
            if api:
                abort(401)
            return redirect("/login?next=" + _here())
        if current_user.password_due and path not in WHILE_DUE:
            if api:
                abort(403, description="password change due")
            return redirect(PASSWORD_PATH + "?next=" + _here())
        return None

    def audit(db, name: str, action: str, entity_id: object, **details: object) -> None:
        record(db, name[:AUDIT_NAME_LENGTH] or "-", action, "session", entity_id, None,
               {"address": _address(), **details})

    def count_failure(db, name: str, action: str, reason: str, now) -> float:
        """Count a failure on the name and the address, audit it and any lockout it starts;
        the seconds to wait now (0 when no lockout started)."""
        lockouts = throttle.register_failure(
            db, [(throttle.ACCOUNT, name, account_backoff), (throttle.ADDRESS, _address(), address_backoff)], now)
        audit(db, name, action, None, reason=reason)
        for lockout in lockouts:
            audit(db, name, "lockout", f"{lockout.kind}:{lockout.key}", failures=lockout.failures,
                  seconds=lockout.seconds)
        return max((lockout.seconds for lockout in lockouts), default=0.0)

    def locked_message(seconds: float, lang: str) -> str:
        return t("login_locked", lang, seconds=math.ceil(seconds))

    def render_login(error: str | None = None, username: str = "", status: int = 200):
        lang = current_lang()
        page = render_template(
            "login.html", lang=lang, other_lang="en" if lang == "vi" else "vi",
            t=lambda key: t(key, lang), province=province_name, error=error, username=username,
            csrf_token=csrf_token(), next_url=request.args.get("next", ""),
        )
        return _no_store(page, status)

    @app.get("/login")
    def login_form():
        return render_login()

    @app.post("/login")
    def login_submit():
        lang = current_lang()
        typed = request.form.get("username", "").strip()
        name = normalize_username(typed)
        now = now_ict()
        with session_scope(engine) as db:
            wait = throttle.seconds_left(db, [(throttle.ACCOUNT, name), (throttle.ADDRESS, _address())], now)
            web_user = stamp = None
            if wait:
                audit(db, name, "login_refused", None, reason="locked", seconds=math.ceil(wait))
            else:
                check = check_login(db, name, request.form.get("password", ""))
                if check.user is None:
                    wait = count_failure(db, name, "login_failed", check.reason, now)
                else:
                    throttle.clear(db, throttle.ACCOUNT, name)
                    audit(db, check.user.username, "login", check.user.id)
                    web_user = _web_user(check.user, password_change_due(check.user, now, max_age))
                    stamp = _stamp(check.user)
        if web_user is None:
            if wait:
                return render_login(locked_message(wait, lang), username=typed, status=429)
            return render_login(t("login_failed", lang), username=typed, status=401)
        session.clear()
        session["lang"] = lang
        session[STAMP] = stamp
        session.permanent = True
        login_user(web_user)
        target = _safe_next(request.args.get("next"))
        if web_user.password_due:
            return redirect(PASSWORD_PATH + ("?next=" + target if target != "/" else ""))
        return redirect(target)

    def render_password(errors: list[str], status: int = 200):
        lang = current_lang()
        rules = [t(f"pw_rule_{code}", lang, n=MIN_LENGTH) for code in POLICY_RULES]
        rules.append(t("pw_rule_history", lang, n=HISTORY_DEPTH))
        page = render_template(
            "password.html", lang=lang, t=lambda key, **values: t(key, lang, **values),
            username=current_user.username, due=current_user.password_due, errors=errors, rules=rules,
            csrf_token=csrf_token(), next_url=request.args.get("next", ""),
        )
        return _no_store(page, status)

    @app.get(PASSWORD_PATH)
    def password_form():
        return render_password([])

    @app.post(PASSWORD_PATH)
    def password_submit():
        lang = current_lang()
        current = request.form.get("current_password", "")
        new = request.form.get("new_password", "")
        now = now_ict()
        errors: list[str] = []
        with session_scope(engine) as db:
            user = get_user(db, current_user.id)
            wait = throttle.seconds_left(db, [(throttle.ACCOUNT, user.username), (throttle.ADDRESS, _address())],
                                         now)
            if wait:
                errors.append(locked_message(wait, lang))
            elif not verify_password(user, current):
                wait = count_failure(db, user.username, "password_change_failed", "wrong_password", now)
                errors.append(locked_message(wait, lang) if wait else t("pw_wrong_current", lang))
            else:
                if new != request.form.get("repeat_password", ""):
                    errors.append(t("pw_mismatch", lang))
                errors += [t("pw_missing", lang, rule=t(f"pw_rule_{code}", lang, n=MIN_LENGTH))
                           for code in broken_rules(new)]
                if not errors:
                    try:
                        set_password(db, user, new)
                    except ReusedPasswordError:
                        errors.append(t("pw_reused", lang, n=HISTORY_DEPTH))
            stamp = _stamp(user)
        if errors:
            return render_password(errors, status=429 if wait else 400)
        session[STAMP] = stamp
        return redirect(_safe_next(request.args.get("next")))

    @app.route("/logout", methods=["GET", "POST"])
    def logout():
        if request.method == "GET" and not same_origin():
            lang = current_lang()
            page = render_template("logout.html", lang=lang, t=lambda key: t(key, lang), csrf_token=csrf_token())
            return _no_store(page, 200)
        if current_user.is_authenticated:
            with session_scope(engine) as db:
                audit(db, current_user.username, "logout", current_user.id)
        logout_user()
        session.clear()
        return redirect("/login")
