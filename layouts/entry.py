"""Data entry (officers): what the unit has to report, and the figures grid of one report with
save, submit, Excel/CSV download and upload. Every change goes through the write-back services,
which check permissions, windows and figures themselves."""
from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic reads it on Python 3.11

from ioc_app.clock import today_ict
from ioc_app.config import Settings
from ioc_app.errors import ConflictError, IocError
from ioc_app.opdb.models import Unit
from ioc_app.opdb.session import session_scope
from ioc_app.queries.figure_history import previous_values, unit_history
from ioc_app.web.access import require_role
from ioc_app.web.i18n import t, when
from ioc_app.web.opdb import current_actor, opdb_engine
from ioc_app.web.query_cache import QueryCache
from ioc_app.writeback import entry as entry_service
from ioc_app.writeback import approval, upload, validation, windows
from ioc_app.writeback.problems import FiguresRefused
from ioc_app.writeback.signing import Signer
from layouts.entry_grid import Mark, cell_label, day, figures_grid, name_of, problems_list, upload_errors_table
from layouts.entry_grid import values_from_rows
from layouts.report_download import register_download
from layouts.tables import table

ROLES = ("officer",)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
GRID_ID = "entry-grid"
EXPLAIN = "entry-explain"


class ReportTarget(TypedDict):
    """The report `entry-target` names: unit code, regime code and period code."""
    unit: str
    regime: str
    period: str


def layout(lang: str) -> html.Div:
    return html.Div([
        dcc.Store(id="entry-target"),
        dcc.Store(id="entry-row-version"),
        dcc.Store(id="entry-loaded", data=0),
        dcc.Download(id="entry-download"),
        html.H1(t("entry", lang), className="ioc-page-title"),
        html.Section([html.H2(t("entry_due_title", lang), className="ioc-panel-title"),
                      html.P(t("entry_due_help", lang), className="ioc-note"),
                      html.Div(id="entry-due")], className="ioc-panel"),
        html.Section([
            html.Div(id="entry-head", children=html.P(t("entry_pick", lang), className="ioc-note")),
            html.Div(id="entry-message", role="status", **{"aria-live": "polite"}),
            html.Div([html.P(id="entry-conflict-text"),
                      html.Button(t("entry_reload", lang), id="entry-reload", className="btn btn-warning btn-sm")],
                     id="entry-conflict", className="entry-conflict", hidden=True, role="alert"),
            html.Div(id="entry-problems"),
            html.Div(id="entry-grid-area"),
            html.Div(id="entry-explain-area"),
            html.Div([
                html.Button(t("entry_save", lang), id="entry-save", className="btn btn-primary", disabled=True),
                dcc.ConfirmDialogProvider(
                    html.Button(t("entry_submit", lang), id="entry-submit", className="btn btn-success",
                                disabled=True),
                    id="entry-submit-confirm", message=t("entry_submit_confirm", lang)),
                html.Button(t("entry_download_xlsx", lang), id="entry-xlsx", className="btn btn-outline-light",
                            disabled=True),
                html.Button(t("entry_download_csv", lang), id="entry-csv", className="btn btn-outline-light",
                            disabled=True),
                dcc.Upload(html.Button(t("entry_upload", lang), className="btn btn-outline-light", id="entry-upload-button",
                                       disabled=True),
                           id="entry-upload", accept=".xlsx,.csv", max_size=MAX_UPLOAD_BYTES, multiple=False,
                           disabled=True, className="entry-upload"),
            ], className="entry-actions", id="entry-actions", hidden=True),
            html.P(t("entry_upload_help", lang), className="ioc-note", id="entry-upload-help", hidden=True),
            html.Div(id="entry-upload-errors"),
        ], className="ioc-panel entry-panel", id="entry-panel"),
    ], className="ioc-stack entry-page")


def _target_key(unit: str, regime: str, period: str) -> str:
    return f"{unit}|{regime}|{period}"


def _deadline_text(report, today: date, lang: str) -> str:
    left = (report.window.deadline - today).days
    if not report.open:
        return t("entry_closed", lang)
    if left > 0:
        return t("entry_days_left", lang, n=left)
    return t("entry_due_today", lang) if left == 0 else t("entry_open_exception", lang)


