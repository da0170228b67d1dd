"""The audit log (administrators): search by user, action, entity, id, dates and text in the
old/new values, newest first, page by page, each change shown as old -> new per key; and a
button that verifies the log's hash chain and every report's signature."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html

from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.opdb.session import session_scope
from ioc_app.web.access import require_role
from ioc_app.web.i18n import number, t, when
from ioc_app.web.opdb import opdb_engine
from ioc_app.web.query_cache import QueryCache
from ioc_app.writeback.audit_search import AuditFilter, changes, choices, search
from ioc_app.writeback.integrity import verify_all
from ioc_app.writeback.signing import Signer
from layouts.tables import table

ROLES = ("admin",)


def layout(lang: str) -> html.Div:
    def field(label_key: str, control) -> html.Label:
        return html.Label([t(label_key, lang), control])

    return html.Div([
        dcc.Store(id="au-page", data=0),
        html.H1(t("audit", lang), className="ioc-page-title"),
        html.Section([
            html.Div([
                html.Button(t("audit_verify", lang), id="au-verify", className="btn btn-sm btn-outline-light"),
                html.Span(t("audit_verify_help", lang), className="ioc-note"),
            ], className="au-verify"),
            html.Div(id="au-verify-result", role="status", **{"aria-live": "polite"}),
        ], className="ioc-panel"),
        html.Div([
            field("audit_user", dcc.Input(id="au-user", type="text", debounce=True, className="form-control")),
            field("audit_action", dcc.Dropdown(id="au-action", className="ioc-select",
                                               placeholder=t("audit_any", lang))),
            field("audit_entity", dcc.Dropdown(id="au-entity", className="ioc-select",
                                               placeholder=t("audit_any", lang))),
            field("audit_entity_id", dcc.Input(id="au-entity-id", type="text", debounce=True,
                                               className="form-control")),
            field("audit_dates", dcc.DatePickerRange(
                id="au-dates", display_format="DD/MM/YYYY", clearable=True,
                start_date_placeholder_text=t("audit_from", lang), end_date_placeholder_text=t("audit_to", lang))),
            html.Label([t("audit_text", lang), dcc.Input(id="au-text", type="text", debounce=True,
                                                         className="form-control")], className="ioc-grow"),
            html.Button(t("audit_search", lang), id="au-search", className="btn btn-sm btn-primary"),
        ], className="ioc-filters au-filters"),
        html.Section([
            html.Div([
                html.Button(t("audit_prev", lang), id="au-prev", className="btn btn-sm btn-outline-light"),
                html.Span(id="au-page-label"),
                html.Button(t("audit_next", lang), id="au-next", className="btn btn-sm btn-outline-light"),
            ], className="au-pager ioc-actions"),
            html.Div(id="au-results"),
        ], className="ioc-panel"),
    ], className="ioc-stack ioc-audit")


def _shown(value: Any) -> str:
    if value is None:
        return "∅"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def change_list(old_value: str | None, new_value: str | None) -> html.Ul:
    return html.Ul([
        html.Li([html.Code(key + ": ") if key else None, html.Code(_shown(old), className="au-old"), " → ",
                 html.Code(_shown(new), className="au-new")])
        for key, old, new in changes(old_value, new_value)
    ], className="au-changes")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    def engine():
        return opdb_engine(settings.database_url)

    @app.callback(Output("au-action", "options"), Output("au-entity", "options"), Input("url", "pathname"))
    def lists(_):
        require_role(*ROLES)
        with session_scope(engine()) as session:
            actions, entities = choices(session)
        return actions, entities

    @app.callback(Output("au-results", "children"), Output("au-page-label", "children"), Output("au-page", "data"),
                  Input("au-search", "n_clicks"), Input("au-prev", "n_clicks"), Input("au-next", "n_clicks"),
                  Input("au-user", "value"), Input("au-action", "value"), Input("au-entity", "value"),
                  Input("au-entity-id", "value"), Input("au-dates", "start_date"), Input("au-dates", "end_date"),
                  Input("au-text", "value"), State("au-page", "data"))
    def results(_search, _prev, _next, user: str | None, action: str | None, entity: str | None,
                entity_id: str | None, since: str | None, until: str | None, text: str | None, page: int | None):
        require_role(*ROLES)
        lang = lang_of()
        step = {"au-prev": -1, "au-next": 1}.get(ctx.triggered_id, None)
        wanted_page = (page or 0) + step if step is not None else 0
        wanted = AuditFilter(user=user, action=action, entity=entity, entity_id=entity_id, since=_day(since),
                             until=_day(until), text=text)
        with session_scope(engine()) as session:
            found = search(session, wanted, wanted_page)
            rows = [{"at": e.at, "username": e.username, "action": e.action, "entity": e.entity,
                     "entity_id": e.entity_id or "", "change": change_list(e.old_value, e.new_value)}
                    for e in found.entries]
        shown = table(rows, [
            ("at", t("audit_col_at", lang), lambda at: when(at, lang)),
            ("username", t("audit_user", lang), None),
            ("action", t("audit_action", lang), lambda a: html.Code(a)),
            ("entity", t("audit_entity", lang), None),
            ("entity_id", t("audit_entity_id", lang), None),
            ("change", t("audit_col_changes", lang), None),
        ], "au-table", t("audit_none", lang))
        label = t("audit_page_of", lang, page=number(found.page + 1, lang), pages=number(found.pages, lang),
                  total=number(found.total, lang))
        return shown, label, found.page

    @app.callback(Output("au-verify-result", "children"), Input("au-verify", "n_clicks"), prevent_initial_call=True)
    def verify(_):
        require_role(*ROLES)
        lang = lang_of()
        with session_scope(engine()) as session:
            problem = verify_all(session, Signer.for_settings(settings))
        if problem is None:
            return html.P(t("audit_verify_ok", lang, time=when(now_ict(), lang)), className="au-verify-ok",
                          id="au-verify-ok")
        return html.P(t("audit_verify_broken", lang, problem=problem), className="au-verify-broken",
                      id="au-verify-broken")
