"""Excel/CSV round trip, every upload refusal (nothing stored), and the PDF report
(operational-DB tests on SQLite and PostgreSQL)."""
from __future__ import annotations

import io
import re
import zipfile
import zlib

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.config import Settings
from ioc_app.errors import WritebackError
from ioc_app.opdb.models import Submission, SubmissionValue
from ioc_app.writeback.approval import return_submission
from ioc_app.writeback.entry import load_grid, save_draft, submit
from ioc_app.writeback.pdf import report_pdf
from ioc_app.writeback.problems import FiguresRefused
from ioc_app.writeback.signing import Signer
from ioc_app.writeback.upload import MAX_BYTES, import_upload, parse_number, read_upload
from ioc_app.writeback.workbook import form_csv, form_workbook
from tests.writeback_fixtures import COMMUNE1, INCOME, POP, RATE, REGIME

pytest_plugins = ("tests.writeback_fixtures",)

# Where the form puts things (see workbook.py): header lines from row 2, the table header on
# row 12, one row per indicator of form version 2 from row 13; columns A code, B name,
# C unit of measure, D total, E male, F female, G note.
UNIT_ROW, VERSION_ROW, TABLE_ROW = 3, 7, 12
ROW = {POP: 13, RATE: 14, INCOME: 15}
FIGURES = {
    (POP, "total"): 1000.0, (POP, "male"): 480.0, (POP, "female"): 520.0,
    (RATE, "total"): 50.0, (RATE, "male"): 40.5, (RATE, "female"): 60.0,
    (INCOME, "total"): 1234.5, (INCOME, "male"): 600.0, (INCOME, "female"): 634.5,
}
LETTER = {"total": "D", "male": "E", "female": "F"}


@pytest.fixture(scope="module")
def signer(tmp_path_factory) -> Signer:
    return Signer.for_settings(Settings(data_dir=tmp_path_factory.mktemp("keys")))


def stored(engine) -> tuple[dict, int | None]:
    """(values, row_version) of COMMUNE1's report as committed."""
    with Session(engine) as session:
        submission = session.scalars(select(Submission)).first()
        if submission is None:
            return {}, None
        values = {(row.indicator_code, row.category_code): row.value for row in session.scalars(
            select(SubmissionValue).where(SubmissionValue.submission_id == submission.id))}
        return values, submission.row_version


