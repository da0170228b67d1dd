"""Application factory: one Flask server hosting the login pages, /health and the Dash app."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dash import Dash
from flask import Flask

from ioc_app.config import Settings
from ioc_app.web.secret import secret_key

WEB_DIR = Path(__file__).resolve().parent


def create_app(settings: Settings) -> Flask:
    from ioc_app.api import install_api
    from ioc_app.web.answer_cache import install_answer_cache
    from ioc_app.geo import resolve_province
    from ioc_app.opdb.session import engine_for
    from ioc_app.web.announcements import install_announcements
    from ioc_app.web.auth import install_auth
    from ioc_app.web.callback_inputs import install_callback_inputs
    from ioc_app.web.commune_shapes import install_commune_shapes
    from ioc_app.web.health import install_health
    from ioc_app.web.lake_reader import LakeReader
    from ioc_app.web.public_app import create_public_app
    from ioc_app.web.request_log import install_request_log
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
    province = resolve_province(settings.province_code)
    engine = engine_for(settings.database_url)
    reader = LakeReader(settings)
    reader.install(server)
    install_request_log(server)
    install_health(server, settings, engine, reader)
    install_announcements(server, engine)
    install_commune_shapes(server, settings)
    install_auth(server, engine, province.name, settings.security)
    # Made first: Dash remembers the last app made as "the" app, which must stay the signed-in one.
    public = create_public_app(server, settings, str(WEB_DIR / "assets"), f"Số liệu công khai · {province.name}")

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
    app.layout = shell.layout
    shell.register(app, settings, reader, province)
    install_api(server, settings, reader)
    install_security(server, app, settings, public)
    install_answer_cache(server, settings, reader)
    install_callback_inputs(server, app, public)
    return server
