"""Login, logout and the rule that every page but /login and /health needs a session."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlparse

from flask import Flask, abort, redirect, render_template, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ioc_app.web.i18n import t

PUBLIC_PREFIXES = ("/login", "/health", "/assets/", "/_dash-component-suites/", "/favicon.ico")


@dataclass(frozen=True)
class WebUser(UserMixin):
    """What a request needs to know about the signed-in person."""

    id: int
    username: str
    role: str
    unit_code: str | None
    full_name: str | None

    def get_id(self) -> str:
        return str(self.id)


def _web_user(user) -> WebUser:
    return WebUser(user.id, user.username, user.role_code, user.unit.code if user.unit else None, user.full_name)


def current_lang() -> str:
    lang = request.args.get("lang")
    if lang in ("vi", "en"):
        session["lang"] = lang
    return session.get("lang", "vi")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an absolute URL to another host would be an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def install_auth(app: Flask, engine, province_name: str) -> None:
    from ioc_app.opdb.session import session_scope
    from ioc_app.opdb.users import authenticate, get_user

    manager = LoginManager(app)

    @manager.user_loader
    def load_user(user_id: str) -> WebUser | None:
        with session_scope(engine) as db:
            user = get_user(db, int(user_id))
            return _web_user(user) if user is not None and user.is_active else None

    @app.before_request
    def require_login():
        if request.path.startswith(PUBLIC_PREFIXES) or current_user.is_authenticated:
            return None
        if request.path.startswith("/_dash-") or request.path.startswith("/api/"):
            abort(401)
        return redirect("/login?next=" + request.full_path.rstrip("?"))

    def render_login(error: str | None = None, username: str = "", status: int = 200):
        lang = current_lang()
        session["csrf_token"] = secrets.token_urlsafe(32)
        page = render_template(
            "login.html", lang=lang, other_lang="en" if lang == "vi" else "vi",
            t=lambda key: t(key, lang), province=province_name, error=error, username=username,
            csrf_token=session["csrf_token"], next_url=request.args.get("next", ""),
        )
        return page, status

    @app.get("/login")
    def login_form():
        return render_login()

    @app.post("/login")
    def login_submit():
        lang = current_lang()
        token = session.pop("csrf_token", None)
        if not token or not secrets.compare_digest(token, request.form.get("csrf_token", "")):
            return render_login(t("login_expired", lang), status=400)
        username = request.form.get("username", "").strip()
        with session_scope(engine) as db:
            user = authenticate(db, username, request.form.get("password", ""))
            web_user = _web_user(user) if user is not None else None
        if web_user is None:
            return render_login(t("login_failed", lang), username=username, status=401)
        session.clear()
        session["lang"] = lang
        session.permanent = True
        login_user(web_user)
        return redirect(_safe_next(request.args.get("next")))

    @app.route("/logout", methods=["GET", "POST"])
    def logout():
        logout_user()
        session.clear()
        return redirect("/login")
