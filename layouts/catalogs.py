"""Catalogs (administrators): one tab per catalog group, each catalog a table with an edit form,
and the form version editor. Every change goes through ioc_app.writeback.catalogs / forms,
which check the permission, validate and audit; their refusal is shown beside the form."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import dash_ag_grid as dag
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update
from typing_extensions import TypedDict  # pydantic reads it on Python 3.11

from ioc_app.config import Settings
from ioc_app.errors import IocError
from ioc_app.opdb.session import session_scope
from ioc_app.web.access import require_role
from ioc_app.web.i18n import t, when
from ioc_app.web.opdb import current_actor, opdb_engine
from ioc_app.web.query_cache import QueryCache
from ioc_app.writeback import catalogs, forms
from ioc_app.writeback.catalogs import CATALOGS, Field
from layouts.tables import table

ROLES = ("admin",)
TABS: dict[str, tuple[str, ...]] = {
    "units": ("unit",),
    "indicators": ("indicator", "indicator_target", "indicator_assignment"),
    "measure_units": ("measure_unit",),
    "disaggregations": ("disaggregation", "category"),
    "report_groups": ("report_group",),
    "sectors": ("sector",),
    "forms": ("form",),
    "regimes": ("regime", "regime_unit"),
}
FIRST_TAB = "units"
PAGE_SIZE = 15


class CatalogId(TypedDict):
    """The id of a catalog's pattern-matched components."""
    type: str
    catalog: str


def _tab_class(active: bool) -> str:
    return "cat-tab" + (" active" if active else "")


def layout(lang: str) -> html.Div:
    return html.Div([
        html.H1(t("catalogs", lang), className="ioc-page-title"),
        html.Div([html.Button(t(f"catalogs_tab_{tab}", lang), id={"type": "cat-tab", "tab": tab}, n_clicks=0,
                              className=_tab_class(tab == FIRST_TAB)) for tab in TABS],
                 className="cat-tabs", role="toolbar"),
        html.Div(id="cat-pane", className="ioc-stack"),
    ], className="ioc-stack")


# --- generic catalog panels -----------------------------------------------------------------


def _input(catalog: str, fld: Field, lang: str):
    ident = {"type": "cat-input", "catalog": catalog, "field": fld.name}
    if fld.kind in ("choice", "bool"):
        options = ([{"label": t("catalogs_yes", lang), "value": "true"},
                    {"label": t("catalogs_no", lang), "value": "false"}] if fld.kind == "bool"
                   else [{"label": choice, "value": choice} for choice in fld.choices])
        return dcc.Dropdown(id=ident, options=options, clearable=not fld.required, className="ioc-select")
    return dcc.Input(id=ident, type="text", className="form-control form-control-sm",
                     placeholder="YYYY-MM-DD" if fld.kind == "date" else None)


def _columns(catalog: str, lang: str) -> list[dict]:
    names = [fld.name for fld in CATALOGS[catalog].fields]
    if catalog == "unit":
        names = ["tree", *[name for name in names if name != "name"]]
    return [{"field": name, "headerName": t(f"catalogs_f_{name}", lang), "cellDataType": "text",
             **({"minWidth": 320} if name == "tree" else {})} for name in names]


def _grid_texts(lang: str) -> dict[str, str]:
    """AG Grid's own words (empty table, pagination) in the page's language."""
    return {key: t(f"catalogs_grid_{key}", lang) for key in ("noRowsToShow", "page", "of", "to", "filterOoo")}


