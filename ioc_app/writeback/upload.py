"""Reading a filled-in form back (.xlsx or CSV, as `workbook.py` makes them) and storing it.

Every problem of the file is collected, each naming file, sheet, row (the spreadsheet's row
number; a CSV's line number) and column (its letter, or the header of a missing column),
and the upload stores nothing unless there are none. Refused outright: files over 50 MB,
files whose content is not what their name says (the magic bytes decide, so a renamed
.exe is caught), workbooks unpacking to more than 100 MB, macros. Refused cell by cell:
formulas, text that a spreadsheet would run as a formula (starting with = + - @ tab or CR,
unless it is a plain signed number), merged cells, extra sheets, a header naming another
unit, regime, period, form or form version, unknown, duplicate or missing indicator rows
and category columns, figures that are not numbers.

Numbers typed as text (see `parse_number`): spaces (also non-breaking) group thousands;
with both '.' and ',' the last one is the decimal mark; one mark alone is the decimal mark
('1234,5', '1234.5'), several of the same group thousands ('1.234.567'). One mark followed
by exactly three digits after 1-3 non-zero leading digits ('1.234', '12,500') reads as a
thousand times more in one convention than in the other: it is refused as ambiguous rather
than guessed. A blank cell means no figure (it clears a stored one).
"""
from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.clock import today_ict
from ioc_app.errors import WritebackError
from ioc_app.opdb.models import Period, Regime, RegimeUnit, Submission
from ioc_app.writeback.actor import Actor, unit_by_code
from ioc_app.writeback.entry import Grid, load_grid, save_draft
from ioc_app.writeback.problems import FiguresRefused, Problem
from ioc_app.writeback.validation import check_values
from ioc_app.writeback.windows import belongs_to, ensure_periods
from ioc_app.writeback.workbook import CHECKED_KEYS, CSV_COMMENT, FORMULA_STARTS, LABELS, TABLE_KEYS, category_header

Cell = tuple[str, str]
MB = 1024 * 1024
MAX_BYTES = 50 * MB
MAX_UNPACKED = 100 * MB
# First bytes of formats people rename: (prefix, what it is).
MAGIC = (
    (b"PK\x03\x04", "a zip archive"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls/.doc): save it as .xlsx"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
)
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?[eE][+-]?\d+")
_BRACKET_CODE = re.compile(r"\[([^\[\]]+)\]\s*$")
_SHOWN = 40

Row = tuple[int, list[object]]


@dataclass
class Upload:
    """What a file holds: figures and notes per cell, and where each cell is in the file."""

    values: dict[Cell, float | None] = field(default_factory=dict)
    notes: dict[Cell, str | None] = field(default_factory=dict)
    places: dict[Cell, tuple[int, str]] = field(default_factory=dict)
    sheet: str | None = None


@dataclass
class _Reading:
    filename: str
    sheet: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, reason: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(reason, file=self.filename, sheet=self.sheet, row=row, column=column))


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _letter(index: int) -> str:
    return get_column_letter(index + 1)


# --- numbers -------------------------------------------------------------------------------


def _integer_digits(part: str, group: str | None) -> str:
    separators = " " + (group or "")
    if re.fullmatch(r"\d+", part):
        return part
    if re.fullmatch(rf"\d{{1,3}}(?:[{re.escape(separators)}]\d{{3}})+", part):
        return re.sub(rf"[{re.escape(separators)}]", "", part)
    raise ValueError(f"{part!r} is not a number (thousands are grouped by three digits)")


def parse_number(text: str) -> float:
    """A number typed as text, in Vietnamese or English writing (rules in the module docstring);
    ValueError with the reason otherwise."""
    body = _SPACES.sub(" ", text.strip())
    sign = ""
    if body.startswith(("+", "-")):
        sign, body = body[0], body[1:].strip()
    if _SCIENTIFIC.fullmatch(body):
        return float(sign + body)
    if not re.fullmatch(r"\d[\d .,]*", body) or not body[-1].isdigit():
        raise ValueError(f"{_short(text)!r} is not a number")
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        group: str | None = "," if decimal == "." else "."
    elif dots + commas == 1:
        decimal, group = ("." if dots else ","), None
        whole, fraction = body.split(decimal)
        if " " not in whole and len(fraction) == 3 and len(whole) <= 3 and whole.strip("0"):
            as_decimal, as_group = float(f"{whole}.{fraction}"), int(whole + fraction)
            raise ValueError(f"{text.strip()!r} is ambiguous ({as_decimal:g} or {as_group}): type it without a "
                             f"thousands separator, e.g. {as_group} or {whole},{fraction}0")
    elif dots or commas:
        decimal, group = None, "." if dots else ","
    else:
        decimal, group = None, None
    if decimal is not None and body.count(decimal) > 1:
        raise ValueError(f"{_short(text)!r} is not a number (more than one decimal mark)")
    whole, _, fraction = body.partition(decimal) if decimal else (body, "", "")
    if fraction and not fraction.isdigit():
        raise ValueError(f"{_short(text)!r} is not a number")
    digits = _integer_digits(whole, group)
    return float(f"{sign}{digits}.{fraction or 0}")


