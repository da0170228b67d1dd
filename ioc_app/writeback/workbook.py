"""A report's form as a file to fill in offline: .xlsx (protected except the figures and notes)
or CSV, pre-filled with what is saved; `upload.py` reads either back.

Layout (both formats): a header block naming the report, then the table. Each header line
is a key and a value; the keys the upload checks are `unit`, `regime`, `period`, `form` and
`form_version` (codes). In the workbook the key is a label in column A (Vietnamese or
English, both are read back), the code in column B and a readable name in column C; in the
CSV every header line is a `# key: value` comment with the fixed English key. The table has
one row per indicator (code, name, unit of measure), one column per category headed
`Name [code]` and a note column. A row's note belongs to the cell of its first column
(the total): notes typed on other cells in the page are not in the file and an upload
leaves them alone.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from ioc_app.opdb.models import Category, Indicator, Unit

if TYPE_CHECKING:
    from ioc_app.writeback.entry import Grid

# key -> (Vietnamese, English); keys are also the CSV's comment keys.
LABELS: dict[str, tuple[str, str]] = {
    "title": ("Biểu nhập số liệu", "Data entry form"),
    "province": ("Tỉnh", "Province"),
    "unit": ("Đơn vị báo cáo", "Reporting unit"),
    "regime": ("Chế độ báo cáo", "Report regime"),
    "period": ("Kỳ báo cáo", "Period"),
    "form": ("Biểu mẫu", "Form"),
    "form_version": ("Phiên bản biểu", "Form version"),
    "status": ("Trạng thái", "Status"),
    "filled_by": ("Người lập biểu", "Filled in by"),
    "filled_on": ("Ngày lập", "Date"),
    "indicator_code": ("Mã chỉ tiêu", "Indicator code"),
    "indicator_name": ("Tên chỉ tiêu", "Indicator"),
    "measure": ("Đơn vị tính", "Unit of measure"),
    "note": ("Ghi chú", "Note"),
}
STATUS_NAMES: dict[str | None, tuple[str, str]] = {
    None: ("Chưa nhập", "Not started"),
    "draft": ("Bản nháp", "Draft"),
    "submitted": ("Đã gửi, chờ duyệt", "Submitted, awaiting approval"),
    "returned": ("Bị trả lại", "Returned"),
    "approved": ("Đã duyệt", "Approved"),
}
CHECKED_KEYS = ("unit", "regime", "period", "form", "form_version")
FILLABLE_KEYS = ("filled_by", "filled_on")
TABLE_KEYS = ("indicator_code", "indicator_name", "measure")
SHEET_TITLE_LIMIT = 31
CSV_COMMENT = "#"
# A cell whose text starts with one of these runs as a formula when a spreadsheet opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
_INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
_OPEN = Protection(locked=False)


def label(key: str, lang: str) -> str:
    vi, en = LABELS[key]
    return en if lang == "en" else vi


def status_name(status: str | None, lang: str) -> str:
    vi, en = STATUS_NAMES.get(status, (status or "", status or ""))
    return en if lang == "en" else vi


def name_of(item: Indicator | Category, lang: str) -> str:
    return item.name_en if lang == "en" and item.name_en else item.name_vi


def category_header(category: Category, lang: str) -> str:
    return f"{name_of(category, lang)} [{category.code}]"


def province_name(unit: Unit) -> str:
    """The name of the root of the unit tree (the province office) above `unit`."""
    root, seen = unit, {unit.id}
    while root.parent is not None and root.parent.id not in seen:
        root = root.parent
        seen.add(root.id)
    return root.name


def header_lines(grid: Grid, lang: str) -> Iterator[tuple[str, str, str]]:
    """(key, code or value, readable name) for each header line."""
    period = grid.period
    form_name = grid.form_version.form.name_en if lang == "en" else grid.form_version.form.name_vi
    regime_name = grid.regime.name_en if lang == "en" else grid.regime.name_vi
    status = grid.submission.status if grid.submission is not None else None
    yield "province", province_name(grid.unit), ""
    yield "unit", grid.unit.code, grid.unit.name
    yield "regime", grid.regime.code, regime_name
    yield "period", period.code, f"{period.start_date:%d/%m/%Y} – {period.end_date:%d/%m/%Y}"
    yield "form", grid.form_version.form_code, form_name
    yield "form_version", str(grid.form_version.version), f"{grid.form_version.valid_from:%d/%m/%Y}"
    yield "status", status or "", status_name(status, lang)
    yield "filled_by", "", ""
    yield "filled_on", "", ""


def table_header(grid: Grid, lang: str) -> list[str]:
    return ([label(key, lang) for key in TABLE_KEYS] + [category_header(column, lang) for column in grid.layout.columns]
            + [label("note", lang)])


def table_rows(grid: Grid, lang: str) -> Iterator[list[object]]:
    """One list per indicator: code, name, unit of measure, the figures (None when blank), the note."""
    first = grid.layout.columns[0].code if grid.layout.columns else None
    for indicator in grid.layout.rows:
        figures = [grid.values.get((indicator.code, column.code)) for column in grid.layout.columns]
        note = grid.notes.get((indicator.code, first), "") if first else ""
        yield [indicator.code, name_of(indicator, lang), indicator.unit, *figures, note]


def _number_format(indicator: Indicator) -> str:
    return "#,##0" if indicator.value_type == "integer" else "General"


def form_workbook(grid: Grid, lang: str) -> bytes:
    """The report's form as a one-sheet .xlsx, pre-filled; only figures, notes and 'filled in by' are editable."""
    book = Workbook()
    sheet = book.active
    sheet.title = grid.form_version.form_code[:SHEET_TITLE_LIMIT]
    sheet["A1"] = label("title", lang)
    sheet["A1"].font = _TITLE
    row = 2
    for key, value, name in header_lines(grid, lang):
        sheet.cell(row, 1, label(key, lang)).font = _BOLD
        cell = sheet.cell(row, 2, value or None)
        sheet.cell(row, 3, name or None)
        if key in FILLABLE_KEYS:
            cell.protection, cell.fill = _OPEN, _INPUT_FILL
        row += 1
    header_row = row + 1
    for column, text in enumerate(table_header(grid, lang), start=1):
        cell = sheet.cell(header_row, column, text)
        cell.font, cell.fill = _BOLD, _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    figures = range(len(TABLE_KEYS) + 1, len(TABLE_KEYS) + len(grid.layout.columns) + 1)
    note_column = len(TABLE_KEYS) + len(grid.layout.columns) + 1
    for offset, (indicator, values) in enumerate(zip(grid.layout.rows, table_rows(grid, lang)), start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(header_row + offset, column, value if value != "" else None)
            if isinstance(value, str) and value:
                cell.data_type = "s"
            if column in figures or column == note_column:
                cell.protection, cell.fill = _OPEN, _INPUT_FILL
            if column in figures:
                cell.number_format = _number_format(indicator)
    widths = [16, 44, 14] + [16] * len(grid.layout.columns) + [40]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, len(TABLE_KEYS) + 1)
    sheet.protection.sheet = True
    book.properties.creator = "IOC"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_value(value: object) -> str:
    """A figure or text as the CSV writes it; text that a spreadsheet would run as a formula gets a
    leading apostrophe (the upload then reads it back as that text, apostrophe included)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return str(value)


def form_csv(grid: Grid, lang: str) -> bytes:
    """The same form as CSV: UTF-8 with a BOM (Excel then reads Vietnamese right), comma-separated,
    `# key: value` header lines, then the table; figures with '.' as decimal point, no grouping."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for key, value, name in header_lines(grid, lang):
        shown = f"{value} ({name})" if value and name and key != "province" else value or name
        writer.writerow([f"{CSV_COMMENT} {key}: {shown}"])
    writer.writerow(table_header(grid, lang))
    for values in table_rows(grid, lang):
        writer.writerow([_csv_value(value) for value in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
