"""The download buttons of one open report (entry and approvals pages): one callback shape for both."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from sqlalchemy.orm import Session

from ioc_app.errors import IocError
from ioc_app.opdb.session import session_scope
from ioc_app.web.access import require_role
from ioc_app.web.callback_inputs import check_value
from ioc_app.web.i18n import t
from ioc_app.web.opdb import current_actor
from ioc_app.writeback.report_file import file_name, report_file

# the open report's store data -> (unit code, regime code, period code)
ReportOf = Callable[[Session, Any], tuple[str, str, str]]


def register_download(app: Dash, engine: Callable, lang_of: Callable[[], str], roles: tuple[str, ...], *,
                      buttons: dict[str, str], target: str, target_type: type, download: str, message: str,
                      report_of: ReportOf) -> None:
    """`buttons`: button id -> file format; `target`: the store of the open report, holding a
    `target_type`; the file goes to the dcc.Download `download`, a refusal to the `message` area."""

    @app.callback(Output(download, "data"), Output(message, "children", allow_duplicate=True),
                  *[Input(button, "n_clicks") for button in buttons], State(target, "data"),
                  prevent_initial_call=True)
    def send(*args: Any):  # the buttons' clicks, then the open report (checked below)
        require_role(*roles)
        lang, opened = lang_of(), args[-1]
        if not opened or ctx.triggered_id not in buttons:
            return no_update, no_update
        check_value(opened, target_type, f"{target}.data")
        fmt = buttons[ctx.triggered_id]
        try:
            with session_scope(engine()) as session:
                unit, regime, period = report_of(session, opened)
                content = report_file(session, current_actor(session), unit, regime, period, fmt, lang)
        except IocError as exc:
            return no_update, html.P(t("entry_error", lang, message=str(exc)), className="entry-error", role="alert")
        return dcc.send_bytes(content, file_name(unit, regime, period, fmt)), no_update