def _figure(raw: object) -> float | None:
    """The figure in a cell: None when blank; ValueError with the reason when it is not a number."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or isinstance(raw, (datetime, date, time)):
        raise ValueError(f"{raw!s} is not a number")
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            raise ValueError(f"{raw!r} is not a number")
        return float(raw)
    return parse_number(str(raw))


def _is_number_text(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


# --- the file as rows ----------------------------------------------------------------------


def _content_kind(content: bytes) -> str | None:
    return next((what for magic, what in MAGIC if content.startswith(magic)), None)


def _xlsx_rows(content: bytes, reading: _Reading) -> list[Row] | None:
    kind = _content_kind(content)
    if kind != "a zip archive":
        reading.add(f"not an Excel workbook although named .xlsx: the content is {kind or 'something else'}")
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        reading.add(f"not an Excel workbook: a damaged zip archive ({exc})")
        return None
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_UNPACKED:
        reading.add(f"unpacks to {unpacked / MB:.0f} MB, more than the limit of {MAX_UNPACKED // MB} MB "
                    f"(a form is a few hundred kB; the file may be a zip bomb)")
        return None
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        reading.add("a zip archive, not an Excel workbook (no xl/workbook.xml)")
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        reading.add("the workbook contains macros: save it as a plain .xlsx workbook")
        return None
    try:
        book = load_workbook(io.BytesIO(content), data_only=False)
    # openpyxl raises many kinds of errors on a damaged workbook; each means "unreadable".
    except Exception as exc:  # noqa: BLE001
        reading.add(f"the workbook cannot be read ({type(exc).__name__}: {_short(str(exc))})")
        return None
    if len(book.sheetnames) > 1:
        reading.add(f"the workbook has {len(book.sheetnames)} sheets ({', '.join(book.sheetnames)}): "
                    f"keep only the form's sheet")
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        reading.add("the workbook has no worksheet")
        return None
    reading.sheet = sheet.title
    for merged in sorted(sheet.merged_cells.ranges, key=lambda found: (found.min_row, found.min_col)):
        reading.add(f"merged cells {merged.coord}: unmerge them", merged.min_row, _letter(merged.min_col - 1))
    rows: list[Row] = []
    for cells in sheet.iter_rows():
        values: list[object] = []
        for cell in cells:
            value = cell.value
            if cell.data_type == "f" or isinstance(value, (ArrayFormula, DataTableFormula)):
                text = value.text if isinstance(value, ArrayFormula) else str(value)
                reading.add(f"a formula ({_short(text or '')}): type the figure itself", cell.row,
                            cell.column_letter)
                value = None
            values.append(value)
        if cells:
            rows.append((cells[0].row, values))
    return rows


def _comment_row(cells: list[str]) -> list[object]:
    """'# key: value' (a CSV header line, maybe split by a delimiter in the value) as [key, value]."""
    text = ",".join(cell for cell in cells if cell).removeprefix(CSV_COMMENT).strip()
    key, _, value = text.partition(":")
    return [key.strip(), value.strip()]


def _csv_rows(content: bytes, reading: _Reading) -> list[Row] | None:
    kind = _content_kind(content)
    if kind is not None or b"\x00" in content[:65536]:
        reading.add(f"not a CSV text file although named .csv: the content is {kind or 'binary data'}")
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reading.add(f"not UTF-8 text (byte {exc.start}): save it as 'CSV UTF-8'")
        return None
    lines = text.splitlines()
    table_line = next((line for line in lines if line.strip() and not line.startswith(CSV_COMMENT)), "")
    delimiter = ";" if table_line.count(";") > table_line.count(",") else ","
    rows: list[Row] = []
    try:
        for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
            if cells and cells[0].startswith(CSV_COMMENT):
                rows.append((number, _comment_row(cells)))
            else:
                rows.append((number, list(cells)))
    except csv.Error as exc:
        reading.add(f"not a readable CSV file ({exc})")
        return None
    return rows


def _rows(filename: str, content: bytes, reading: _Reading) -> list[Row] | None:
    if len(content) > MAX_BYTES:
        reading.add(f"the file is {len(content) / MB:.1f} MB; the limit is {MAX_BYTES // MB} MB")
        return None
    if not content:
        reading.add("the file is empty")
        return None
    extension = Path(filename).suffix.lower()
    if extension == ".xlsx":
        return _xlsx_rows(content, reading)
    if extension == ".csv":
        return _csv_rows(content, reading)
    kind = _content_kind(content)
    reading.add(f"only .xlsx and .csv files are accepted, not {extension or 'a file without extension'}"
                + (f" ({kind})" if kind else ""))
    return None


# --- the form in the rows ------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _keys(key: str) -> set[str]:
    return {key.casefold(), *(label.casefold() for label in LABELS[key])}


def _injections(rows: list[Row], reading: _Reading) -> None:
    for number, values in rows:
        for index, value in enumerate(values):
            if isinstance(value, str) and value[:1] in FORMULA_STARTS and not _is_number_text(value):
                reading.add(f"text starting with {value[0]!r} would run as a formula when the file is opened "
                            f"({_short(value)!r}): remove the leading {value[0]!r}", number, _letter(index))


def _header(rows: list[Row], grid: Grid, reading: _Reading) -> int | None:
    """Check the header lines; the index in `rows` of the table's header row, None when there is none."""
    code_labels = _keys("indicator_code")
    expected = {"unit": grid.unit.code, "regime": grid.regime.code, "period": grid.period.code,
                "form": grid.form_version.form_code, "form_version": str(grid.form_version.version)}
    found: dict[str, tuple[str, int]] = {}
    for position, (number, values) in enumerate(rows):
        first = _text(values[0]) if values else ""
        if first.casefold() in code_labels:
            break
        key = next((key for key in CHECKED_KEYS if first.casefold() in _keys(key)), None)
        if key is not None:
            shown = _text(values[1]) if len(values) > 1 else ""
            found[key] = (shown.split()[0] if shown else "", number)
    else:
        reading.add(f"no table: the row headed {LABELS['indicator_code'][0]!r} / {LABELS['indicator_code'][1]!r} "
                    f"is missing; download the form again")
        return None
    for key in CHECKED_KEYS:
        what = LABELS[key][1].lower()
        if key not in found:
            reading.add(f"the header has no {what} line ({LABELS[key][0]}): download the form again")
        elif found[key][0] != expected[key]:
            reading.add(f"the file is for {what} {found[key][0] or '(blank)'}, this report's is {expected[key]}: "
                        f"download this report's form", found[key][1], "B")
    return position


