"""The public dashboard (/public, no sign-in): citizens and businesses see the figures the
editorial board has published, and nothing else.

It is a Dash app of its own (ioc_app.web.public_app) whose callbacks read only
ioc_app.publishing.public_store: an unpublished indicator, period or area sent in a forged
callback finds no row. Vietnamese by default, `?lang=en` for English."""
from __future__ import annotations

from urllib.parse import parse_qs

import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from ioc_app.config import Settings
from ioc_app.geo import boundaries, resolve_province
from ioc_app.opdb.session import session_scope
from ioc_app.publishing import public_store
from ioc_app.web.i18n import t
from ioc_app.web.opdb import opdb_engine
from layouts.exports import table_download
from layouts.figures import font_px
from layouts.public_views import day, figure_view, indicator_name, period_label, source_line, table_rows, tiles

PREFIX = "pub"


def layout() -> html.Div:
    return html.Div([
        dcc.Location(id="pub-url"),
        dcc.Store(id="pub-lang"),
        dcc.Store(id="pub-viewport"),
        dcc.Download(id="pub-download"),
        html.Div(id="pub-page"),
    ], className="pub-root")


def _lang(search: str | None) -> str:
    lang = parse_qs((search or "").lstrip("?")).get("lang", ["vi"])[0]
    return lang if lang in ("vi", "en") else "vi"


def page(lang: str, province: str, updated, published: pd.DataFrame) -> list:
    other = "en" if lang == "vi" else "vi"
    header = html.Header([
        html.Div([
            html.Div("IOC", className="pub-emblem", **{"aria-hidden": "true"}),
            html.Div([html.H1(t("pub_title", lang), className="pub-title"),
                      html.Div(t("pub_province", lang, name=province), className="pub-subtitle")]),
        ], className="pub-brand"),
        html.A(t("pub_language", lang), href=f"/public/?lang={other}", className="pub-lang", id="pub-lang-switch",
               lang=other),
    ], className="pub-header")
    intro = html.P([t("pub_intro", lang), " ", html.Strong(t("pub_updated", lang, day=day(updated, lang)))
                    if updated is not None else None], className="pub-intro", id="pub-intro")
    if published.empty:
        return [header, html.Main([intro, html.P(t("pub_nothing", lang), className="pub-empty", id="pub-nothing")],
                                  className="pub-main")]
    catalog = published.drop_duplicates("indicator_code").sort_values(["sector", "indicator_code"])
    options = [{"label": indicator_name(row, lang), "value": row["indicator_code"]} for _, row in catalog.iterrows()]
    return [header, html.Main([
        intro,
        html.Section([html.H2(t("pub_highlights", lang), className="pub-section-title"),
                      html.Div(id="pub-tiles", className="pub-tiles")], **{"aria-labelledby": "pub-tiles"}),
        html.Div([
            html.Label([t("pub_indicator", lang),
                        dcc.Dropdown(id="pub-code", options=options, value=options[0]["value"], clearable=False,
                                     searchable=True, className="pub-select")], className="pub-grow"),
            html.Label([t("pub_period", lang), dcc.Dropdown(id="pub-period", clearable=False, searchable=False,
                                                            className="pub-select")]),
            html.Button(t("pub_download", lang), id="pub-export", className="pub-button"),
        ], className="pub-filters"),
        html.Div(id="pub-view", className="pub-view", **{"aria-live": "polite"}),
        html.Footer(t("pub_footer", lang), className="pub-footer"),
    ], className="pub-main")]


def register(app: Dash, settings: Settings) -> None:
    geojson = boundaries(settings.province_code, settings.geo.boundaries)
    approximate = any(f["properties"].get("approximate") for f in geojson["features"])
    province = resolve_province(settings.province_code).short_name
    url = settings.database_url

    def read(code: str | None = None, level: str | None = None) -> pd.DataFrame:
        with session_scope(opdb_engine(url)) as db:
            return public_store.published(db, code, level)

    app.clientside_callback("function(s) { return window.innerWidth; }",
                            Output("pub-viewport", "data"), Input("pub-url", "search"))

    @app.callback(Output("pub-page", "children"), Output("pub-lang", "data"), Input("pub-url", "search"))
    def route(search: str | None):
        lang = _lang(search)
        with session_scope(opdb_engine(url)) as db:
            updated = public_store.last_publication(db)
        return page(lang, province, updated, read(level="province")), lang

    @app.callback(Output("pub-code", "value"), Input({"type": "pub-tile", "code": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def pick_tile(clicks: list):
        if not ctx.triggered_id or not any(clicks):
            return no_update
        code = ctx.triggered_id["code"]
        return code if code in set(read(level="province")["indicator_code"]) else no_update

    @app.callback(Output("pub-period", "options"), Output("pub-period", "value"), Output("pub-tiles", "children"),
                  Input("pub-code", "value"), State("pub-period", "value"), State("pub-lang", "data"))
    def pick_period(code: str | None, period: str | None, lang: str | None):
        lang = lang or "vi"
        province_rows = read(level="province")
        rows = province_rows[province_rows["indicator_code"] == code].sort_values("period_start", ascending=False)
        periods = rows["period"].tolist()
        options = [{"label": period_label(p, lang), "value": p} for p in periods]
        chosen = period if period in periods else next(iter(periods), None)
        return options, chosen, tiles(province_rows, code, lang, province)

    @app.callback(Output("pub-view", "children"), Input("pub-code", "value"), Input("pub-period", "value"),
                  State("pub-lang", "data"), State("pub-viewport", "data"))
    def show(code: str | None, period: str | None, lang: str | None, width: int | None):
        lang = lang or "vi"
        if not code or not period:
            return None
        return figure_view(read(code), period, lang, max(13, font_px(width)), geojson, approximate, province,
                           PREFIX)

    @app.callback(Output("pub-download", "data"), Input("pub-export", "n_clicks"), State("pub-code", "value"),
                  State("pub-period", "value"), State("pub-lang", "data"), prevent_initial_call=True)
    def export(_n, code: str | None, period: str | None, lang: str | None):
        lang = lang or "vi"
        rows = read(code)
        in_period = rows[rows["period"] == period]
        if in_period.empty:
            return no_update
        first = in_period.iloc[0]
        title = f"{indicator_name(first, lang)} ({first['unit']}) · {period_label(period, lang)}"
        return table_download(table_rows(rows, period, lang), title, source_line(first, lang, province),
                              f"{code}_{period}", "csv")
