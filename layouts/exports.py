"""Downloads of the tables behind the charts, as CSV or Excel, carrying their source and time."""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from openpyxl import Workbook
from openpyxl.styles import Font

from ioc_app.clock import now_ict
from ioc_app.web.callback_inputs import checker
from ioc_app.web.access import require_role
from ioc_app.web.i18n import t

MIME_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_download(frame: pd.DataFrame, title: str, source: str, name: str, fmt: str) -> dict:
    """A dcc.Download payload: the title, the source line and the export time above the table.

    CSV: those lines start with '#', then the table (UTF-8 with BOM so Excel reads Vietnamese);
    Excel: one sheet, the lines in bold above the table."""
    exported = f"{now_ict():%Y-%m-%d %H:%M} ICT"
    if fmt == "csv":
        head = "".join(f"# {line}\n" for line in (title, source, exported))
        body = frame.to_csv(index=False, lineterminator="\n")
        return dcc.send_bytes(("\ufeff" + head + body).encode("utf-8"), f"{name}.csv", type="text/csv")
    book = Workbook()
    sheet = book.active
    sheet.title = name[:31]
    for line in (title, source, exported):
        sheet.append([line])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(value) else value for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return dcc.send_bytes(buffer.getvalue(), f"{name}.xlsx", type=MIME_XLSX)


# What a panel's export builds from its callback's states: the table, its title, its source line
# (with the data's as-of time) and the file name without extension; None when there is nothing.
Export = tuple[pd.DataFrame, str, str, str]


def named_columns(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """`frame`'s `columns`, in that order, under their readable headers."""
    return frame[list(columns)].rename(columns=columns)


def export_actions(name: str, lang: str) -> html.Div:
    """A panel's CSV and Excel buttons (ids `NAME-csv`, `NAME-xlsx`) and their `NAME-download`."""
    return html.Div([
        html.Button(t("export_csv", lang), id=f"{name}-csv", className="btn btn-sm btn-outline-light"),
        html.Button(t("export_xlsx", lang), id=f"{name}-xlsx", className="btn btn-sm btn-outline-light"),
        dcc.Download(id=f"{name}-download"),
    ], className="ioc-actions")


def register_export(app: Dash, name: str, states: list[State], build: Callable[..., Export | None],
                    roles: tuple[str, ...]) -> None:
    """Wire `export_actions(name)`: either button calls `build(*state values)` (the same query
    functions, with the same filters, as the panel's chart or table) and sends its table."""
    check = checker(build)
    labels = [f"{state.component_id}.{state.component_property}" for state in states]

    @app.callback(Output(f"{name}-download", "data"), Input(f"{name}-csv", "n_clicks"),
                  Input(f"{name}-xlsx", "n_clicks"), *states, prevent_initial_call=True)
    def export(_csv, _xlsx, *values: Any):  # checked against build's own parameters
        require_role(*roles)
        check(values, labels)
        found = build(*values)
        if found is None:
            return no_update
        frame, title, source, file_name = found
        fmt = "xlsx" if ctx.triggered_id == f"{name}-xlsx" else "csv"
        return table_download(frame, title, source, file_name, fmt)