def _columns(header: list[object], number: int, grid: Grid, reading: _Reading) -> tuple[dict[str, int], dict[str, int]]:
    """Positions of the fixed columns (by key) and of the category columns (by category code)."""
    fixed: dict[str, int] = {}
    categories: dict[str, int] = {}
    by_name = {}
    for category in grid.layout.columns:
        for name in (category.code, category.name_vi, category.name_en):
            if name:
                by_name.setdefault(name.casefold(), category.code)
    for index, value in enumerate(header):
        text = _text(value)
        if not text:
            continue
        key = next((key for key in (*TABLE_KEYS, "note") if text.casefold() in _keys(key)), None)
        if key is not None:
            fixed[key] = index
            continue
        bracket = _BRACKET_CODE.search(text)
        code = bracket.group(1).strip() if bracket else by_name.get(text.casefold())
        if code not in {category.code for category in grid.layout.columns}:
            known = ", ".join(category.code for category in grid.layout.columns)
            reading.add(f"unknown column {_short(text)!r}: this form's columns are {known}", number, _letter(index))
        elif code in categories:
            reading.add(f"column {code} appears twice (also column {_letter(categories[code])})", number,
                        _letter(index))
        else:
            categories[code] = index
    for category in grid.layout.columns:
        if category.code not in categories:
            reading.add(f"the column of category {category.code} is missing", number,
                        category_header(category, "en"))
    return fixed, categories


