"""Page frame shared by every desk view: header with clock, user and language, then the page."""
from __future__ import annotations

from dash import Dash, Input, Output, dcc, html
from flask import session
from flask_login import current_user

from ioc_app.config import Settings
from ioc_app.web.i18n import t
from ioc_app.web.lake_reader import LakeReader
from ioc_app.web.query_cache import QueryCache
from layouts import overview

PAGES = {"/": overview}


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url"),
            dcc.Interval(id="clock-tick", interval=15_000),
            html.Header(id="ioc-header", className="ioc-header"),
            html.Main(id="page", className="ioc-page"),
        ],
        className="ioc-root",
    )


def _lang() -> str:
    return session.get("lang", "vi")


def _header(province_name: str, lang: str) -> list:
    other = "en" if lang == "vi" else "vi"
    name = current_user.full_name or current_user.username if current_user.is_authenticated else ""
    return [
        html.Div([
            html.Div("IOC", className="ioc-emblem", **{"aria-hidden": "true"}),
            html.Div([
                html.Div(t("app_title", lang), className="ioc-title"),
                html.Div(province_name, className="ioc-subtitle"),
            ]),
        ], className="ioc-brand"),
        html.Div([
            html.Div(id="ioc-clock", className="ioc-clock", **{"aria-live": "off"}),
            html.Span(name, className="ioc-user"),
            html.A(t("language", lang), href=f"?lang={other}", className="ioc-link", id="lang-switch"),
            html.A(t("logout", lang), href="/logout", className="ioc-link"),
        ], className="ioc-header-right"),
    ]


def register(app: Dash, settings: Settings, reader: LakeReader, province) -> None:
    cache = QueryCache(reader)

    @app.callback(Output("ioc-header", "children"), Output("page", "children"), Input("url", "pathname"),
                  Input("url", "search"))
    def route(pathname: str | None, search: str | None):
        if search and "lang=" in search:
            lang = "en" if "lang=en" in search else "vi"
            session["lang"] = lang
        lang = _lang()
        page = PAGES.get(pathname or "/")
        body = page.layout(lang) if page else html.H2("404", className="p-5")
        return _header(province.name, lang), body

    app.clientside_callback(
        """function(n) {
            const d = new Date();
            const p = (x) => String(x).padStart(2, '0');
            return `${p(d.getHours())}:${p(d.getMinutes())} ${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()}`;
        }""",
        Output("ioc-clock", "children"),
        Input("clock-tick", "n_intervals"),
    )
    overview.register(app, settings, cache, _lang)
