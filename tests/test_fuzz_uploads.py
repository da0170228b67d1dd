"""Fuzzing the upload parsers (ioc_app/writeback/upload.py reading workbook.py's forms):
random bytes, damaged and truncated workbooks, zip bombs, hostile cells, CSV in other
encodings and with other delimiters. Every input gets either a correct parse or problems
that each name the file and a reason (and a sheet, row and column where they are about a
cell), never an unexpected exception; an upload that is refused stores nothing.

The parsing is backend-agnostic, so the database runs on SQLite only. Examples are bounded
(see the `ci` profile in tests/conftest.py) to keep the module under a minute.
"""
from __future__ import annotations

import io
import math
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.errors import IocError
from ioc_app.opdb.models import Submission, SubmissionValue
from ioc_app.writeback.entry import load_grid
from ioc_app.writeback.problems import FiguresRefused
from ioc_app.writeback.upload import MAX_UNPACKED, import_upload, parse_number, read_file
from ioc_app.writeback.workbook import form_csv, form_workbook
from tests.writeback_fixtures import COMMUNE1, POP, REGIME
from tests.writeback_fixtures import wb_database  # noqa: F401

FIGURE_CELLS = ("D13", "E13", "F13", "D14", "E15")
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=HEALTH)
# Each example writes a workbook with openpyxl: fewer of them.
SLOW_FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)


@pytest.fixture(scope="module")
def wb_url(tmp_path_factory):
    yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'opdb.sqlite'}"


@pytest.fixture(scope="module")
def forms(wb_database):
    """COMMUNE1's grid of the open period, its form as .xlsx and as CSV."""
    engine, catalog = wb_database
    with Session(engine, expire_on_commit=False) as session:
        grid = load_grid(session, catalog.officer1, COMMUNE1, REGIME, catalog.open_period)
        return grid, form_workbook(grid, "vi"), form_csv(grid, "en")


def assert_clear(filename: str, content: bytes, grid) -> dict:
    """read_file's answer is a parse or problems that say where and why; the parsed values."""
    upload, problems = read_file(filename, content, grid)
    for problem in problems:
        assert problem.file == filename and problem.reason.strip(), problem
        assert "Traceback" not in problem.reason
    return {} if problems else upload.values


def stored(engine) -> tuple[list, list]:
    """Every report and every stored figure."""
    with Session(engine) as session:
        reports = [(s.id, s.status, s.row_version) for s in session.scalars(select(Submission).order_by(Submission.id))]
        figures = [(v.submission_id, v.indicator_code, v.category_code, v.value, v.note)
                   for v in session.scalars(select(SubmissionValue).order_by(SubmissionValue.id))]
        return reports, figures


def edited_workbook(content: bytes, edits: dict[str, object]) -> bytes:
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    for coordinate, value in edits.items():
        sheet[coordinate] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- whole files --------------------------------------------------------------------------

@FUZZ
@given(content=st.binary(max_size=4096), name=st.sampled_from(["f.xlsx", "f.csv", "f.txt", "f", "f.XLSX"]))
def test_random_bytes_are_refused_with_a_reason(forms, content, name):
    grid, _, _ = forms
    assert assert_clear(name, content, grid) == {} or name.lower().endswith(".csv")


@FUZZ
@given(data=st.data())
def test_truncated_and_damaged_workbooks_are_refused(forms, data):
    grid, workbook, _ = forms
    cut = data.draw(st.integers(0, len(workbook) - 1), label="cut")
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(workbook) - 1), st.integers(1, 255)), max_size=8))
    damaged = bytearray(workbook[:cut] if data.draw(st.booleans(), label="truncate") else workbook)
    for position, mask in flips:
        if position < len(damaged):
            damaged[position] ^= mask
    assert_clear("damaged.xlsx", bytes(damaged), grid)


