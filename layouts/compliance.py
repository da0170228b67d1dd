"""Reporting compliance (leaders, department heads, approvers, unit admins, admins): tiles for
the latest closed period, the per-unit table of a regime and period (CSV/Excel export), the
yearly ranking and what is still owed. Approvers and unit admins see the units of their
part of the tree; leaders and admins see every unit (the service applies the scope)."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update

from ioc_app.clock import today_ict
from ioc_app.config import Settings
from ioc_app.opdb.session import session_scope
from ioc_app.web.access import require_role
from ioc_app.web.i18n import number, percent, t, when
from ioc_app.web.opdb import current_actor, opdb_engine
from ioc_app.web.query_cache import QueryCache
from ioc_app.writeback import compliance as service
from layouts.desk import panel
from layouts.exports import Export, export_actions, register_export
from layouts.tables import table
from layouts.tiles import tile

ROLES = ("leader", "dept_head", "approver", "unit_admin", "admin")
# Okabe-Ito colours plus a distinct glyph per status: never colour alone.
BADGE = {"on_time": "✓", "late": "◷", "missing": "✕", "not_due": "…"}
YEARS_SHOWN = 3


def layout(lang: str) -> html.Div:
    return html.Div([
        html.H1(t("compliance", lang), className="ioc-page-title"),
        html.Div([
            html.Label([t("compliance_regime", lang),
                        dcc.Dropdown(id="cp-regime", clearable=False, className="ioc-select ioc-select-wide")],
                       className="ioc-grow"),
            html.Label([t("compliance_period", lang), dcc.Dropdown(id="cp-period", clearable=False,
                                                                   className="ioc-select")]),
            export_actions("cp-export", lang),
        ], className="ioc-filters"),
        html.Div(id="cp-tiles-note", className="ioc-note"),
        html.Section(id="cp-tiles", className="ioc-kpis"),
        panel(html.H2(id="cp-table-title", className="ioc-panel-title"), html.Div(id="cp-table", className="ioc-scroll")),
        html.Div([
            panel(t("compliance_ranking_title", lang),
                  html.Div([html.Label([t("compliance_year", lang),
                                        dcc.Dropdown(id="cp-year", clearable=False, className="ioc-select")])],
                           className="ioc-filters"),
                  html.P(t("compliance_ranking_note", lang), className="ioc-note"),
                  html.Div(id="cp-ranking", className="ioc-scroll")),
            panel(t("compliance_owed_title", lang), html.Div(id="cp-owed", className="ioc-scroll")),
        ], className="ioc-two"),
    ], className="ioc-stack ioc-compliance")


def status_badge(status: str, lang: str) -> html.Span:
    return html.Span([html.Span(BADGE[status], className="cp-glyph", **{"aria-hidden": "true"}),
                      t(f"compliance_status_{status}", lang)], className=f"cp-badge cp-{status}")


def _date(value) -> str:
    return "–" if value is None or pd.isna(value) else value.strftime("%d/%m/%Y")


def _time(value, lang: str) -> str:
    return "–" if value is None or pd.isna(value) else when(value, lang)


def _returns(count: int, lang: str):
    if not count:
        return "–"
    return html.Span(["↩ ", number(count, lang)], className="cp-badge cp-returned")


def unit_table(frame: pd.DataFrame, lang: str):
    return table(frame.to_dict("records"), [
        ("unit_code", t("compliance_col_code", lang), lambda code: html.Code(code)),
        ("unit_name", t("compliance_col_unit", lang), None),
        ("deadline", t("compliance_col_deadline", lang), _date),
        ("status", t("compliance_col_status", lang), lambda s: status_badge(s, lang)),
        ("submitted_at", t("compliance_col_submitted", lang), lambda v: _time(v, lang)),
        ("returns", t("compliance_col_returns", lang), lambda n: _returns(n, lang)),
        ("current", t("compliance_col_current", lang), lambda c: t(f"compliance_current_{c}", lang)),
    ], "cp-units-table", t("compliance_none", lang))


def summary_tiles(frame: pd.DataFrame, lang: str) -> list:
    total = len(frame)
    counts = frame["status"].value_counts()
    on_time, late, missing = (int(counts.get(s, 0)) for s in ("on_time", "late", "missing"))
    returned = int(frame["returned"].sum())
    units = t("compliance_units", lang)
    return [
        tile(t("compliance_on_time_rate", lang), percent(on_time / total if total else None, lang, 0),
             t("compliance_on_time_of", lang, n=number(on_time, lang), total=number(total, lang)),
             "ioc-good", "cp-tile-on-time"),
        tile(t("compliance_late_count", lang), number(late, lang), units, "ioc-warn" if late else "", "cp-tile-late"),
        tile(t("compliance_missing_count", lang), number(missing, lang), units, "ioc-alert" if missing else "",
             "cp-tile-missing"),
        tile(t("compliance_returned_count", lang), number(returned, lang), units, "", "cp-tile-returned"),
    ]


def ranking_table(frame: pd.DataFrame, lang: str):
    return table(frame.to_dict("records"), [
        ("rank", t("compliance_col_rank", lang), lambda n: number(n, lang)),
        ("unit_name", t("compliance_col_unit", lang), None),
        ("expected", t("compliance_col_expected", lang), lambda n: number(n, lang)),
        ("on_time_rate", t("compliance_col_on_time_rate", lang), lambda v: percent(v, lang, 0)),
        ("returns", t("compliance_col_returns", lang), lambda n: number(n, lang)),
        ("completeness", t("compliance_col_completeness", lang), lambda v: percent(v, lang, 0)),
    ], "cp-ranking-table", t("compliance_none", lang))


def _days_left(days: int, lang: str) -> html.Span:
    if days < 0:
        return html.Span(t("compliance_days_over", lang, n=number(-days, lang)), className="cp-badge cp-missing")
    key = "compliance_due_today" if days == 0 else "compliance_days_left"
    return html.Span(t(key, lang, n=number(days, lang)))


def owed_table(frame: pd.DataFrame, lang: str):
    return table(frame.to_dict("records"), [
        ("regime_code", t("compliance_col_regime", lang), lambda code: html.Code(code)),
        ("period_code", t("compliance_col_period", lang), None),
        ("unit_name", t("compliance_col_unit", lang), None),
        ("days_left", t("compliance_col_days_left", lang), lambda d: _days_left(d, lang)),
        ("state", t("compliance_col_state", lang), lambda s: t(f"compliance_owed_{s}", lang)),
    ], "cp-owed-table", t("compliance_none", lang))


def export_frame(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The per-unit table as exported: readable headers and statuses, one row per unit."""
    return pd.DataFrame({
        t("compliance_col_code", lang): frame["unit_code"],
        t("compliance_col_unit", lang): frame["unit_name"],
        t("compliance_col_deadline", lang): frame["deadline"],
        t("compliance_col_status", lang): [t(f"compliance_status_{s}", lang) for s in frame["status"]],
        t("compliance_col_submitted", lang): frame["submitted_at"],
        t("compliance_col_returns", lang): frame["returns"],
        t("compliance_col_current", lang): [t(f"compliance_current_{c}", lang) for c in frame["current"]],
    })


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    def engine():
        return opdb_engine(settings.database_url)

    @app.callback(Output("cp-regime", "options"), Output("cp-regime", "value"), Output("cp-year", "options"),
                  Output("cp-year", "value"), Input("url", "pathname"))
    def choices(_):
        require_role(*ROLES)
        lang, today = lang_of(), today_ict()
        with session_scope(engine()) as session:
            options = [{"label": f"{r.code} – {r.name_vi if lang == 'vi' else r.name_en}", "value": r.code}
                       for r in service.regimes(session)]
        years = [today.year - n for n in range(YEARS_SHOWN)]
        return (options, options[0]["value"] if options else None, [{"label": str(y), "value": y} for y in years],
                years[0])

    @app.callback(Output("cp-period", "options"), Output("cp-period", "value"), Input("cp-regime", "value"))
    def periods(regime_code: str | None):
        require_role(*ROLES)
        if not regime_code:
            return [], None
        today = today_ict()
        with session_scope(engine()) as session:
            codes = service.period_codes(session, regime_code, today)
            closed = service.latest_closed_period(session, regime_code, today)
        return [{"label": code, "value": code} for code in codes], closed or (codes[0] if codes else None)

    @app.callback(Output("cp-tiles", "children"), Output("cp-tiles-note", "children"),
                  Input("cp-regime", "value"))
    def tiles(regime_code: str | None):
        require_role(*ROLES)
        lang, today = lang_of(), today_ict()
        if not regime_code:
            return [], t("compliance_no_regime", lang)
        with session_scope(engine()) as session:
            closed = service.latest_closed_period(session, regime_code, today)
            if closed is None:
                return [], t("compliance_tiles_none", lang)
            frame = service.compliance(session, regime_code, closed, today, actor=current_actor(session))
        return summary_tiles(frame, lang), t("compliance_tiles_for", lang, period=closed)

    @app.callback(Output("cp-table", "children"), Output("cp-table-title", "children"),
                  Input("cp-regime", "value"), Input("cp-period", "value"))
    def units(regime_code: str | None, period_code: str | None):
        require_role(*ROLES)
        lang = lang_of()
        if not regime_code or not period_code:
            return html.P(t("compliance_none", lang), className="ioc-note"), ""
        with session_scope(engine()) as session:
            frame = service.compliance(session, regime_code, period_code, today_ict(), actor=current_actor(session))
        return unit_table(frame, lang), t("compliance_table_title", lang, regime=regime_code, period=period_code)

    @app.callback(Output("cp-ranking", "children"), Input("cp-year", "value"))
    def ranked(year: int | None):
        require_role(*ROLES)
        lang = lang_of()
        if not year:
            return no_update
        with session_scope(engine()) as session:
            frame = service.ranking(session, year, today_ict(), actor=current_actor(session))
        return ranking_table(frame, lang)

    @app.callback(Output("cp-owed", "children"), Input("url", "pathname"))
    def still_owed(_):
        require_role(*ROLES)
        with session_scope(engine()) as session:
            frame = service.owed(session, today_ict(), actor=current_actor(session))
        return owed_table(frame, lang_of())

    def export(regime_code: str | None, period_code: str | None) -> Export | None:
        if not regime_code or not period_code:
            return None
        lang, today = lang_of(), today_ict()
        with session_scope(engine()) as session:
            frame = service.compliance(session, regime_code, period_code, today, actor=current_actor(session))
        return (export_frame(frame, lang), t("compliance_export_title", lang, regime=regime_code, period=period_code),
                t("compliance_export_source", lang, day=today.strftime("%d/%m/%Y")),
                f"compliance_{regime_code}_{period_code}")

    register_export(app, "cp-export", [State("cp-regime", "value"), State("cp-period", "value")], export, ROLES)
