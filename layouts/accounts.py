"""Accounts (administrators and unit admins): the accounts of the actor's reach, new accounts
with a password shown once, password resets, role changes, closing (never deleting) and
handovers to another person with their history. ioc_app.opdb.accounts checks every
permission and audits every change; the page only calls it."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from sqlalchemy.orm import Session

from ioc_app.clock import today_ict
from ioc_app.config import Settings
from ioc_app.errors import IocError
from ioc_app.opdb import accounts as service
from ioc_app.opdb.models import Unit, User
from ioc_app.opdb.session import session_scope
from ioc_app.opdb.users import name_of_role
from ioc_app.web.access import require_role
from ioc_app.web.i18n import t, when
from ioc_app.web.opdb import current_actor, opdb_engine
from ioc_app.web.query_cache import QueryCache
from layouts.desk import panel
from layouts.tables import table

ROLES = service.MANAGER_ROLES
ACTIONS = ("ac-create", "ac-reset", "ac-close", "ac-grant", "ac-handover")


def _field(label_key: str, control, lang: str, grow: bool = False) -> html.Label:
    return html.Label([t(label_key, lang), control], className="ioc-grow" if grow else None)


def _text(field_id: str) -> dcc.Input:
    return dcc.Input(id=field_id, type="text", className="form-control form-control-sm", maxLength=200)


def layout(lang: str) -> html.Div:
    return html.Div([
        dcc.Store(id="ac-changed", data=0),
        html.H1(t("accounts", lang), className="ioc-page-title"),
        html.P(id="ac-reach", className="ioc-note"),
        html.Div(id="ac-message", role="status", **{"aria-live": "polite"}),
        html.Div([
            panel(t("accounts_new", lang),
                  html.Div([
                      _field("accounts_username", _text("ac-new-username"), lang),
                      _field("accounts_full_name", _text("ac-new-full-name"), lang, grow=True),
                      _field("accounts_role", dcc.Dropdown(id="ac-new-role", clearable=False,
                                                           className="ioc-select"), lang),
                      _field("accounts_unit", dcc.Dropdown(id="ac-new-unit", className="ioc-select ioc-select-wide",
                                                           placeholder=t("accounts_no_unit", lang)), lang),
                  ], className="ioc-filters"),
                  html.Button(t("accounts_create", lang), id="ac-create", className="btn btn-sm btn-primary")),
            panel(t("accounts_act", lang),
                  _field("accounts_pick", dcc.Dropdown(id="ac-pick", className="ioc-select ioc-select-wide"), lang),
                  html.Div([
                      html.Button(t("accounts_reset", lang), id="ac-reset", className="btn btn-sm btn-outline-light"),
                      dcc.ConfirmDialogProvider(
                          html.Button(t("accounts_close", lang), className="btn btn-sm btn-outline-danger"),
                          id="ac-close", message=t("accounts_close_confirm", lang)),
                      dcc.Dropdown(id="ac-grant-role", clearable=False, className="ioc-select",
                                   placeholder=t("accounts_role", lang)),
                      html.Button(t("accounts_grant", lang), id="ac-grant", className="btn btn-sm btn-outline-light"),
                  ], className="ioc-actions ac-row"),
                  html.H3(t("accounts_handover", lang), className="ac-subtitle"),
                  html.Div([
                      _field("accounts_handover_to", _text("ac-to"), lang, grow=True),
                      _field("accounts_handover_on", dcc.DatePickerSingle(id="ac-on", display_format="DD/MM/YYYY"),
                             lang),
                  ], className="ioc-filters"),
                  _field("accounts_handover_reason", dcc.Textarea(id="ac-reason", maxLength=2000,
                                                                   className="form-control form-control-sm"), lang),
                  html.P(t("accounts_handover_help", lang), className="ioc-note"),
                  html.Button(t("accounts_handover_do", lang), id="ac-handover", className="btn btn-sm btn-warning")),
        ], className="ioc-two"),
        panel(t("accounts_list", lang), html.Div(id="ac-list", className="ioc-scroll")),
        panel(t("accounts_history", lang), html.Div(id="ac-history", className="ioc-scroll")),
    ], className="ioc-stack ioc-accounts")


def _unit_name(unit: Unit | None, lang: str) -> str:
    return f"{unit.name} ({unit.code})" if unit else t("accounts_no_unit", lang)


def _status(user: User, lang: str) -> str:
    if not user.is_active:
        return t("accounts_closed", lang, date=f"{user.closed_at:%d/%m/%Y}" if user.closed_at else "")
    return t("accounts_must_change", lang) if user.must_change_password else t("accounts_active", lang)


def account_table(session: Session, users: list[User], lang: str):
    rows = [{"username": u.username, "full_name": u.full_name or "", "role": name_of_role(session, u.role_code, lang),
             "unit": _unit_name(u.unit, lang), "status": _status(u, lang), "created": when(u.created_at, lang)}
            for u in users]
    return table(rows, [
        ("username", t("accounts_username", lang), lambda name: html.Code(name)),
        ("full_name", t("accounts_full_name", lang), None),
        ("role", t("accounts_role", lang), None),
        ("unit", t("accounts_unit", lang), None),
        ("status", t("accounts_col_status", lang), None),
        ("created", t("accounts_col_created", lang), None),
    ], "ac-table", t("accounts_none", lang))


def history_table(rows: list, lang: str):
    shown = [{"at": handover.recorded_at, "username": user.username, "from": handover.from_name or "–",
              "to": handover.to_name, "on": f"{handover.handed_over_on:%d/%m/%Y}", "reason": handover.reason,
              "by": handover.recorded_by} for handover, user in rows]
    return table(shown, [
        ("on", t("accounts_handover_on", lang), None),
        ("username", t("accounts_username", lang), lambda name: html.Code(name)),
        ("from", t("accounts_col_from", lang), None),
        ("to", t("accounts_col_to", lang), None),
        ("reason", t("accounts_handover_reason", lang), None),
        ("by", t("accounts_col_by", lang), None),
        ("at", t("accounts_col_at", lang), lambda at: when(at, lang)),
    ], "ac-history-table", t("accounts_no_handover", lang))


def _issued(issued: service.Issued, lang: str) -> html.Div:
    text = t("accounts_issued", lang, user="\x00", password="\x01")
    before, rest = text.split("\x00")
    middle, after = rest.split("\x01")
    return html.Div([before, html.Code(issued.username), middle,
                     html.Code(issued.password, id="ac-issued-password", className="ac-password"), after],
                    className="alert alert-info", id="ac-issued")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    def engine():
        return opdb_engine(settings.database_url)

    @app.callback(Output("ac-reach", "children"), Output("ac-list", "children"), Output("ac-history", "children"),
                  Output("ac-new-role", "options"), Output("ac-new-role", "value"), Output("ac-grant-role", "options"),
                  Output("ac-new-unit", "options"), Output("ac-new-unit", "value"), Output("ac-pick", "options"),
                  Output("ac-on", "date"),
                  Input("ac-changed", "data"))
    def lists(_):
        require_role(*ROLES)
        lang = lang_of()
        with session_scope(engine()) as session:
            actor = current_actor(session)
            users = service.accounts(session, actor)
            roles = [{"label": name_of_role(session, code, lang), "value": code}
                     for code in service.grantable_roles(actor)]
            units = [{"label": _unit_name(unit, lang), "value": unit.code}
                     for unit in service.units_for(session, actor)]
            picks = [{"label": f"{u.username} · {u.full_name or ''}", "value": u.username}
                     for u in users if u.is_active and u.username != actor.username]
            own = session.get(Unit, actor.unit_id) if actor.unit_id else None
            reach = (t("accounts_scope_all", lang) if actor.is_admin
                     else t("accounts_scope_unit", lang, unit=_unit_name(own, lang)))
            # a unit admin gives accounts in a unit they manage: their own unit comes first
            unit = None if actor.is_admin or not units else (own.code if own else units[0]["value"])
            return (reach, account_table(session, users, lang), history_table(service.handovers(session, actor), lang),
                    roles, roles[0]["value"], roles, units, unit, picks, today_ict().isoformat())

    @app.callback(Output("ac-message", "children"), Output("ac-changed", "data"),
                  Input("ac-create", "n_clicks"), Input("ac-reset", "n_clicks"), Input("ac-close", "submit_n_clicks"),
                  Input("ac-grant", "n_clicks"), Input("ac-handover", "n_clicks"),
                  State("ac-new-username", "value"), State("ac-new-full-name", "value"), State("ac-new-role", "value"),
                  State("ac-new-unit", "value"), State("ac-pick", "value"), State("ac-grant-role", "value"),
                  State("ac-to", "value"), State("ac-reason", "value"), State("ac-on", "date"),
                  State("ac-changed", "data"), prevent_initial_call=True)
    def act(_create, _reset, _close, _grant, _handover, username: str | None, full_name: str | None,
            role: str | None, unit: str | None, picked: str | None, grant_role: str | None, to_name: str | None,
            reason: str | None, on: str | None, changed: int | None):
        require_role(*ROLES)
        lang, action = lang_of(), ctx.triggered_id
        if action not in ACTIONS:
            return no_update, no_update
        if action != "ac-create" and not picked:
            return html.Div(t("accounts_pick_first", lang), className="alert alert-warning"), no_update
        try:
            with session_scope(engine()) as session:
                actor = current_actor(session)
                if action == "ac-create":
                    message = _issued(service.open_account(session, actor, username or "", role or "", unit,
                                                           full_name), lang)
                elif action == "ac-reset":
                    message = _issued(service.reset_account(session, actor, picked), lang)
                elif action == "ac-close":
                    service.close_account(session, actor, picked)
                    message = html.Div(t("accounts_closed_done", lang, user=picked), className="alert alert-success")
                elif action == "ac-grant":
                    user = service.grant_role(session, actor, picked, grant_role or "")
                    message = html.Div(t("accounts_granted", lang, user=picked,
                                         role=name_of_role(session, user.role_code, lang)),
                                       className="alert alert-success")
                else:
                    message = _issued(service.hand_over(session, actor, picked, to_name or "", reason or "",
                                                        _day(on)), lang)
        except (IocError, ValueError) as exc:
            return html.Div(t("accounts_refused", lang, reason=str(exc)), className="alert alert-danger",
                            id="ac-refused"), no_update
        return message, (changed or 0) + 1