def _panel(catalog: str, lang: str) -> html.Section:
    spec = CATALOGS[catalog]
    return html.Section([
        dcc.Store(id={"type": "cat-changed", "catalog": catalog}, data=0),
        html.H2(t(f"catalogs_c_{catalog}", lang), className="ioc-panel-title"),
        html.P(t("catalogs_help", lang), className="ioc-note"),
        dag.AgGrid(
            id={"type": "cat-grid", "catalog": catalog},
            columnDefs=_columns(catalog, lang),
            rowData=[],
            defaultColDef={"sortable": True, "filter": True, "resizable": True, "floatingFilter": True,
                           "suppressHeaderMenuButton": True},
            dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                              "enableClickSelection": True},
                             "pagination": True, "paginationPageSize": PAGE_SIZE,
                             "paginationPageSizeSelector": False, "domLayout": "autoHeight",
                             "animateRows": False, "localeText": _grid_texts(lang)},
            className="cat-grid",
            style={"width": "100%"},
        ),
        html.Div([html.Label([html.Span(t(f"catalogs_f_{fld.name}", lang)), _input(catalog, fld, lang)],
                             className="cat-field") for fld in spec.fields], className="cat-form"),
        html.Div([
            html.Button(t("catalogs_save", lang), id={"type": "cat-save", "catalog": catalog}, n_clicks=0,
                        className="btn btn-primary btn-sm"),
            html.Button(t("catalogs_new", lang), id={"type": "cat-new", "catalog": catalog}, n_clicks=0,
                        className="btn btn-outline-light btn-sm"),
            html.Button(t("catalogs_delete", lang), id={"type": "cat-delete", "catalog": catalog}, n_clicks=0,
                        className="btn btn-outline-danger btn-sm"),
            html.Div(id={"type": "cat-msg", "catalog": catalog}, role="status", className="cat-msg",
                     **{"aria-live": "polite"}),
        ], className="cat-actions"),
    ], className="ioc-panel", id=f"cat-panel-{catalog}")


def tree_rows(units: list[dict]) -> list[dict]:
    """Units depth first under their parents, each with `tree`: its name indented by its depth."""
    codes = {row["code"] for row in units}
    children: dict[str | None, list[dict]] = {}
    for row in units:
        parent = row["parent"] if row["parent"] in codes else None
        children.setdefault(parent, []).append(row)
    ordered: list[dict] = []
    todo = [(row, 0) for row in reversed(sorted(children.get(None, []), key=lambda r: r["code"]))]
    while todo:
        row, depth = todo.pop()
        ordered.append({**row, "tree": "\u2003" * depth + row["name"]})
        todo += [(child, depth + 1) for child in reversed(sorted(children.get(row["code"], []),
                                                                 key=lambda r: r["code"]))]
    return ordered


def _shown(value) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _grid_rows(session, catalog: str) -> list[dict]:
    found = [{name: _shown(value) for name, value in row.items()} for row in catalogs.rows(session, catalog)]
    return tree_rows(found) if catalog == "unit" else found


def _values(states: list[dict]) -> dict:
    return {state["id"]["field"]: state.get("value") for state in states}


def _key(catalog: str, values: dict) -> str:
    return "/".join(str(values.get(name) or "") for name in CATALOGS[catalog].key)


# --- form versions --------------------------------------------------------------------------


def _versions_panel(session, lang: str) -> html.Section:
    indicators = catalogs.rows(session, "indicator")
    categories = catalogs.rows(session, "category")
    name = "name_en" if lang == "en" else "name_vi"
    return html.Section([
        html.H2(t("catalogs_versions_title", lang), className="ioc-panel-title"),
        html.P(t("catalogs_versions_help", lang), className="ioc-note"),
        html.Label(t("catalogs_version_form", lang), htmlFor="cat-ver-form", className="cat-label"),
        dcc.RadioItems(id="cat-ver-form", options=_form_options(session), className="cat-choices cat-inline",
                       inputClassName="form-check-input", labelClassName="form-check-label"),
        html.Div([
            html.Fieldset([
                html.Legend(t("catalogs_version_rows", lang), className="cat-label"),
                dcc.Checklist(id="cat-ver-rows", value=[], className="cat-choices cat-scroll",
                              options=[{"label": f"{row['code']} — {row[name]}", "value": row["code"]}
                                       for row in indicators],
                              inputClassName="form-check-input", labelClassName="form-check-label"),
            ]),
            html.Fieldset([
                html.Legend(t("catalogs_version_columns", lang), className="cat-label"),
                dcc.Checklist(id="cat-ver-columns", value=[], className="cat-choices cat-scroll",
                              options=[{"label": f"{row['code']} — {row[name]} ({row['disaggregation_code']})",
                                        "value": row["code"]} for row in categories],
                              inputClassName="form-check-input", labelClassName="form-check-label"),
            ]),
        ], className="ioc-two"),
        html.Div([
            html.Label([html.Span(t("catalogs_version_from", lang)),
                        dcc.Input(id="cat-ver-from", type="text", placeholder="YYYY-MM-DD",
                                  className="form-control form-control-sm")], className="cat-field"),
            html.Button(t("catalogs_version_create", lang), id="cat-ver-create", n_clicks=0,
                        className="btn btn-primary btn-sm"),
            html.Div(id="cat-ver-msg", role="status", className="cat-msg", **{"aria-live": "polite"}),
        ], className="cat-actions"),
        html.Div(id="cat-ver-list"),
    ], className="ioc-panel", id="cat-panel-versions")


