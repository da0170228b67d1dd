"""Web hardening: CSRF checks on every state-changing request, cookie flags, security headers.

CSRF has two forms here:
- Flask forms (login, password change, logout) carry a per-session token in the field
  `csrf_token` (or the header `X-CSRF-Token`), compared in constant time.
- Dash callbacks (`POST /_dash-update-component`) cannot carry a form token, so they must be
  JSON (a content type that a cross-site page can only send after a CORS preflight, which
  we never grant) and come from this site: the browser's Sec-Fetch-Site, Origin and Referer
  headers, whichever are present, must all name this host. SameSite=Lax session cookies
  keep the session off cross-site POSTs on top of that.
A request without any of those headers is not a browser's and cannot ride on a victim's
cookies, so the same-origin check lets it through (scripts, curl, health probes).
"""
from __future__ import annotations

import secrets
from urllib.parse import urlparse

from dash import Dash
from dash.exceptions import DependencyException
from flask import Flask, Response, abort, render_template, request, session
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from ioc_app.config import Settings
from ioc_app.web.i18n import t
from ioc_app.web.language import current_lang

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The signed-in app's callbacks, and the public dashboard's (ioc_app.web.public_app).
DASH_PREFIXES = ("/_dash-", "/public/_dash-")
# Clients of the data API and Open311 authenticate with bearer tokens (or not at all), not cookies.
API_PREFIX = ("/api/", "/open311/")
TOKEN_FIELD = "csrf_token"
TOKEN_HEADER = "X-CSRF-Token"
PERMISSIONS = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "usb"))


def csrf_token() -> str:
    """This session's form token, made on first use."""
    if TOKEN_FIELD not in session:
        session[TOKEN_FIELD] = secrets.token_urlsafe(32)
    return session[TOKEN_FIELD]


def _host_of(url: str) -> str | None:
    return urlparse(url).netloc or None


def same_origin() -> bool:
    """False when any origin header the browser sent names another site than this host."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is not None and _host_of(origin) != request.host:
        return False
    referer = request.headers.get("Referer")
    if origin is None and referer is not None and _host_of(referer) != request.host:
        return False
    return True


def _token_ok() -> bool:
    expected = session.get(TOKEN_FIELD)
    sent = request.form.get(TOKEN_FIELD) or request.headers.get(TOKEN_HEADER) or ""
    return bool(expected) and secrets.compare_digest(expected, sent)


def content_security_policy(script_hashes: list[str]) -> str:
    """Everything from this host; inline scripts only Dash's own, by hash; inline styles
    because plotly.js and React set style attributes."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def install_security(server: Flask, dash_app: Dash, settings: Settings, *other_apps: Dash) -> None:
    """Call after every Dash callback is registered: the CSP hashes Dash's inline scripts then
    (those of `other_apps` too, Dash apps mounted on the same server)."""
    hops = settings.server.proxy_hops
    if hops:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    https = settings.server.https
    server.config.update(
        SESSION_COOKIE_SECURE=https,
        # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only, path /.
        SESSION_COOKIE_NAME="__Host-ioc_session" if https else "ioc_session",
    )
    hashes = dict.fromkeys(h for app in (dash_app, *other_apps) for h in app.csp_hashes())
    policy = content_security_policy(list(hashes))

    @server.errorhandler(DependencyException)
    def unknown_bundle(_exc: DependencyException) -> NotFound:
        """A component bundle Dash does not serve (a mistyped or forged URL) is not found, not a crash."""
        return NotFound()

    @server.before_request
    def refuse_cross_site_writes():
        if request.method in SAFE_METHODS:
            return None
        if not same_origin():
            abort(403, description="cross-site request refused")
        if request.path.startswith(DASH_PREFIXES):
            if not request.is_json:
                abort(403, description="Dash callbacks must be JSON")
            return None
        if request.path.startswith(API_PREFIX) or _token_ok():
            return None
        lang = current_lang()
        page = render_template("expired.html", lang=lang, t=lambda key, **values: t(key, lang, **values),
                               back=request.path)
        return page, 400

    @server.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", PERMISSIONS)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
