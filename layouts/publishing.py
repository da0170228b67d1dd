"""Publishing (R-05, R-26): propose approved figures for the public dashboard, preview exactly
what the public will see, and, for the editorial board (role editor), publish or reject a
proposal with a comment, or take a published set off the public page with a reason. The
publishing service checks every permission and audits every step; the page only calls it."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from ioc_app.config import Settings
from ioc_app.errors import IocError
from ioc_app.geo import boundaries, resolve_province
from ioc_app.opdb.models import Publication
from ioc_app.opdb.session import session_scope
from ioc_app.publishing import service
from ioc_app.queries import indicators as iq
from ioc_app.queries import publishing as pq
from ioc_app.queries.scope import Scope
from ioc_app.web.access import has_role, require_role
from ioc_app.web.i18n import number, t, when
from ioc_app.web.opdb import current_actor, opdb_engine
from ioc_app.web.query_cache import QueryCache
from layouts.desk import panel
from layouts.public_views import figure_view, indicator_name, period_label, tiles
from layouts.tables import table

ROLES = tuple(dict.fromkeys((*service.PROPOSER_ROLES, *service.EDITOR_ROLES)))
PREFIX = "pm-prev"
PREVIEW_FONT = 13


def layout(lang: str) -> html.Div:
    editor = has_role(*service.EDITOR_ROLES)
    return html.Div([
        dcc.Store(id="pm-open"),
        dcc.Store(id="pm-changed", data=0),
        html.Div([
            html.H1(t("publishing", lang), className="ioc-page-title"),
            html.A(t("pubm_public_link", lang), href=f"/public/?lang={lang}", className="ioc-link", target="_blank"),
        ], className="ioc-panel-head"),
        html.P(t("pubm_editor_only", lang), className="ioc-note"),
        html.Div(id="pm-message", role="status", **{"aria-live": "polite"}),
        html.Div([
            panel(t("pubm_propose", lang), html.Div([
                html.Label([t("pubm_indicators", lang),
                            dcc.Dropdown(id="pm-indicators", multi=True, className="ioc-select")]),
                html.Label([t("pubm_periods", lang), dcc.Dropdown(id="pm-periods", multi=True, className="ioc-select")]),
                html.Fieldset([html.Legend(t("pubm_level", lang), className="pm-legend"), dcc.RadioItems(
                    id="pm-level", value="commune", className="dv-radio",
                    options=[{"label": t(f"pubm_level_{level}", lang), "value": level}
                             for level in ("province", "commune")])]),
                html.Label([t("pubm_title", lang), dcc.Input(id="pm-title", type="text", maxLength=300,
                                                             className="form-control form-control-sm")]),
                html.Label([t("pubm_note", lang), dcc.Textarea(id="pm-note", className="form-control")]),
                html.Button(t("pubm_submit", lang), id="pm-submit", className="btn btn-primary btn-sm"),
            ], className="pm-form"), extra="pm-propose"),
            panel(t("pubm_list", lang), html.Div(id="pm-list", className="ioc-scroll")),
        ], className="pm-top"),
        html.Section([
            html.H2(t("pubm_preview", lang), className="ioc-panel-title"),
            html.Div(id="pm-meta", className="ioc-note"),
            html.Div([
                html.Label([t("pub_indicator", lang), dcc.Dropdown(id="pm-prev-code", clearable=False,
                                                                   className="ioc-select")], className="ioc-grow"),
                html.Label([t("pub_period", lang), dcc.Dropdown(id="pm-prev-period", clearable=False,
                                                                className="ioc-select")]),
            ], className="ioc-filters"),
            html.Div(html.Div([html.Div(id="pm-prev-tiles", className="pub-tiles"),
                               html.Div(id="pm-prev-view", className="pub-view")], className="pub-main"),
                     className="pub-root pm-preview", id="pm-preview", hidden=True),
            html.Div([
                html.Label([t("pubm_comment", lang), dcc.Textarea(id="pm-comment", className="form-control")],
                           className="pm-comment"),
                html.Div([
                    html.Button(t("pubm_publish", lang), id="pm-publish", className="btn btn-success btn-sm"),
                    html.Button(t("pubm_reject", lang), id="pm-reject", className="btn btn-outline-warning btn-sm"),
                    html.Button(t("pubm_unpublish", lang), id="pm-unpublish", className="btn btn-outline-danger btn-sm"),
                ], className="ioc-actions"),
            ], className="pm-decide", hidden=not editor),
        ], className="ioc-panel pm-detail", id="pm-detail"),
    ], className="ioc-stack ioc-publishing")


def _message(text: str, ok: bool) -> html.P:
    return html.P(text, className="entry-ok" if ok else "entry-error", role="status" if ok else "alert")


def _status(publication: Publication, lang: str) -> str:
    return t(f"pubm_status_{publication.status}", lang)


def _decision(publication: Publication, lang: str) -> str:
    if publication.status == "unpublished":
        return f"{publication.unpublished_by} · {when(publication.unpublished_at, lang)} · {publication.unpublish_reason}"
    if publication.decided_by:
        comment = f" · {publication.decision_comment}" if publication.decision_comment else ""
        return f"{publication.decided_by} · {when(publication.decided_at, lang)}{comment}"
    return "–"


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    geojson = boundaries(settings.province_code, settings.geo.boundaries)
    approximate = any(f["properties"].get("approximate") for f in geojson["features"])
    province = resolve_province(settings.province_code).short_name
    scope = Scope(settings.province_code)
    url = settings.database_url

    def preview_rows(publication_id: int) -> pd.DataFrame:
        with session_scope(opdb_engine(url)) as db:
            publication = db.get(Publication, publication_id)
            rows = service.values(db, publication_id)
            published = publication.decided_at if publication and publication.status == "published" else None
        return rows.assign(published_at=published)

    @app.callback(Output("pm-indicators", "options"), Input("url", "pathname"))
    def indicator_options(pathname: str | None):
        if pathname != "/publishing":
            return no_update
        require_role(*ROLES)
        lang = lang_of()
        return [{"label": f"{row['indicator_code']} · {indicator_name(row, lang)}", "value": row["indicator_code"]}
                for _, row in cache.run(iq.catalog).iterrows()]

    @app.callback(Output("pm-periods", "options"), Output("pm-periods", "value"), Input("pm-indicators", "value"),
                  State("pm-periods", "value"))
    def period_options(codes: list[str] | None, chosen: list[str] | None):
        require_role(*ROLES)
        if not codes:
            return [], []
        lang = lang_of()
        periods = cache.run(pq.periods, tuple(codes))
        options = [{"label": f"{row['period']} · {period_label(row['period'], lang)}", "value": row["period"]}
                   for _, row in periods.iterrows()]
        known = set(periods["period"])
        return options, [p for p in chosen or [] if p in known]

    @app.callback(Output("pm-message", "children"), Output("pm-changed", "data"), Output("pm-open", "data"),
                  Input("pm-submit", "n_clicks"), State("pm-indicators", "value"), State("pm-periods", "value"),
                  State("pm-level", "value"), State("pm-title", "value"), State("pm-note", "value"),
                  State("pm-changed", "data"), prevent_initial_call=True)
    def propose(_n, codes: list[str] | None, periods: list[str] | None, level: str, title: str | None,
                note: str | None, changed: int):
        require_role(*service.PROPOSER_ROLES)
        lang = lang_of()
        codes, periods = sorted(codes or []), sorted(periods or [])
        figures = cache.run(pq.figures, scope, tuple(codes), tuple(periods), level)
        sources = cache.run(pq.sources, tuple(codes), tuple(periods))
        try:
            with session_scope(opdb_engine(url)) as db:
                publication = service.propose(db, current_actor(db), figures, sources, cache.snapshot(), level,
                                              note, title)
                done = t("pubm_proposed", lang, id=publication.id, n=number(len(publication.values), lang))
                opened = publication.id
        except IocError as exc:
            return _message(str(exc), False), no_update, no_update
        missing = service.missing_pairs(figures, codes, periods)
        if missing:
            done += t("pubm_missing", lang, pairs=", ".join(missing))
        return _message(done, True), changed + 1, opened

    @app.callback(Output("pm-list", "children"), Input("pm-changed", "data"), Input("url", "pathname"))
    def listing(_changed, pathname: str | None):
        if pathname != "/publishing":
            return no_update
        require_role(*ROLES)
        lang = lang_of()
        with session_scope(opdb_engine(url)) as db:
            rows = [{"id": p.id, "title": p.title, "status": _status(p, lang),
                     "by": f"{p.proposed_by} · {when(p.proposed_at, lang)}", "decision": _decision(p, lang)}
                    for p in service.publications(db)]
        return table(rows, [
            ("id", t("pubm_id", lang), lambda i: html.Button(f"{t('pubm_open', lang)} {i}", className="pm-open",
                                                           id={"type": "pm-open-btn", "id": i})),
            ("title", t("pubm_col_title", lang), None),
            ("status", t("pubm_status", lang), None),
            ("by", t("pubm_by", lang), None),
            ("decision", t("pubm_decision", lang), None),
        ], "pm-table", t("pubm_none", lang))

    @app.callback(Output("pm-open", "data", allow_duplicate=True), Input({"type": "pm-open-btn", "id": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def open_publication(clicks: list):
        require_role(*ROLES)
        if not ctx.triggered_id or not any(clicks) or not isinstance(ctx.triggered_id["id"], int):
            return no_update
        return ctx.triggered_id["id"]

    @app.callback(Output("pm-meta", "children"), Output("pm-prev-code", "options"), Output("pm-prev-code", "value"),
                  Input("pm-open", "data"), Input("pm-changed", "data"))
    def detail(publication_id: int | None, _changed):
        require_role(*ROLES)
        lang = lang_of()
        if publication_id is None:
            return t("pubm_pick", lang), [], None
        with session_scope(opdb_engine(url)) as db:
            publication = db.get(Publication, publication_id)
            if publication is None:
                return t("pubm_pick", lang), [], None
            meta = [html.Strong(f"{publication.id} · {publication.title} · {_status(publication, lang)}"), html.Br(),
                    t("pubm_meta", lang, n=number(len(publication.values), lang),
                      level=t(f"pubm_level_{publication.level}", lang), snapshot=publication.lake_snapshot,
                      digest=publication.digest[:12]),
                    html.Br() if publication.note else None, publication.note]
        rows = preview_rows(publication_id).drop_duplicates("indicator_code")
        options = [{"label": f"{row['indicator_code']} · {indicator_name(row, lang)}", "value": row["indicator_code"]}
                   for _, row in rows.iterrows()]
        return meta, options, next(iter(o["value"] for o in options), None)

    @app.callback(Output("pm-prev-period", "options"), Output("pm-prev-period", "value"),
                  Input("pm-prev-code", "value"), State("pm-open", "data"), State("pm-prev-period", "value"))
    def preview_periods(code: str | None, publication_id: int | None, period: str | None):
        require_role(*ROLES)
        if publication_id is None or not code:
            return [], None
        lang = lang_of()
        rows = preview_rows(publication_id)
        rows = rows[(rows["indicator_code"] == code) & (rows["level"] == "province")]
        periods = rows.sort_values("period_start", ascending=False)["period"].tolist()
        return ([{"label": period_label(p, lang), "value": p} for p in periods],
                period if period in periods else next(iter(periods), None))

    @app.callback(Output("pm-prev-tiles", "children"), Output("pm-prev-view", "children"),
                  Output("pm-preview", "hidden"), Input("pm-prev-code", "value"), Input("pm-prev-period", "value"),
                  State("pm-open", "data"))
    def preview(code: str | None, period: str | None, publication_id: int | None):
        require_role(*ROLES)
        if publication_id is None or not code or not period:
            return None, None, True
        lang = lang_of()
        rows = preview_rows(publication_id)
        return (tiles(rows[rows["level"] == "province"], code, lang, province),
                figure_view(rows[rows["indicator_code"] == code], period, lang, PREVIEW_FONT, geojson, approximate,
                            province, PREFIX), False)

    @app.callback(Output("pm-message", "children", allow_duplicate=True),
                  Output("pm-changed", "data", allow_duplicate=True), Output("pm-comment", "value"),
                  Input("pm-publish", "n_clicks"), Input("pm-reject", "n_clicks"), Input("pm-unpublish", "n_clicks"),
                  State("pm-open", "data"), State("pm-comment", "value"), State("pm-changed", "data"),
                  prevent_initial_call=True)
    def decide(_publish, _reject, _unpublish, publication_id: int | None, comment: str | None, changed: int):
        require_role(*service.EDITOR_ROLES)
        if publication_id is None:
            return no_update, no_update, no_update
        lang, action = lang_of(), ctx.triggered_id.removeprefix("pm-")
        try:
            with session_scope(opdb_engine(url)) as db:
                actor = current_actor(db)
                if action == "unpublish":
                    service.unpublish(db, actor, publication_id, comment)
                else:
                    service.decide(db, actor, publication_id, action == "publish", comment)
        except IocError as exc:
            return _message(str(exc), False), no_update, no_update
        return _message(t(f"pubm_done_{action}", lang, id=publication_id), True), changed + 1, ""