def _form_options(session) -> list[dict]:
    return [{"label": f"{row['code']} — {row['name_vi']}", "value": row["code"]}
            for row in catalogs.rows(session, "form")]


def _change_text(change: dict[str, list[str]], first: bool, lang: str) -> str:
    if first:
        return t("catalogs_first_version", lang)
    parts = []
    for side in ("rows", "columns"):
        label = t(f"catalogs_col_{side}", lang)
        for what in ("added", "removed"):
            if change[f"{side}_{what}"]:
                parts.append(f"{label} {t(f'catalogs_{what}', lang)}: {', '.join(change[f'{side}_{what}'])}")
    return "; ".join(parts) or t("catalogs_no_change", lang)


def _versions_table(session, form_code: str, lang: str):
    versions = forms.versions_of(session, form_code)
    rows = []
    for previous, version in zip([None, *versions[:-1]], versions):
        row_codes, column_codes = forms.codes(version)
        rows.append({"version": version.version, "valid_from": version.valid_from.isoformat(),
                     "rows": ", ".join(row_codes), "columns": ", ".join(column_codes),
                     "changes": _change_text(forms.changes(previous, version), previous is None, lang),
                     "created": f"{version.created_by}, {when(version.created_at, lang)}"})
    return table(list(reversed(rows)), [
        ("version", t("catalogs_col_version", lang), None),
        ("valid_from", t("catalogs_col_valid_from", lang), None),
        ("rows", t("catalogs_col_rows", lang), None),
        ("columns", t("catalogs_col_columns", lang), None),
        ("changes", t("catalogs_col_changes", lang), None),
        ("created", t("catalogs_col_created", lang), None),
    ], "cat-ver-table", t("catalogs_no_versions", lang))


def _error(text: str) -> html.Div:
    return html.Div(text, className="cat-error")


