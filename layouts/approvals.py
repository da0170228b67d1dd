"""Approvals (approvers): the inbox of reports awaiting the approver's unit, one report with
what changed since its previous submission, approve / return with comments, bulk approval,
unapproval of approved reports and late-entry exceptions. The approval services check every
permission; the page only calls them."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic reads it on Python 3.11

from ioc_app.config import Settings
from ioc_app.errors import IocError
from ioc_app.opdb.models import Submission, Unit, User
from ioc_app.opdb.session import session_scope
from ioc_app.queries.figure_history import previous_values, unit_history
from ioc_app.web.access import require_role
from ioc_app.web.i18n import number, t, when
from ioc_app.web.opdb import current_actor, opdb_engine
from ioc_app.web.query_cache import QueryCache
from ioc_app.writeback import approval, validation, windows
from ioc_app.writeback import entry as entry_service
from ioc_app.writeback.chain import descendants, waiting_for
from layouts.entry_grid import Mark, cell_label, figure_text, figures_grid, name_of
from layouts.report_download import register_download
from layouts.tables import table

ROLES = ("approver",)
GRID_ID = "ap-grid"
TABS = ("inbox", "approved", "exceptions")


class OpenedReport(TypedDict):
    """`ap-open`: the submission on screen."""
    id: int


class CellComment(TypedDict):
    """One of `ap-cell-comments`: a cell ("row|column" codes) and the approver's comment on it."""
    cell: str
    text: str


def _tab_button(tab: str, lang: str, active: bool) -> html.Button:
    return html.Button(t(f"approvals_tab_{tab}", lang), id=f"ap-tab-{tab}", n_clicks=0,
                       className="ap-tab" + (" active" if active else ""), **{"aria-pressed": str(active).lower()})


def layout(lang: str) -> html.Div:
    return html.Div([
        dcc.Store(id="ap-open"),
        dcc.Store(id="ap-cell-comments", data=[]),
        dcc.Store(id="ap-columns", data=[]),
        dcc.Store(id="ap-changed", data=0),
        dcc.Download(id="ap-download"),
        html.H1(t("approvals", lang), className="ioc-page-title"),
        html.Div([_tab_button(tab, lang, tab == "inbox") for tab in TABS], className="ap-tabs", id="ap-tabs"),
        html.Div(id="ap-message", role="status", **{"aria-live": "polite"}),
        html.Div([
            html.Section([
                html.H2(t("approvals_inbox_title", lang), className="ioc-panel-title"),
                html.Div(id="ap-inbox"),
                html.Div([
                    dcc.Input(id="ap-bulk-comment", type="text", className="form-control form-control-sm",
                              placeholder=t("approvals_comment_optional", lang)),
                    html.Button(t("approvals_bulk", lang), id="ap-bulk", className="btn btn-success btn-sm"),
                ], className="ap-row"),
            ], className="ioc-panel"),
            html.Section(id="ap-detail", className="ioc-panel", hidden=True, children=[
                html.Div(id="ap-head"),
                html.Div(id="ap-grid-area"),
                html.Div(id="ap-explanations"),
                html.Div([
                    html.Div([
                        html.H3(t("approvals_approve_title", lang), className="ap-subtitle"),
                        dcc.Textarea(id="ap-approve-comment", className="form-control",
                                     placeholder=t("approvals_comment_optional", lang)),
                        html.Button(t("approvals_approve", lang), id="ap-approve", className="btn btn-success"),
                    ], className="ap-box"),
                    html.Div([
                        html.H3(t("approvals_return_title", lang), className="ap-subtitle"),
                        dcc.Textarea(id="ap-return-comment", className="form-control",
                                     placeholder=t("approvals_return_comment", lang)),
                        html.Label(t("approvals_cell", lang), htmlFor="ap-cell"),
                        html.Div([
                            dcc.Dropdown(id="ap-cell", className="ioc-select ap-cell-select", clearable=True),
                            dcc.Input(id="ap-cell-text", type="text", className="form-control form-control-sm",
                                      placeholder=t("approvals_cell_text", lang)),
                            html.Button(t("approvals_cell_add", lang), id="ap-cell-add",
                                        className="btn btn-outline-light btn-sm"),
                        ], className="ap-row"),
                        html.Ul(id="ap-cell-list", className="ap-cell-list"),
                        html.Button(t("approvals_return", lang), id="ap-return", className="btn btn-warning"),
                    ], className="ap-box"),
                ], className="ioc-two"),
                html.Div([
                    html.Button(t("approvals_pdf", lang), id="ap-pdf", className="btn btn-outline-light btn-sm"),
                    html.Button(t("entry_download_xlsx", lang), id="ap-xlsx", className="btn btn-outline-light btn-sm"),
                ], className="ap-row"),
                html.H3(t("approvals_history", lang), className="ap-subtitle"),
                html.Div(id="ap-events"),
            ]),
        ], id="ap-pane-inbox", className="ioc-stack"),
        html.Section([
            html.H2(t("approvals_approved_title", lang), className="ioc-panel-title"),
            html.Div(id="ap-approved"),
            html.Div([
                dcc.Dropdown(id="ap-unapprove-pick", className="ioc-select ap-cell-select",
                             placeholder=t("approvals_pick_report", lang)),
                dcc.Input(id="ap-unapprove-reason", type="text", className="form-control form-control-sm",
                          placeholder=t("approvals_reason", lang)),
                html.Button(t("approvals_unapprove", lang), id="ap-unapprove", className="btn btn-warning btn-sm"),
            ], className="ap-row"),
        ], id="ap-pane-approved", className="ioc-panel", hidden=True),
        html.Section([
            html.H2(t("approvals_exceptions_title", lang), className="ioc-panel-title"),
            html.P(t("approvals_exceptions_help", lang), className="ioc-note"),
            html.Div([
                html.Label([t("approvals_ex_unit", lang), dcc.Dropdown(id="ap-ex-unit", className="ioc-select")]),
                html.Label([t("approvals_ex_regime", lang),
                            dcc.Input(id="ap-ex-regime", type="text", className="form-control form-control-sm")]),
                html.Label([t("approvals_ex_period", lang),
                            dcc.Input(id="ap-ex-period", type="text", className="form-control form-control-sm")]),
                html.Label([t("approvals_ex_until", lang),
                            dcc.DatePickerSingle(id="ap-ex-until", display_format="DD/MM/YYYY",
                                                 first_day_of_week=1)]),
                html.Label([t("approvals_reason", lang),
                            dcc.Input(id="ap-ex-reason", type="text", className="form-control form-control-sm")]),
            ], className="ap-form"),
            html.Button(t("approvals_ex_grant", lang), id="ap-ex-grant", className="btn btn-primary btn-sm"),
        ], id="ap-pane-exceptions", className="ioc-panel", hidden=True),
    ], className="ioc-stack ap-page")