def test_zip_bombs_are_refused_before_unpacking(forms):
    grid, _, _ = forms
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_UNPACKED + 1024))
    upload, problems = read_file("bomb.xlsx", bomb.getvalue(), grid)
    assert [p.reason for p in problems if "zip bomb" in p.reason]
    # the same archive with sizes that lie in its directory: unpacking stops at the stated size
    lying = bytearray(bomb.getvalue())
    directory = lying.rfind(b"PK\x01\x02")
    while directory != -1:
        lying[directory + 24:directory + 28] = (100).to_bytes(4, "little")
        directory = lying.rfind(b"PK\x01\x02", 0, directory)
    assert_clear("lying.xlsx", bytes(lying), grid)


# --- hostile cells ----------------------------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.sampled_from(["=1+1", "+1+1", "-1-1", "@SUM(A1)", "=HYPERLINK(\"http://x\")", "1.234", "12,500",
                     "1e400", "nan", "inf", "-0", "٣", "١٢٣", "1 2 3", "1..2", "", " ", "\u00a0", "0x10"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60),
    st.text(min_size=5000, max_size=40000, alphabet="9,. "),
)
HOSTILE_NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30))


@SLOW_FUZZ
@given(values=st.lists(st.one_of(HOSTILE_TEXT, HOSTILE_NUMBER), min_size=1, max_size=len(FIGURE_CELLS)))
def test_hostile_cells_in_a_workbook_are_refused_or_read_exactly(forms, values):
    grid, workbook, _ = forms
    edits = dict(zip(FIGURE_CELLS, values))
    content = edited_workbook(workbook, edits)
    upload, problems = read_file("hostile.xlsx", content, grid)
    for problem in problems:
        assert problem.file == "hostile.xlsx" and problem.reason
    cell_problems = {(p.row, p.column) for p in problems}
    for coordinate, value in edits.items():
        place = (int(coordinate[1:]), coordinate[0])
        if place in cell_problems or problems and not isinstance(value, (int, float)):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not problems:
            cell = {(13, "D"): (POP, "total"), (13, "E"): (POP, "male"), (13, "F"): (POP, "female")}.get(place)
            if cell is not None and math.isfinite(float(value)):
                assert upload.values[cell] == pytest.approx(float(value))


@FUZZ
@given(control=st.text(alphabet=st.characters(whitelist_categories=("Cc",)), min_size=1, max_size=5),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1", "utf-32"]),
       delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_csv_with_other_encodings_delimiters_and_control_characters(forms, control, encoding, delimiter):
    grid, _, csv_form = forms
    text = csv_form.decode("utf-8-sig").replace(",", delimiter)
    lines = text.splitlines()
    lines[-1] = lines[-1] + control
    try:
        content = "\n".join(lines).encode(encoding)
    except UnicodeEncodeError:
        content = "\n".join(lines).encode(encoding, errors="replace")
    assert_clear("odd.csv", content, grid)


@FUZZ
@given(text=st.text(max_size=80))
def test_parse_number_answers_a_number_or_a_reason(text):
    try:
        value = parse_number(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(value, float)


# --- nothing stored -------------------------------------------------------------------------

@settings(max_examples=15, deadline=None, suppress_health_check=HEALTH)
@given(content=st.one_of(st.binary(max_size=2048), st.sampled_from([b"", b"PK\x03\x04", b"MZ\x90\x00"])),
       name=st.sampled_from(["up.xlsx", "up.csv"]))
def test_a_refused_upload_stores_nothing(forms, wb_database, content, name):
    engine, catalog = wb_database
    before = stored(engine)
    with Session(engine) as session:
        try:
            import_upload(session, catalog.officer1, COMMUNE1, REGIME, catalog.open_period, name, content, 0)
        except FiguresRefused as refused:
            assert refused.problems and str(refused)
            session.rollback()
        except IocError as refused:
            assert str(refused)
            session.rollback()
        else:
            pytest.fail("random bytes were accepted as a form")
    assert stored(engine) == before