@pytest.fixture
def draft(wb_session, wb_engine, wb):
    """COMMUNE1's draft of the open period with two figures saved and committed; the form as .xlsx."""
    save_draft(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 900.0,
                                                                           (POP, "male"): 400.0}, 0)
    wb_session.commit()
    grid = load_grid(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    return form_workbook(grid, "vi")


def edited(content: bytes, edits: dict[str, object], text: tuple[str, ...] = ()) -> bytes:
    """The workbook with cells changed (coordinate -> value); cells in `text` are kept as text."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    for coordinate, value in edits.items():
        sheet[coordinate] = value
        if coordinate in text:
            sheet[coordinate].data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filled(content: bytes) -> bytes:
    return edited(content, {f"{LETTER[category]}{ROW[indicator]}": value
                            for (indicator, category), value in FIGURES.items()})


def refused(session, wb, filename: str, content: bytes) -> list[str]:
    with pytest.raises(FiguresRefused) as caught:
        import_upload(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, filename, content)
    session.rollback()
    return [str(problem) for problem in caught.value.problems]


@pytest.fixture
def untouched(draft, wb_engine):
    """Checks after the test that the draft's values and row version did not change."""
    before = stored(wb_engine)
    yield draft
    assert stored(wb_engine) == before


# --- round trips ---------------------------------------------------------------------------


def test_workbook_is_prefilled_and_protected(draft):
    sheet = load_workbook(io.BytesIO(draft)).active
    assert sheet.protection.sheet
    assert sheet[f"B{UNIT_ROW}"].value == COMMUNE1 and sheet[f"B{VERSION_ROW}"].value == "2"
    assert [sheet[f"{letter}{TABLE_ROW}"].value for letter in "DEFG"] == [
        "Tổng số [total]", "Nam [male]", "Nữ [female]", "Ghi chú"]
    assert (sheet[f"A{ROW[POP]}"].value, sheet[f"D{ROW[POP]}"].value, sheet[f"E{ROW[POP]}"].value) == (POP, 900, 400)
    assert sheet[f"D{ROW[RATE]}"].value is None
    assert not sheet[f"D{ROW[POP]}"].protection.locked and not sheet[f"G{ROW[POP]}"].protection.locked
    assert sheet[f"B{ROW[POP]}"].protection.locked and sheet[f"B{UNIT_ROW}"].protection.locked


def test_excel_round_trip_stores_the_same_values(draft, wb_session, wb_engine, wb):
    content = edited(filled(draft), {f"G{ROW[RATE]}": "ước tính"})
    submission = import_upload(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, "bieu.xlsx", content)
    wb_session.commit()
    values, row_version = stored(wb_engine)
    assert values == FIGURES and row_version == 2
    assert {(value.indicator_code, value.category_code): value.note for value in submission.values
            if value.note} == {(RATE, "total"): "ước tính"}
    again = form_workbook(load_grid(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period), "en")
    grid = load_grid(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    assert read_upload("again.xlsx", again, grid) == FIGURES


def test_csv_round_trip_with_vietnamese_numbers(draft, wb_session, wb_engine, wb):
    grid = load_grid(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    content = form_csv(grid, "vi")
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert f"# unit: {COMMUNE1} (UBND xã một)" in text and "# form_version: 2" in text
    typed = {POP: "1 000;480;520", RATE: "50;40,5;60", INCOME: "1.234,5;600;634,5"}
    lines = []
    for line in text.splitlines():
        code = line.split(",", 1)[0]
        if code in typed:
            line = ";".join(line.split(",")[:3]) + ";" + typed[code] + ";"
        elif not line.startswith("#"):
            line = line.replace(",", ";")
        lines.append(line)
    import_upload(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, "bieu.csv",
                  ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    wb_session.commit()
    assert stored(wb_engine) == (FIGURES, 2)


def test_blank_cells_clear_stored_figures(draft, wb_session, wb_engine, wb):
    import_upload(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, "bieu.xlsx",
                  edited(draft, {f"E{ROW[POP]}": None}))
    wb_session.commit()
    values, row_version = stored(wb_engine)
    assert values == {(POP, "total"): 900.0, (POP, "male"): None} and row_version == 2


# --- refusals: each names its place, nothing is stored --------------------------------------


def test_refuses_a_file_over_50_mb(untouched, wb_session, wb):
    problems = refused(wb_session, wb, "big.xlsx", untouched + b"\0" * (MAX_BYTES + MAX_BYTES // 50))
    assert problems == ["big.xlsx: the file is 51.0 MB; the limit is 50 MB"]


def test_refuses_a_renamed_program(untouched, wb_session, wb):
    problems = refused(wb_session, wb, "bieu.xlsx", b"MZ\x90\x00\x03" + b"\0" * 200)
    assert problems == ["bieu.xlsx: not an Excel workbook although named .xlsx: the content is a Windows program"]
    assert "a Windows program" in refused(wb_session, wb, "bieu.csv", b"MZ\x90\x00\x03" + b"\0" * 200)[0]


def test_refuses_other_kinds_of_file(untouched, wb_session, wb):
    assert refused(wb_session, wb, "bieu.pdf", b"%PDF-1.7") == [
        "bieu.pdf: only .xlsx and .csv files are accepted, not .pdf (a PDF document)"]
    assert "not UTF-8 text" in refused(wb_session, wb, "bieu.csv", "Dân;1".encode("cp1258"))[0]


def test_refuses_a_zip_bomb(untouched, wb_session, wb):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(101):
                member.write(b"\0" * 1024 * 1024)
    problems = refused(wb_session, wb, "bieu.xlsx", out.getvalue())
    assert len(problems) == 1 and "unpacks to 101 MB, more than the limit of 100 MB" in problems[0]


def test_refuses_two_sheets_merged_cells_and_formulas(untouched, wb_session, wb):
    book = load_workbook(io.BytesIO(untouched))
    book.active[f"D{ROW[RATE]}"] = "=D13/10"
    book.active.merge_cells(f"G{ROW[POP]}:G{ROW[RATE]}")
    book.create_sheet("Ghi chép")
    out = io.BytesIO()
    book.save(out)
    problems = refused(wb_session, wb, "bieu.xlsx", out.getvalue())
    assert "bieu.xlsx: the workbook has 2 sheets (WB_FORM, Ghi chép): keep only the form's sheet" in problems
    assert f"bieu.xlsx, sheet WB_FORM, row {ROW[POP]}, column G: merged cells G13:G14: unmerge them" in problems
    assert (f"bieu.xlsx, sheet WB_FORM, row {ROW[RATE]}, column D: a formula (=D13/10): type the figure itself"
            in problems)


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "+cmd|' /C calc'!A0",
                                  "-2+3"])
def test_refuses_formula_injection_in_text(untouched, wb_session, wb, text):
    problems = refused(wb_session, wb, "bieu.xlsx", edited(untouched, {f"G{ROW[POP]}": text},
                                                           text=(f"G{ROW[POP]}",)))
    assert len(problems) == 1
    assert problems[0].startswith(f"bieu.xlsx, sheet WB_FORM, row {ROW[POP]}, column G: text starting with "
                                  f"{text[0]!r} would run as a formula")


def test_refuses_formula_injection_in_csv(untouched, wb_session, wb):
    grid = load_grid(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    text = form_csv(grid, "en").decode("utf-8-sig").replace(f"{POP},Dân số", f"{POP},=1+2")
    problems = refused(wb_session, wb, "bieu.csv", text.encode("utf-8"))
    assert len(problems) == 1 and problems[0].startswith("bieu.csv, row 11, column B: text starting with '='")


def test_refuses_a_header_of_another_unit_or_form_version(untouched, wb_session, wb):
    problems = refused(wb_session, wb, "bieu.xlsx", edited(untouched, {f"B{UNIT_ROW}": "WB_XA2",
                                                                        f"B{VERSION_ROW}": "1"}))
    assert problems == [
        f"bieu.xlsx, sheet WB_FORM, row {UNIT_ROW}, column B: the file is for reporting unit WB_XA2, this report's "
        f"is {COMMUNE1}: download this report's form",
        f"bieu.xlsx, sheet WB_FORM, row {VERSION_ROW}, column B: the file is for form version 1, this report's "
        f"is 2: download this report's form"]


def test_refuses_unknown_and_missing_rows_and_columns(untouched, wb_session, wb):
    content = edited(untouched, {f"A{ROW[RATE]}": "WB_NOPE", f"E{TABLE_ROW}": "Khác [other]"})
    problems = refused(wb_session, wb, "bieu.xlsx", content)
    assert problems == [
        f"bieu.xlsx, sheet WB_FORM, row {TABLE_ROW}, column E: unknown column 'Khác [other]': this form's columns "
        f"are total, male, female",
        "bieu.xlsx, sheet WB_FORM, row 12, column Male [male]: the column of category male is missing",
        f"bieu.xlsx, sheet WB_FORM, row {ROW[RATE]}, column A: unknown indicator 'WB_NOPE': not a row of this form",
        f"bieu.xlsx, sheet WB_FORM, column A: the row of indicator {RATE} is missing: every row of the form must stay",
    ]


def test_refuses_figures_that_are_not_numbers_and_lists_them_all(untouched, wb_session, wb):
    content = edited(untouched, {f"D{ROW[RATE]}": "nhiều", f"E{ROW[INCOME]}": "1.234", f"F{ROW[INCOME]}": True,
                                 f"D{ROW[INCOME]}": "12,5"})
    problems = refused(wb_session, wb, "bieu.xlsx", content)
    assert problems == [
        f"bieu.xlsx, sheet WB_FORM, row {ROW[RATE]}, column D: 'nhiều' is not a number",
        f"bieu.xlsx, sheet WB_FORM, row {ROW[INCOME]}, column E: '1.234' is ambiguous (1.234 or 1234): type it "
        f"without a thousands separator, e.g. 1234 or 1,2340",
        f"bieu.xlsx, sheet WB_FORM, row {ROW[INCOME]}, column F: True is not a number",
    ]


def test_refuses_figures_the_validation_refuses_at_their_place(untouched, wb_session, wb):
    problems = refused(wb_session, wb, "bieu.xlsx", edited(untouched, {f"D{ROW[RATE]}": 150, f"F{ROW[POP]}": 2.5}))
    assert problems == [
        f"bieu.xlsx, sheet WB_FORM, row {ROW[POP]}, column F: {POP} / female: 2.5 is not a whole number "
        f"(this indicator counts things)",
        f"bieu.xlsx, sheet WB_FORM, row {ROW[RATE]}, column D: {RATE} / total: 150 is above the largest allowed "
        f"value 100 (a percentage lies between 0 and 100)",
    ]


def test_refuses_a_report_that_is_locked(draft, wb_session, wb_engine, wb, signer):
    content = filled(draft)
    import_upload(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, "bieu.xlsx", content)
    submit(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 2, signer)
    wb_session.commit()
    before = stored(wb_engine)
    with pytest.raises(WritebackError, match=f"report of unit {COMMUNE1} .* cannot be changed: submitted"):
        import_upload(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, "bieu.xlsx",
                      edited(content, {f"D{ROW[POP]}": 1}))
    wb_session.rollback()
    assert stored(wb_engine) == before


@pytest.mark.parametrize("text, expected", [
    ("1234.5", 1234.5), ("1.234,5", 1234.5), ("1 234,5", 1234.5), ("1\u00a0234,5", 1234.5), ("1,234.5", 1234.5),
    ("1234,5", 1234.5), ("1.234.567", 1234567.0), ("1,234,567", 1234567.0), ("0,125", 0.125), ("-1,5", -1.5),
    ("1234.567", 1234.567), ("12", 12.0), (" 7 ", 7.0), ("1e3", 1000.0), ("1 234 567", 1234567.0),
])
def test_numbers_typed_as_text(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("1.234", "ambiguous"), ("12,500", "ambiguous"), ("1.2.3,4", "not a number"), ("12 34", "not a number"),
    ("1,2,3.4", "not a number"), ("abc", "not a number"), ("1.234,5,6", "more than one decimal mark"),
    ("5%", "not a number"), ("", "not a number"),
])
def test_text_that_is_not_a_number(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_number(text)


# --- PDF -----------------------------------------------------------------------------------


def _stream(body: bytes) -> bytes:
    head, _, rest = body.partition(b"stream")
    raw = rest.removeprefix(b"\r").removeprefix(b"\n")[:int(re.search(rb"/Length (\d+)", head).group(1))]
    return zlib.decompress(raw) if b"/FlateDecode" in head else raw


def pdf_text(content: bytes) -> str:
    """The text drawn in a PDF made by fpdf2: each Tj string decoded through its font's
    ToUnicode map (Identity-H, two bytes per glyph), one line per Tj."""
    objects = {int(number): body for number, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", content, re.S)}
    glyphs: dict[bytes, dict[bytes, str]] = {}
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", re.search(rb"/Font\s*<<(.*?)>>", content, re.S).group(1)):
        to_unicode = int(re.search(rb"/ToUnicode (\d+) 0 R", objects[int(number)]).group(1))
        cmap = _stream(objects[to_unicode])
        glyphs[name] = {bytes.fromhex(glyph.decode()): chr(int(char, 16))
                        for glyph, char in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,8})>", cmap)}
    shown = []
    for body in objects.values():
        if b"stream" not in body or b"/Length1" in body or b"CIDInit" in body:
            continue
        stream = _stream(body)
        font = None
        for token in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", stream, re.S):
            if token.group(1):
                font = token.group(1)
                continue
            raw = re.sub(rb"\\(.)", lambda match: {b"r": b"\r", b"n": b"\n"}.get(match.group(1), match.group(1)),
                         token.group(2))
            shown.append("".join(glyphs[font].get(raw[index:index + 2], "?") for index in range(0, len(raw), 2)))
    return "\n".join(shown)


def test_pdf_report_shows_the_report_in_vietnamese(draft, wb_session, wb, signer):
    import_upload(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, "bieu.xlsx", filled(draft))
    submission = submit(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 2, signer)
    wb_session.commit()
    content = report_pdf(wb_session, wb.approver_dept, submission.id, "vi")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for expected in ("BÁO CÁO SỐ LIỆU", "UBND xã một (WB_XA1)", "Biểu thử", "Dân số", "Thu nhập", "1.234,5",
                     "Đã gửi, chờ duyệt", submission.digest[:16], submission.signature[:16], "Gửi",
                     "wb_officer1"):
        assert expected in text, expected
    assert re.search(r"Trang 1/\n?1$", text)  # the page count is drawn apart from the rest
    return_submission(wb_session, wb.approver_dept, submission.id, "Kiểm tra lại thu nhập",
                      {(INCOME, "male"): "Số nam quá cao"})
    wb_session.commit()
    returned = pdf_text(report_pdf(wb_session, wb.officer1, submission.id, "vi"))
    assert "Trả lại" in returned and "Kiểm tra lại thu nhập" in returned
    assert f"{INCOME} / male: Số nam quá cao" in returned
    english = pdf_text(report_pdf(wb_session, wb.officer1, submission.id, "en"))
    assert "FIGURES REPORT" in english and "1,234.5" in english and re.search(r"Page 1 of \n?1$", english)


def test_pdf_report_needs_permission(draft, wb_session, wb):
    submission_id = stored_id(wb_session)
    with pytest.raises(WritebackError, match="may not see"):
        report_pdf(wb_session, wb.officer2, submission_id, "vi")
    with pytest.raises(WritebackError, match="no report with id -1"):
        report_pdf(wb_session, wb.admin, -1, "vi")


def stored_id(session) -> int:
    return session.scalars(select(Submission.id)).one()