def _user_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.username if user else "–"


def _report_name(submission: Submission, lang: str) -> str:
    return f"{submission.unit.name} · {name_of(submission.regime, lang)} · {submission.period_code}"


def inbox_table(session: Session, submissions: list[Submission], lang: str) -> html.Table | html.P:
    rows = []
    for submission in submissions:
        waiting = len(waiting_for(session, submission.unit, submission.regime, submission.period_code))
        rows.append({
            "pick": dcc.Checklist(id={"type": "ap-pick", "id": submission.id},
                                  options=[{"label": t("approvals_select", lang), "value": submission.id}],
                                  value=[], className="ap-pick"),
            "unit": submission.unit.name, "regime": name_of(submission.regime, lang),
            "period": submission.period_code, "at": when(submission.submitted_at, lang),
            "by": _user_name(session, submission.submitted_by), "version": number(submission.version, lang),
            "waiting": html.Span(t("approvals_waiting", lang, n=waiting), className="entry-status entry-status-returned")
            if waiting else "",
            "open": html.Button(t("entry_open", lang), className="btn btn-sm btn-outline-info",
                                id={"type": "ap-open-report", "id": submission.id}),
        })
    return table(rows, [("pick", "", None), ("unit", t("approvals_col_unit", lang), None),
                        ("regime", t("entry_col_regime", lang), None), ("period", t("entry_col_period", lang), None),
                        ("at", t("approvals_col_at", lang), None), ("by", t("approvals_col_by", lang), None),
                        ("version", t("approvals_col_version", lang), None), ("waiting", "", None),
                        ("open", "", None)], "ap-inbox-table", t("approvals_inbox_empty", lang))


def events_table(session: Session, submission_id: int, lang: str) -> html.Table | html.P:
    rows = []
    for event in approval.events(session, submission_id):
        level = session.get(Unit, event.level_unit_id) if event.level_unit_id else None
        rows.append({"at": when(event.at, lang), "who": event.username,
                     "action": t(f"approvals_action_{event.action}", lang),
                     "level": level.name if level else "", "comment": event.comment or ""})
    return table(rows, [("at", t("approvals_col_at", lang), None), ("who", t("approvals_col_by", lang), None),
                        ("action", t("approvals_col_action", lang), None),
                        ("level", t("approvals_col_level", lang), None),
                        ("comment", t("approvals_col_comment", lang), None)], "ap-events-table", t("none", lang))


