"""One report as a file: the form as Excel or CSV (pre-filled with what is saved), or the printable PDF.

The one place the entry page, the approvals page and `ioc report export` turn a report into bytes."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ioc_app.errors import IocError
from ioc_app.writeback import entry, pdf, workbook
from ioc_app.writeback.actor import Actor

FORMATS = ("xlsx", "csv", "pdf")


def report_file(session: Session, actor: Actor, unit: str, regime: str, period: str, fmt: str, lang: str) -> bytes:
    """The report of `unit`, `regime`, `period` as `fmt` (one of FORMATS), as `actor` may read it."""
    if fmt not in FORMATS:
        raise IocError(f"unknown report format {fmt!r} (use one of {', '.join(FORMATS)})")
    grid = entry.load_grid(session, actor, unit, regime, period)
    if fmt == "xlsx":
        return workbook.form_workbook(grid, lang)
    if fmt == "csv":
        return workbook.form_csv(grid, lang)
    if grid.submission is None:
        raise IocError(f"{unit} {regime} {period}: nothing saved yet, no report to print")
    return pdf.report_pdf(session, actor, grid.submission.id, lang)


def file_name(unit: str, regime: str, period: str, fmt: str) -> str:
    return f"{unit}_{regime}_{period}.{fmt}"