def status_text(session: Session, submission, lang: str) -> str:
    """draft / submitted, awaiting which unit / returned with the approver's comment / approved."""
    if submission is None:
        return t("entry_status_new", lang)
    if submission.status == "submitted":
        awaiting = session.get(Unit, submission.awaiting_unit_id) if submission.awaiting_unit_id else None
        return t("entry_status_submitted", lang, unit=awaiting.name if awaiting else "–")
    if submission.status == "returned":
        returns = [event for event in approval.events(session, submission.id) if event.action == "return"]
        return t("entry_status_returned", lang, comment=(returns[-1].comment if returns else None) or "–")
    return t(f"entry_status_{submission.status}", lang)


def lock_text(session: Session, grid, lang: str) -> str:
    """Why the officer cannot change the figures, and what to do about it, in the page's language."""
    submission = grid.submission
    if submission is not None and submission.status == "submitted":
        awaiting = session.get(Unit, submission.awaiting_unit_id) if submission.awaiting_unit_id else None
        return t("entry_locked_submitted", lang, at=when(submission.submitted_at, lang),
                 unit=awaiting.name if awaiting else "–")
    if submission is not None and submission.status == "approved":
        return t("entry_locked_approved", lang, at=when(submission.approved_at, lang))
    span = windows.window(grid.regime, grid.period)
    if today_ict() < span.opens_on:
        return t("entry_locked_not_open", lang, day=day(span.opens_on, lang))
    if today_ict() > span.deadline:
        return t("entry_locked_closed", lang, day=day(span.deadline, lang))
    return t("entry_locked", lang, reason=grid.why_locked)


def _due_table(session: Session, reports, today: date, lang: str) -> html.Table | html.P:
    rows = []
    for report in reports:
        status = report.submission.status if report.submission else "new"
        rows.append({
            "regime": name_of(report.regime, lang), "period": report.period.code,
            "deadline": f"{day(report.window.deadline, lang)} ({_deadline_text(report, today, lang)})",
            "status": html.Span(status_text(session, report.submission, lang),
                                className=f"entry-status entry-status-{status}"),
            "open": html.Button(t("entry_open", lang), className="btn btn-sm btn-outline-info",
                                id={"type": "entry-open",
                                    "key": _target_key(report.unit.code, report.regime.code, report.period.code)}),
        })
    return table(rows, [("regime", t("entry_col_regime", lang), None), ("period", t("entry_col_period", lang), None),
                        ("deadline", t("entry_col_deadline", lang), None), ("status", t("entry_col_status", lang), None),
                        ("open", "", None)], "entry-due-table", t("entry_nothing_due", lang))


def grid_marks(grid, unusual, lang: str) -> dict[tuple[str, str], list[Mark]]:
    """Cells to highlight: the approver's comments of the last return and unusual figures."""
    marks: dict[tuple[str, str], list[Mark]] = {}
    for comment in grid.comments:
        if comment.kind == "return":
            marks.setdefault((comment.indicator_code, comment.category_code), []).append(
                Mark("returned", t("entry_mark_returned", lang, who=comment.username, text=comment.text)))
    for problem in unusual:
        marks.setdefault((str(problem.row), str(problem.column)), []).append(
            Mark("unusual", t("entry_mark_unusual", lang, reason=problem.reason)))
    return marks


def _return_comments(grid, lang: str) -> html.Div | None:
    """The approver's cell comments as a list too: a tooltip alone is out of reach of the keyboard."""
    items = [html.Li([html.Strong(cell_label(grid.layout, (c.indicator_code, c.category_code), lang) + ": "),
                      t("entry_mark_returned", lang, who=c.username, text=c.text)])
             for c in grid.comments if c.kind == "return"]
    if not items:
        return None
    return html.Div([html.P(t("entry_returned_title", lang), className="entry-problems-title"), html.Ul(items)],
                    className="entry-problems", id="entry-return-comments")