def review_marks(grid, changes, unusual, lang: str) -> dict[tuple[str, str], list[Mark]]:
    """Cells changed since the previous submission (with the old value), unusual figures with
    the officer's explanation."""
    explained = {(c.indicator_code, c.category_code): c.text for c in grid.comments if c.kind == "outlier"}
    marks: dict[tuple[str, str], list[Mark]] = {}
    for cell, (old, _new) in changes.items():
        marks.setdefault(cell, []).append(Mark("changed", t("entry_mark_changed", lang, old=figure_text(old, lang))))
    for problem in unusual:
        cell = (str(problem.row), str(problem.column))
        text = t("entry_mark_unusual", lang, reason=problem.reason)
        if cell in explained:
            text += "\n" + t("approvals_explained", lang, text=explained[cell])
        marks.setdefault(cell, []).append(Mark("unusual", text))
    return marks


def _explanations(grid, lang: str) -> html.Div | None:
    items = [html.Li([html.Strong(cell_label(grid.layout, (c.indicator_code, c.category_code), lang) + ": "), c.text])
             for c in grid.comments if c.kind == "outlier"]
    if not items:
        return None
    return html.Div([html.P(t("approvals_explanations", lang), className="entry-problems-title"), html.Ul(items)],
                    className="entry-explain", id="ap-explanation-list")


def _changes_list(grid, changes, lang: str) -> html.Div | None:
    """The changed cells as a list too (old -> new): the colours alone are out of reach of the keyboard."""
    if not changes:
        return None
    items = [html.Li([html.Strong(cell_label(grid.layout, cell, lang) + ": "),
                      t("approvals_change", lang, old=figure_text(old, lang), new=figure_text(new, lang))])
             for cell, (old, new) in changes.items()]
    return html.Div([html.P(t("approvals_changes_title", lang), className="entry-problems-title"), html.Ul(items)],
                    className="entry-explain", id="ap-change-list")


def _approved_text(session: Session, submission_id: int, lang: str) -> str:
    """What happens next: the next unit of the chain, or the dashboards."""
    submission = session.get(Submission, submission_id)
    if submission.status == "approved":
        return t("approvals_done_final", lang)
    return t("approvals_done_approve", lang, unit=session.get(Unit, submission.awaiting_unit_id).name)


