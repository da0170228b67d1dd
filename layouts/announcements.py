"""Maintenance announcements (administrators): set one (text in Vietnamese and English, planned
start and end) at least 24 hours ahead, see those set, withdraw one. Every change is audited."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask_login import current_user

from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.opdb.announcements import MAX_TEXT, AnnouncementRefused, announce, recent, withdraw
from ioc_app.opdb.models import Announcement
from ioc_app.opdb.session import session_scope
from ioc_app.web.access import require_role
from ioc_app.web.i18n import t, when
from ioc_app.web.opdb import opdb_engine
from ioc_app.web.query_cache import QueryCache
from layouts.tables import table

ROLES = ("admin",)
SHOWN = 20
TIME_FORMATS = ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")
TYPED = "%d/%m/%Y %H:%M"


def parse_time(text: str | None) -> datetime | None:
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime((text or "").strip(), pattern)
        except ValueError:
            continue
    return None


def _suggested_window(now: datetime) -> tuple[datetime, datetime]:
    """The first whole hour at least 25 hours ahead, for two hours: the admin only adjusts it."""
    start = (now + timedelta(hours=26)).replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=2)


def layout(lang: str) -> html.Div:
    start, end = _suggested_window(now_ict())

    def field(label_key: str, control) -> html.Label:
        return html.Label([html.Span(t(label_key, lang), className="ioc-field-label"), control],
                          className="ann-field")

    return html.Div([
        dcc.Store(id="ann-version", data=0),
        html.H1(t("announcements", lang), className="ioc-page-title"),
        html.Section([
            html.H2(t("ann_new", lang), className="ioc-panel-title"),
            html.P(t("ann_rule", lang), className="ioc-note"),
            html.Div([
                field("ann_text_vi", dcc.Textarea(id="ann-text-vi", maxLength=MAX_TEXT, className="form-control")),
                field("ann_text_en", dcc.Textarea(id="ann-text-en", maxLength=MAX_TEXT, className="form-control")),
            ], className="ioc-two"),
            html.Div([
                field("ann_start", dcc.Input(id="ann-start", type="text", value=start.strftime(TYPED),
                                             className="form-control")),
                field("ann_end", dcc.Input(id="ann-end", type="text", value=end.strftime(TYPED),
                                           className="form-control")),
                html.Button(t("ann_submit", lang), id="ann-submit", n_clicks=0, className="btn btn-primary"),
            ], className="ann-times"),
            html.Div(id="ann-result", role="status", **{"aria-live": "polite"}),
        ], className="ioc-panel"),
        html.Section([html.H2(t("ann_list", lang), className="ioc-panel-title"), html.Div(id="ann-list")],
                     className="ioc-panel"),
    ], className="ioc-stack")


def _state(item: Announcement, now: datetime) -> str:
    if item.withdrawn_at is not None:
        return "withdrawn"
    if item.ends_at <= now:
        return "ended"
    return "live" if item.starts_at <= now else "upcoming"


def _refused(refused: AnnouncementRefused, lang: str) -> str:
    params = {key: when(value, lang) if isinstance(value, datetime) else value for key, value in refused.params.items()}
    return t(refused.key, lang, **params)


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    def engine():
        return opdb_engine(settings.database_url)

    @app.callback(Output("ann-result", "children"), Output("ann-version", "data"),
                  Input("ann-submit", "n_clicks"), Input({"type": "ann-withdraw", "id": ALL}, "n_clicks"),
                  State("ann-text-vi", "value"), State("ann-text-en", "value"), State("ann-start", "value"),
                  State("ann-end", "value"), State("ann-version", "data"),
                  prevent_initial_call=True)
    def change(_submit, withdraw_clicks: list[int | None], text_vi: str | None, text_en: str | None,
               start_text: str | None, end_text: str | None, version: int | None):
        require_role(*ROLES)
        lang, now = lang_of(), now_ict()
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and not any(withdraw_clicks):
            return no_update, no_update  # the list was redrawn, nothing was clicked
        try:
            with session_scope(engine()) as session:
                if isinstance(trigger, dict):
                    withdraw(session, current_user.username, int(trigger["id"]), now)
                    message = t("ann_withdrawn_ok", lang)
                else:
                    start, end = parse_time(start_text), parse_time(end_text)
                    for key, typed, value in (("ann_start", start_text, start), ("ann_end", end_text, end)):
                        if value is None:
                            return html.Div(t("ann_bad_time", lang, field=t(key, lang), value=typed or ""),
                                            className="alert alert-danger", id="ann-error"), no_update
                    stored = announce(session, current_user.username, text_vi or "", text_en or "", start, end, now)
                    message = t("ann_saved", lang, end=when(stored.ends_at, lang))
        except AnnouncementRefused as refused:
            return html.Div(_refused(refused, lang), className="alert alert-danger", id="ann-error"), no_update
        return html.Div(message, className="alert alert-success", id="ann-ok"), (version or 0) + 1

    @app.callback(Output("ann-list", "children"), Input("ann-version", "data"))
    def listing(_):
        require_role(*ROLES)
        lang, now = lang_of(), now_ict()
        with session_scope(engine()) as session:
            items = recent(session, SHOWN)
        rows = []
        for item in items:
            state = _state(item, now)
            rows.append({"when": t("ann_when", lang, start=when(item.starts_at, lang), end=when(item.ends_at, lang)),
                         "text": item.text_vi if lang == "vi" else item.text_en, "by": item.created_by,
                         "state": t(f"ann_state_{state}", lang),
                         "action": html.Button(t("ann_withdraw", lang), id={"type": "ann-withdraw", "id": item.id},
                                               n_clicks=0, className="btn btn-sm btn-outline-light")
                         if state in ("upcoming", "live") else None})
        return table(rows, [
            ("when", t("ann_col_when", lang), None),
            ("text", t("ann_col_text", lang), None),
            ("by", t("ann_col_by", lang), None),
            ("state", t("ann_col_state", lang), None),
            ("action", "", None),
        ], "ann-table", t("ann_none", lang))