def _explain_area(grid, unusual, editable: bool, lang: str) -> html.Div | None:
    if not unusual:
        return None
    given = {(c.indicator_code, c.category_code): c.text for c in grid.comments if c.kind == "outlier"}
    items = []
    for problem in unusual:
        cell = (str(problem.row), str(problem.column))
        box_id = {"type": EXPLAIN, "row": cell[0], "col": cell[1]}
        items.append(html.Div([
            html.Label([html.Strong(cell_label(grid.layout, cell, lang)), html.Span(" " + problem.reason)],
                       htmlFor=f"{EXPLAIN}-{cell[0]}-{cell[1]}"),
            dcc.Input(id=box_id, value=given.get(cell, ""), type="text", disabled=not editable,
                      placeholder=t("entry_explain_placeholder", lang), className="form-control form-control-sm",
                      debounce=False),
        ], className="entry-explain-item"))
    return html.Div([html.P(t("entry_explain_title", lang), className="entry-problems-title"), *items],
                    className="entry-explain")


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    def engine():
        return opdb_engine(settings.database_url)

    def history_of(grid):
        area = grid.unit.area_key
        if not area:
            return None
        codes = tuple(indicator.code for indicator in grid.layout.rows)
        return cache.run(unit_history, area, codes)

    @app.callback(Output("entry-due", "children"), Input("entry-loaded", "data"))
    def due(_):
        require_role(*ROLES)
        lang, today = lang_of(), today_ict()
        try:
            with session_scope(engine()) as session:
                reports = windows.due_reports(session, current_actor(session), today)
                return _due_table(session, reports, today, lang)
        except IocError as exc:
            return html.P(t("entry_error", lang, message=str(exc)), className="ioc-message")

    @app.callback(Output("entry-target", "data"), Input({"type": "entry-open", "key": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def pick(clicks: list[int | None]):
        require_role(*ROLES)
        key = ctx.triggered_id["key"] if ctx.triggered_id else None
        if not any(clicks) or not isinstance(key, str) or key.count("|") != 2:
            return no_update
        unit, regime, period = key.split("|", 2)
        return {"unit": unit, "regime": regime, "period": period}

    @app.callback(
        Output("entry-head", "children"), Output("entry-grid-area", "children"),
        Output("entry-explain-area", "children"), Output("entry-row-version", "data"),
        Output("entry-save", "disabled"), Output("entry-submit", "disabled"),
        Output("entry-upload", "disabled"), Output("entry-upload-button", "disabled"),
        Output("entry-xlsx", "disabled"), Output("entry-csv", "disabled"),
        Output("entry-message", "children", allow_duplicate=True),
        Output("entry-problems", "children", allow_duplicate=True),
        Output("entry-conflict", "hidden", allow_duplicate=True),
        Output("entry-upload-errors", "children", allow_duplicate=True),
        Output("entry-actions", "hidden"), Output("entry-upload-help", "hidden"),
        Input("entry-target", "data"), Input("entry-loaded", "data"), Input("entry-reload", "n_clicks"),
        prevent_initial_call=True,
    )
    def load(target: ReportTarget | None, _loaded, _reload):
        require_role(*ROLES)
        lang = lang_of()
        if not target:
            return (no_update,) * 16
        fresh = ctx.triggered_id in ("entry-target", "entry-reload")
        clear = (None, None, True, None) if fresh else (no_update,) * 4
        try:
            with session_scope(engine()) as session:
                grid = entry_service.load_grid(session, current_actor(session), target["unit"], target["regime"],
                                               target["period"])
                head = _head(session, grid, lang)
        except IocError as exc:
            message = html.P(t("entry_error", lang, message=str(exc)), className="ioc-message")
            return (message, None, None, None, True, True, True, True, True, True, *clear, True, True)
        history = history_of(grid)
        previous = previous_values(history, grid.period) if history is not None else {}
        unusual = (validation.unusual_values(grid.period, grid.values, history)
                   if history is not None and not history.empty else [])
        locked = not grid.editable
        table_ = figures_grid(GRID_ID, grid.layout, grid.values, lang, editable=grid.editable, history=previous,
                              marks=grid_marks(grid, unusual, lang))
        return (head, table_, _explain_area(grid, unusual, grid.editable, lang), grid.row_version,
                locked, locked, locked, locked, False, False, *clear, False, locked)

    def _head(session: Session, grid, lang: str) -> html.Div:
        status = grid.submission.status if grid.submission else "new"
        return html.Div([
            html.H2(f"{name_of(grid.regime, lang)} · {grid.period.code}", className="ioc-panel-title",
                    id="entry-title"),
            html.P([grid.unit.name, " · ", html.Span(status_text(session, grid.submission, lang),
                                                      className=f"entry-status entry-status-{status}",
                                                      id="entry-status")]),
            html.P(lock_text(session, grid, lang), className="entry-locked", id="entry-locked")
            if not grid.editable else html.P(t("entry_grid_help", lang), className="ioc-note"),
            _return_comments(grid, lang),
        ])

    def _explanations(states: list) -> dict[tuple[str, str], str]:
        found = {}
        for state in states:
            text = (state.get("value") or "").strip()
            if text:
                found[(state["id"]["row"], state["id"]["col"])] = text
        return found

    @app.callback(
        Output("entry-message", "children", allow_duplicate=True),
        Output("entry-problems", "children", allow_duplicate=True),
        Output("entry-conflict", "hidden", allow_duplicate=True),
        Output("entry-conflict-text", "children"),
        Output("entry-upload-errors", "children", allow_duplicate=True),
        Output("entry-loaded", "data"), Output("entry-row-version", "data", allow_duplicate=True),
        Input("entry-save", "n_clicks"), Input("entry-submit-confirm", "submit_n_clicks"),
        Input("entry-upload", "contents"),
        State("entry-upload", "filename"), State("entry-target", "data"), State(GRID_ID, "rowData"),
        State("entry-row-version", "data"), State({"type": EXPLAIN, "row": ALL, "col": ALL}, "value"),
        State("entry-loaded", "data"),
        prevent_initial_call=True,
    )
    def act(_save, _submit, contents: str | None, filename: str | None, target: ReportTarget | None,
            rows: list[dict] | None, row_version: int | None, _explained, loaded: int | None):
        """Save, submit or upload. The new row version goes straight to its store, so a Submit clicked
        right after Save (before the grid has reloaded) quotes the version just saved, not a stale one."""
        require_role(*ROLES)
        lang = lang_of()
        if not target or ctx.triggered_id is None:
            return (no_update,) * 7
        unit, regime, period = target["unit"], target["regime"], target["period"]
        stored_version = no_update
        try:
            if ctx.triggered_id == "entry-upload":
                if not contents:
                    return (no_update,) * 7
                content = base64.b64decode(contents.split(",", 1)[1])
                with session_scope(engine()) as session:
                    stored_version = upload.import_upload(session, current_actor(session), unit, regime, period,
                                                          filename, content, row_version).row_version
                done = t("entry_uploaded", lang, file=filename)
            elif ctx.triggered_id == "entry-save":
                with session_scope(engine()) as session:
                    actor = current_actor(session)
                    layout_ = entry_service.load_grid(session, actor, unit, regime, period).layout
                    stored_version = entry_service.save_draft(session, actor, unit, regime, period,
                                                              values_from_rows(layout_, rows), row_version).row_version
                done = t("entry_saved", lang)
            else:
                explained = next(state for state in ctx.states_list if isinstance(state, list))
                _save_and_submit(unit, regime, period, rows, row_version, _explanations(explained))
                done = t("entry_submitted", lang)
        except ConflictError as exc:
            return None, None, False, t("entry_conflict", lang, message=str(exc)), None, no_update, no_update
        except FiguresRefused as exc:
            if ctx.triggered_id == "entry-upload":
                return (None, None, True, no_update, upload_errors_table(exc.problems, lang, "entry-upload-table"),
                        no_update, no_update)
            with session_scope(engine()) as session:
                layout_ = entry_service.load_grid(session, current_actor(session), unit, regime, period).layout
            return (html.P(t("entry_refused", lang), className="entry-error"),
                    problems_list(exc.problems, layout_, lang, "entry-problem-list"), True, no_update, None, no_update,
                    no_update)
        except IocError as exc:
            return (html.P(t("entry_error", lang, message=str(exc)), className="entry-error", role="alert"),
                    None, True, no_update, None, no_update, no_update)
        return html.P(done, className="entry-ok"), None, True, no_update, None, (loaded or 0) + 1, stored_version

    def _save_and_submit(unit: str, regime: str, period: str, rows, row_version: int,
                         explanations: dict[tuple[str, str], str]) -> None:
        """Figures typed but not saved yet are saved first, so submit sends what the person sees."""
        with session_scope(engine()) as session:
            actor = current_actor(session)
            grid = entry_service.load_grid(session, actor, unit, regime, period)
            typed = values_from_rows(grid.layout, rows)
            if any(typed[cell] != grid.values.get(cell) for cell in typed):
                row_version = entry_service.save_draft(session, actor, unit, regime, period, typed,
                                                       row_version).row_version
        with session_scope(engine()) as session:
            entry_service.submit(session, current_actor(session), unit, regime, period, row_version,
                                 Signer.for_settings(settings), outlier_comments=explanations or None)

    register_download(app, engine, lang_of, ROLES, buttons={"entry-xlsx": "xlsx", "entry-csv": "csv"},
                      target="entry-target", target_type=ReportTarget, download="entry-download",
                      message="entry-message",
                      report_of=lambda _session, target: (target["unit"], target["regime"], target["period"]))