def _message(text: str, ok: bool) -> html.P:
    return html.P(text, className="entry-ok" if ok else "entry-error", role="status" if ok else "alert")


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    def engine():
        return opdb_engine(settings.database_url)

    @app.callback(*[Output(f"ap-pane-{tab}", "hidden") for tab in TABS],
                  *[Output(f"ap-tab-{tab}", "className") for tab in TABS],
                  *[Output(f"ap-tab-{tab}", "aria-pressed") for tab in TABS],
                  *[Input(f"ap-tab-{tab}", "n_clicks") for tab in TABS], prevent_initial_call=True)
    def switch(*_):
        require_role(*ROLES)
        chosen = ctx.triggered_id.removeprefix("ap-tab-")
        return (*[tab != chosen for tab in TABS], *["ap-tab" + (" active" if tab == chosen else "") for tab in TABS],
                *[str(tab == chosen).lower() for tab in TABS])

    @app.callback(Output("ap-inbox", "children"), Output("ap-approved", "children"),
                  Output("ap-unapprove-pick", "options"), Output("ap-ex-unit", "options"),
                  Input("ap-changed", "data"))
    def lists(_):
        require_role(*ROLES)
        lang = lang_of()
        with session_scope(engine()) as session:
            actor = current_actor(session)
            inbox = inbox_table(session, approval.inbox(session, actor), lang)
            approved = approval.approved_by_me(session, actor)
            approved_rows = [{"report": _report_name(s, lang), "at": when(s.approved_at, lang),
                              "version": number(s.version, lang)} for s in approved]
            approved_table = table(approved_rows, [("report", t("approvals_col_report", lang), None),
                                                   ("at", t("approvals_col_approved_at", lang), None),
                                                   ("version", t("approvals_col_version", lang), None)],
                                   "ap-approved-table", t("none", lang))
            picks = [{"label": _report_name(s, lang), "value": s.id} for s in approved]
            below = [session.get(Unit, unit_id) for unit_id in descendants(session, actor.unit_id)] \
                if actor.unit_id else []
            units = [{"label": f"{unit.name} ({unit.code})", "value": unit.code}
                     for unit in sorted(below, key=lambda unit: unit.name)]
        return inbox, approved_table, picks, units

    @app.callback(Output("ap-open", "data"), Input({"type": "ap-open-report", "id": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def pick(clicks: list[int | None]):
        require_role(*ROLES)
        if not ctx.triggered_id or not any(clicks) or not isinstance(ctx.triggered_id["id"], int):
            return no_update
        return {"id": ctx.triggered_id["id"]}

    @app.callback(Output("ap-detail", "hidden"), Output("ap-head", "children"), Output("ap-grid-area", "children"),
                  Output("ap-explanations", "children"), Output("ap-events", "children"),
                  Output("ap-cell", "options"), Output("ap-cell-comments", "data", allow_duplicate=True),
                  Output("ap-columns", "data"), Input("ap-open", "data"), prevent_initial_call=True)
    def show(opened: OpenedReport | None):
        require_role(*ROLES)
        lang = lang_of()
        if not opened:
            return True, None, None, None, None, [], [], []
        try:
            with session_scope(engine()) as session:
                actor = current_actor(session)
                submission = session.get(Submission, opened["id"])
                if submission is None:
                    return True, None, None, None, None, [], [], []
                grid = entry_service.load_grid(session, actor, submission.unit.code, submission.regime_code,
                                               submission.period_code)
                changes = approval.changes_since_last_submission(session, submission.id)
                history_events = events_table(session, submission.id, lang)
                head = html.Div([
                    html.H2(_report_name(submission, lang), className="ioc-panel-title", id="ap-title"),
                    html.P(t("approvals_head", lang, version=submission.version,
                             at=when(submission.submitted_at, lang), n=len(changes)) if submission.version > 1
                           else t("approvals_head_first", lang, at=when(submission.submitted_at, lang)),
                           className="ioc-note"),
                    _changes_list(grid, changes, lang),
                    html.P(t("approvals_officer_comment", lang, text=submission.comment), className="ioc-note")
                    if submission.comment else None,
                ])
        except IocError as exc:
            return False, _message(t("entry_error", lang, message=str(exc)), False), None, None, None, [], [], []
        history = cache.run(unit_history, grid.unit.area_key, tuple(row.code for row in grid.layout.rows)) \
            if grid.unit.area_key else None
        previous = previous_values(history, grid.period) if history is not None else {}
        unusual = (validation.unusual_values(grid.period, grid.values, history)
                   if history is not None and not history.empty else [])
        grid_view = figures_grid(GRID_ID, grid.layout, grid.values, lang, editable=False, history=previous,
                                 marks=review_marks(grid, changes, unusual, lang))
        cells = [{"label": cell_label(grid.layout, (row.code, column.code), lang), "value": f"{row.code}|{column.code}"}
                 for row in grid.layout.rows for column in grid.layout.columns]
        return (False, head, grid_view, _explanations(grid, lang), history_events, cells, [],
                [column.code for column in grid.layout.columns])

    @app.callback(Output("ap-cell", "value"), Input(GRID_ID, "cellClicked"), State("ap-columns", "data"),
                  prevent_initial_call=True)
    def cell_from_grid(clicked: dict | None, columns: list[str] | None):
        """A click on a figure picks that cell for a comment (the dropdown does the same by keyboard)."""
        require_role(*ROLES)
        column = (clicked or {}).get("colId") or ""
        if not column.startswith("v") or clicked.get("rowId") is None or int(column[1:]) >= len(columns or []):
            return no_update
        return f"{clicked['rowId']}|{columns[int(column[1:])]}"

    @app.callback(Output("ap-cell-comments", "data"), Output("ap-cell-text", "value"),
                  Input("ap-cell-add", "n_clicks"), State("ap-cell", "value"), State("ap-cell-text", "value"),
                  State("ap-cell-comments", "data"), prevent_initial_call=True)
    def add_cell_comment(_, cell: str | None, text: str | None, comments: list[CellComment] | None):
        require_role(*ROLES)
        if not cell or not (text or "").strip():
            return no_update, no_update
        kept = [c for c in comments or [] if c["cell"] != cell]
        return kept + [{"cell": cell, "text": text.strip()}], ""

    @app.callback(Output("ap-cell-list", "children"), Input("ap-cell-comments", "data"), State("ap-cell", "options"))
    def list_cell_comments(comments: list[CellComment] | None, options: list[dict] | None):
        labels = {option["value"]: option["label"] for option in options or []}
        return [html.Li([html.Strong(labels.get(c["cell"], c["cell"]) + ": "), c["text"]]) for c in comments or []]

    @app.callback(Output("ap-message", "children"), Output("ap-changed", "data"), Output("ap-open", "data",
                                                                                         allow_duplicate=True),
                  Input("ap-approve", "n_clicks"), Input("ap-return", "n_clicks"), Input("ap-bulk", "n_clicks"),
                  Input("ap-unapprove", "n_clicks"), Input("ap-ex-grant", "n_clicks"),
                  State("ap-open", "data"), State("ap-approve-comment", "value"), State("ap-return-comment", "value"),
                  State("ap-cell-comments", "data"), State({"type": "ap-pick", "id": ALL}, "value"),
                  State("ap-bulk-comment", "value"), State("ap-unapprove-pick", "value"),
                  State("ap-unapprove-reason", "value"), State("ap-ex-unit", "value"), State("ap-ex-regime", "value"),
                  State("ap-ex-period", "value"), State("ap-ex-until", "value"), State("ap-ex-reason", "value"),
                  State("ap-changed", "data"), prevent_initial_call=True)
    def act(_a, _r, _b, _u, _g, opened: OpenedReport | None, approve_comment: str | None,
            return_comment: str | None, cell_comments: list[CellComment] | None, picked: list[list[int] | None],
            bulk_comment: str | None, unapprove_id: int | None, unapprove_reason: str | None, ex_unit: str | None,
            ex_regime: str | None, ex_period: str | None, ex_until: str | None, ex_reason: str | None,
            changed: int | None):
        require_role(*ROLES)
        lang, action = lang_of(), ctx.triggered_id
        opened_id = (opened or {}).get("id")
        still_open = no_update
        try:
            with session_scope(engine()) as session:
                actor = current_actor(session)
                if action == "ap-approve" and opened_id:
                    approval.approve(session, actor, opened_id, (approve_comment or "").strip() or None)
                    session.flush()
                    done, still_open = _approved_text(session, opened_id, lang), None
                elif action == "ap-return" and opened_id:
                    cells = {tuple(c["cell"].split("|", 1)): c["text"] for c in cell_comments or []}
                    approval.return_submission(session, actor, opened_id, (return_comment or "").strip(),
                                               cells or None)
                    done, still_open = t("approvals_done_return", lang), None
                elif action == "ap-bulk":
                    ids = [value for values in picked for value in values or []]
                    if not ids:
                        return _message(t("approvals_pick_some", lang), False), no_update, no_update
                    approval.bulk_approve(session, actor, ids, (bulk_comment or "").strip() or None)
                    done = t("approvals_done_bulk", lang, n=len(ids))
                    still_open = None if opened_id in ids else no_update
                elif action == "ap-unapprove" and unapprove_id:
                    approval.unapprove(session, actor, unapprove_id, (unapprove_reason or "").strip())
                    done = t("approvals_done_unapprove", lang)
                elif action == "ap-ex-grant":
                    until = datetime.combine(date.fromisoformat(ex_until), time(23, 59)) if ex_until else None
                    if not (ex_unit and ex_regime and ex_period and until):
                        return _message(t("approvals_ex_missing", lang), False), no_update, no_update
                    windows.grant_exception(session, actor, ex_unit, ex_regime.strip(), ex_period.strip(), until,
                                            ex_reason or "")
                    done = t("approvals_done_exception", lang, unit=ex_unit, until=when(until, lang))
                else:
                    return no_update, no_update, no_update
        except IocError as exc:
            return _message(t("entry_error", lang, message=str(exc)), False), no_update, no_update
        return _message(done, True), (changed or 0) + 1, still_open

    def report_of(session: Session, opened: OpenedReport) -> tuple[str, str, str]:
        submission = session.get(Submission, opened["id"])
        if submission is None:
            raise IocError(f"report {opened['id']} no longer exists")
        return submission.unit.code, submission.regime_code, submission.period_code

    register_download(app, engine, lang_of, ROLES, buttons={"ap-pdf": "pdf", "ap-xlsx": "xlsx"}, target="ap-open",
                      target_type=OpenedReport, download="ap-download", message="ap-message", report_of=report_of)
