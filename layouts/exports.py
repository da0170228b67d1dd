"""Downloads of the tables behind the charts, as CSV or Excel, carrying their source and time."""
from __future__ import annotations

import io

import pandas as pd
from dash import dcc
from openpyxl import Workbook
from openpyxl.styles import Font

from ioc_app.clock import now_ict

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
