"""`ioc report import|export|approve` on the write-back test catalog (SQLite and PostgreSQL),
run in-process: exit codes, one line per refused figure, nothing stored on refusal."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.cli import main
from ioc_app.config import Settings
from ioc_app.opdb.models import Submission, SubmissionValue
from ioc_app.writeback.entry import load_grid, submit
from ioc_app.writeback.signing import Signer
from ioc_app.writeback.workbook import form_workbook
from tests.writeback_fixtures import COMMUNE1, POP, RATE, REGIME

pytest_plugins = ("tests.writeback_fixtures",)

POP_ROW, RATE_ROW = 13, 14


@pytest.fixture
def ioc(wb_url, wb_session, tmp_path, monkeypatch, capsys):
    """Run `ioc --config <a config on the test database> ARGS...`: (exit code, stdout lines, stderr lines)."""
    for name in ("IOC_CONFIG", "IOC_DATABASE_URL", "IOC_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config.yaml"
    config.write_text(f"province: 'Vĩnh Long'\ndata_dir: data\ndatabase_url: '{wb_url}'\n", encoding="utf-8")

    def run(*args: str) -> tuple[int, list[str], list[str]]:
        code = main(["--config", str(config), *args])
        out, err = capsys.readouterr()
        return code, out.splitlines(), err.splitlines()

    return run


@pytest.fixture
def form(wb_session, wb, tmp_path):
    """COMMUNE1's empty form for the open period, filled in with openpyxl: a function of the cell edits."""
    blank = form_workbook(load_grid(wb_session, wb.admin, COMMUNE1, REGIME, wb.open_period), "vi")
    wb_session.rollback()

    def fill(edits: dict[str, object]) -> str:
        book = load_workbook(io.BytesIO(blank))
        for coordinate, value in edits.items():
            book.active[coordinate] = value
        path = tmp_path / "bieu.xlsx"
        book.save(path)
        return str(path)

    return fill


def stored(engine) -> dict:
    with Session(engine) as session:
        return {(row.indicator_code, row.category_code): row.value
                for row in session.scalars(select(SubmissionValue))}


def test_import_stores_the_file(ioc, form, wb_engine, wb):
    path = form({f"D{POP_ROW}": 100, f"E{POP_ROW}": 40, f"F{POP_ROW}": "60", f"D{RATE_ROW}": "12,5"})
    code, out, err = ioc("report", "import", path, "--unit", COMMUNE1, "--period", wb.open_period,
                         "--user", "wb_officer1")
    assert (code, err) == (0, [])
    assert out[0].startswith(f"stored bieu.xlsx as the draft of {COMMUNE1} {REGIME} {wb.open_period} (report ")
    assert stored(wb_engine) == {(POP, "total"): 100.0, (POP, "male"): 40.0, (POP, "female"): 60.0,
                                 (RATE, "total"): 12.5}


def test_import_lists_every_error_and_stores_nothing(ioc, form, wb_engine, wb):
    path = form({f"D{POP_ROW}": "nhiều", f"E{POP_ROW}": "=1+1", f"D{RATE_ROW}": 150})
    code, out, err = ioc("report", "import", path, "--unit", COMMUNE1, "--period", wb.open_period,
                         "--regime", REGIME, "--user", "wb_officer1")
    assert code == 1 and out == []
    assert err == [
        f"error: bieu.xlsx, sheet WB_FORM, row {POP_ROW}, column E: a formula (=1+1): type the figure itself",
        f"error: bieu.xlsx, sheet WB_FORM, row {POP_ROW}, column D: 'nhiều' is not a number",
        f"error: bieu.xlsx, sheet WB_FORM, row {RATE_ROW}, column D: {RATE} / total: 150 is above the largest "
        f"allowed value 100 (a percentage lies between 0 and 100)",
        f"error: {path}: 3 problems, nothing stored",
    ]
    assert stored(wb_engine) == {}


def test_import_refusals_are_one_line(ioc, form, wb):
    code, _, err = ioc("report", "import", form({}), "--unit", COMMUNE1, "--period", wb.open_period,
                       "--user", "nobody")
    assert (code, err) == (1, ["error: no active account 'nobody'"])
    code, _, err = ioc("report", "import", form({}), "--unit", COMMUNE1, "--period", wb.open_period,
                       "--user", "wb_officer2")
    assert code == 1 and len(err) == 1 and "wb_officer2 may not" in err[0]
    code, _, err = ioc("report", "import", "/nonexistent/bieu.xlsx", "--unit", COMMUNE1, "--period",
                       wb.open_period, "--user", "wb_officer1")
    assert (code, err) == (1, ["error: /nonexistent/bieu.xlsx: No such file or directory"])


def test_export_xlsx_and_pdf(ioc, form, wb, tmp_path):
    out_xlsx, out_pdf = tmp_path / "out.xlsx", tmp_path / "out.pdf"
    code, _, err = ioc("report", "export", "--unit", COMMUNE1, "--period", wb.open_period, "--format", "pdf",
                       "--out", str(out_pdf))
    assert code == 1 and err == [f"error: {COMMUNE1} {REGIME} {wb.open_period}: nothing saved yet, no report to print"]
    ioc("report", "import", form({f"D{POP_ROW}": 7}), "--unit", COMMUNE1, "--period", wb.open_period,
        "--user", "wb_officer1")
    code, out, _ = ioc("report", "export", "--unit", COMMUNE1, "--period", wb.open_period, "--format", "xlsx",
                       "--out", str(out_xlsx), "--user", "wb_approver_dept")
    assert code == 0 and out[0].startswith(f"wrote {out_xlsx} (")
    assert load_workbook(out_xlsx).active[f"D{POP_ROW}"].value == 7
    code, _, _ = ioc("report", "export", "--unit", COMMUNE1, "--period", wb.open_period, "--format", "pdf",
                     "--out", str(out_pdf))
    assert code == 0 and out_pdf.read_bytes().startswith(b"%PDF")


def test_bulk_approve(ioc, form, wb_session, wb_engine, wb, tmp_path):
    path = form({f"{column}{row}": value for row, values in ((POP_ROW, (10, 4, 6)), (RATE_ROW, (50, 40, 60)),
                                                             (15, (1, 0.5, 0.5)))
                 for column, value in zip("DEF", values)})
    assert ioc("report", "import", path, "--unit", COMMUNE1, "--period", wb.open_period, "--user",
               "wb_officer1")[0] == 0
    signer = Signer.for_settings(Settings(data_dir=tmp_path / "keys"))
    report = submit(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 1, signer)
    wb_session.commit()
    code, _, err = ioc("report", "approve", "--user", "wb_approver_office", "--ids", str(report.id))
    assert code == 1 and len(err) == 1
    assert ioc("report", "approve", "--user", "wb_approver_dept", "--all-submitted", "--period", "2000-Q1")[1] == [
        "approved 0 reports"]
    code, out, _ = ioc("report", "approve", "--user", "wb_approver_dept", "--all-submitted", "--period",
                       wb.open_period)
    assert (code, out) == (0, [f"approved 1 reports: {report.id}"])
    code, out, _ = ioc("report", "approve", "--user", "wb_approver_office", "--ids", str(report.id))
    assert (code, out) == (0, [f"approved 1 reports: {report.id}"])
    with Session(wb_engine) as session:
        assert session.get(Submission, report.id).status == "approved"
