"""Application factory: one Flask server hosting the login pages, /health and the Dash app."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dash import Dash
from flask import Flask, jsonify

from ioc_app.config import Settings
from ioc_app.web.secret import secret_key

WEB_DIR = Path(__file__).resolve().parent


def _health(settings: Settings):
    def health():
        return jsonify(status="ok", province=settings.province_code)

    return health


def create_app(settings: Settings) -> Flask:
    from ioc_app.api import install_api
    from ioc_app.geo import resolve_province
    from ioc_app.opdb.session import engine_for
    from ioc_app.web.auth import install_auth
    from ioc_app.web.lake_reader import LakeReader
    from ioc_app.web.security import install_security
    from layouts import shell

    server = Flask(__name__, template_folder=str(WEB_DIR / "templates"))
    server.config.update(
        SECRET_KEY=secret_key(settings.data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.server.session_minutes),
    )
    server.add_url_rule("/health", "health", _health(settings))
    province = resolve_province(settings.province_code)
    install_auth(server, engine_for(settings.database_url), province.name, settings.security)

    app = Dash(
        __name__,
        server=server,
        url_base_pathname="/",
        assets_folder=str(WEB_DIR / "assets"),
        serve_locally=True,
        suppress_callback_exceptions=True,
        title=f"IOC · {province.name}",
        update_title=None,
    )
    reader = LakeReader(settings)
    app.layout = shell.layout
    shell.register(app, settings, reader, province)
    install_api(server, settings, reader)
    install_security(server, app, settings)
    return server