def _table(rows: list[Row], grid: Grid, reading: _Reading, upload: Upload) -> None:
    number, header = rows[0]
    fixed, categories = _columns(header, number, grid, reading)
    code_at, note_at = fixed.get("indicator_code", 0), fixed.get("note")
    known = {indicator.code for indicator in grid.layout.rows}
    first_column = grid.layout.columns[0].code if grid.layout.columns else None
    seen: dict[str, int] = {}
    for number, values in rows[1:]:
        if not any(_text(value) for value in values):
            continue
        code = _text(values[code_at]) if code_at < len(values) else ""
        if not code:
            reading.add("a row without an indicator code", number, _letter(code_at))
            continue
        if code not in known:
            reading.add(f"unknown indicator {_short(code)!r}: not a row of this form", number, _letter(code_at))
            continue
        if code in seen:
            reading.add(f"indicator {code} appears twice (also row {seen[code]})", number, _letter(code_at))
            continue
        seen[code] = number
        for category, index in categories.items():
            raw = values[index] if index < len(values) else None
            try:
                upload.values[(code, category)] = _figure(raw)
            except ValueError as exc:
                reading.add(str(exc), number, _letter(index))
            upload.places[(code, category)] = (number, _letter(index))
        if note_at is not None and first_column is not None:
            note = _text(values[note_at]) if note_at < len(values) else ""
            upload.notes[(code, first_column)] = note or None
    for indicator in grid.layout.rows:
        if indicator.code not in seen:
            reading.add(f"the row of indicator {indicator.code} is missing: every row of the form must stay",
                        column=_letter(code_at))


def read_file(filename: str, content: bytes, grid: Grid) -> tuple[Upload, list[Problem]]:
    """Figures and notes of an uploaded form for `grid`'s report, and every problem found in the file."""
    reading = _Reading(Path(filename).name)
    upload = Upload()
    rows = _rows(filename, content, reading)
    if rows is None:
        return upload, reading.problems
    _injections(rows, reading)
    table_at = _header(rows, grid, reading)
    if table_at is not None:
        _table(rows[table_at:], grid, reading, upload)
    upload.sheet = reading.sheet
    return upload, reading.problems


def read_upload(filename: str, content: bytes, grid: Grid) -> dict[Cell, float | None]:
    """The figures of an uploaded form; FiguresRefused listing every problem of the file."""
    upload, problems = read_file(filename, content, grid)
    if problems:
        raise FiguresRefused(problems)
    return upload.values


def _placed(problem: Problem, upload: Upload, filename: str) -> Problem:
    """A check_values problem (row = indicator, column = category) at its place in the file."""
    cell = (str(problem.row), problem.column or "")
    number, letter = upload.places.get(cell, (problem.row, problem.column))
    return Problem(f"{cell[0]} / {cell[1]}: {problem.reason}", file=filename, sheet=upload.sheet, row=number,
                   column=letter,
                   blocking=problem.blocking)


def import_upload(session: Session, actor: Actor, unit_code: str, regime_code: str, period_code: str,
                  filename: str, content: bytes, row_version: int | None = None) -> Submission:
    """Read, validate and save an uploaded form as the report's draft, all or nothing.

    `row_version` is the one the person loaded (None: the stored one, for loading history
    from the command line). FiguresRefused lists every problem of the file and of its figures."""
    grid = load_grid(session, actor, unit_code, regime_code, period_code)
    if not grid.editable:
        raise WritebackError(f"the report of unit {unit_code} for period {period_code} ({regime_code}) cannot be "
                             f"changed: {grid.why_locked}")
    upload, problems = read_file(filename, content, grid)
    problems += [_placed(problem, upload, Path(filename).name)
                 for problem in check_values(grid.layout, upload.values, require_all=False) if problem.blocking]
    if problems:
        raise FiguresRefused(problems)
    return save_draft(session, actor, unit_code, regime_code, period_code, upload.values,
                      grid.row_version if row_version is None else row_version, notes=upload.notes)


def regime_for(session: Session, unit_code: str, period_code: str) -> str:
    """The regime code of `unit_code`'s report for `period_code` when the unit reports under exactly one
    active regime of that period (for the command line, where --regime may be left out)."""
    unit = unit_by_code(session, unit_code)
    period = session.get(Period, period_code)
    if period is None:
        ensure_periods(session, today_ict())
        period = session.get(Period, period_code)
    if period is None:
        raise WritebackError(f"no period {period_code!r} (periods open by themselves on their first day)")
    regimes = session.scalars(
        select(Regime).join(RegimeUnit, RegimeUnit.regime_code == Regime.code)
        .where(RegimeUnit.unit_id == unit.id, Regime.active.is_(True)).order_by(Regime.code)).all()
    matching = [regime.code for regime in regimes if belongs_to(regime, period)]
    if len(matching) != 1:
        found = ", ".join(matching) if matching else "none"
        raise WritebackError(f"unit {unit.code} reports under {len(matching)} regimes for period {period.code} "
                             f"({found}): name one with --regime")
    return matching[0]