def _ok(text: str) -> html.Div:
    return html.Div(text, className="cat-ok")


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    def engine():
        return opdb_engine(settings.database_url)

    @app.callback(Output("cat-pane", "children"), Output({"type": "cat-tab", "tab": ALL}, "className"),
                  Input({"type": "cat-tab", "tab": ALL}, "n_clicks"))
    def show_tab(_):
        require_role(*ROLES)
        lang = lang_of()
        tab = ctx.triggered_id["tab"] if isinstance(ctx.triggered_id, dict) else FIRST_TAB
        panes = [_panel(catalog, lang) for catalog in TABS[tab]]
        if tab == "forms":
            with session_scope(engine()) as session:
                panes.append(_versions_panel(session, lang))
        return panes, [_tab_class(name == tab) for name in TABS]

    @app.callback(Output({"type": "cat-grid", "catalog": MATCH}, "rowData"),
                  Input({"type": "cat-changed", "catalog": MATCH}, "data"),
                  State({"type": "cat-changed", "catalog": MATCH}, "id"))
    def load_rows(_, ident: CatalogId):
        require_role(*ROLES)
        with session_scope(engine()) as session:
            current_actor(session)
            return _grid_rows(session, ident["catalog"])

    @app.callback(Output({"type": "cat-input", "catalog": MATCH, "field": ALL}, "value"),
                  Input({"type": "cat-grid", "catalog": MATCH}, "selectedRows"),
                  Input({"type": "cat-new", "catalog": MATCH}, "n_clicks"),
                  prevent_initial_call=True)
    def fill(selected: list[dict] | None, _):
        require_role(*ROLES)
        fields = [output["id"]["field"] for output in ctx.outputs_list]
        if ctx.triggered_id.get("type") == "cat-new" or not selected:
            return [None] * len(fields)
        return [selected[0].get(name) for name in fields]

    @app.callback(Output({"type": "cat-msg", "catalog": MATCH}, "children"),
                  Output({"type": "cat-changed", "catalog": MATCH}, "data"),
                  Input({"type": "cat-save", "catalog": MATCH}, "n_clicks"),
                  Input({"type": "cat-delete", "catalog": MATCH}, "n_clicks"),
                  State({"type": "cat-input", "catalog": MATCH, "field": ALL}, "value"),
                  State({"type": "cat-changed", "catalog": MATCH}, "data"),
                  prevent_initial_call=True)
    def write(_save, _delete, _values_list, changed: int | None):
        require_role(*ROLES)
        lang = lang_of()
        catalog, action = ctx.triggered_id["catalog"], ctx.triggered_id["type"]
        values = _values(ctx.states_list[0])
        key = _key(catalog, values)
        try:
            with session_scope(engine()) as session:
                actor = current_actor(session)
                if action == "cat-delete":
                    catalogs.delete(session, actor, catalog, {name: values.get(name) for name in
                                                              CATALOGS[catalog].key})
                    message = t("catalogs_deleted", lang, code=key)
                else:
                    changed_now = catalogs.save(session, actor, catalog, values)
                    message = t("catalogs_saved" if changed_now else "catalogs_unchanged", lang, code=key)
        except IocError as exc:
            return _error(str(exc)), no_update
        return _ok(message), (changed or 0) + 1

    @app.callback(Output("cat-ver-form", "options"),
                  Input({"type": "cat-changed", "catalog": "form"}, "data"), prevent_initial_call=True)
    def form_options(_):
        require_role(*ROLES)
        with session_scope(engine()) as session:
            return _form_options(session)

    @app.callback(Output("cat-ver-list", "children"), Output("cat-ver-msg", "children"),
                  Output("cat-ver-rows", "value"), Output("cat-ver-columns", "value"),
                  Input("cat-ver-form", "value"), Input("cat-ver-create", "n_clicks"),
                  State("cat-ver-rows", "value"), State("cat-ver-columns", "value"), State("cat-ver-from", "value"),
                  prevent_initial_call=True)
    def versions(form_code: str | None, _, rows: list[str] | None, columns: list[str] | None,
                 valid_from: str | None):
        require_role(*ROLES)
        lang = lang_of()
        if not form_code:
            return no_update, _error(t("catalogs_version_pick_form", lang)), no_update, no_update
        creating = ctx.triggered_id == "cat-ver-create"
        message = ""
        try:
            with session_scope(engine()) as session:
                actor = current_actor(session)
                if creating:
                    try:
                        start = date.fromisoformat((valid_from or "").strip())
                    except ValueError:
                        return no_update, _error(t("catalogs_version_bad_date", lang)), no_update, no_update
                    created = forms.create_version(session, actor, form_code, rows or [], columns or [], start)
                    message = _ok(t("catalogs_version_created", lang, version=created.version, form=form_code))
                listing = _versions_table(session, form_code, lang)
                newest = forms.versions_of(session, form_code)
        except IocError as exc:
            return no_update, _error(str(exc)), no_update, no_update
        if creating or not newest:
            return listing, message, no_update, no_update
        row_codes, column_codes = forms.codes(newest[-1])
        return listing, message, row_codes, column_codes
