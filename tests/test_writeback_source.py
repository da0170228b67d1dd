"""Write-back source: figures approved in the operational DB reach the lake (SQLite and PostgreSQL opdb)."""
from __future__ import annotations

import json
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from ioc_app import geo
from ioc_app.config import load_settings
from ioc_app.errors import ConfigError, StoreError
from ioc_app.lake import connect, ensure_schema, snapshot_id
from ioc_app.opdb.catalog import import_catalog
from ioc_app.opdb.models import Form, Regime, Submission, SubmissionValue, Unit, User
from ioc_app.opdb.periods import fill_periods
from ioc_app.opdb.session import engine_for, migrate, session_scope
from ioc_app.writeback import approval
from ioc_app.writeback.actor import Actor
from pipelines import ingest, run_ingest, watermarks
from pipelines.pulls import approved
from tests import pg
from tests.demo_instance import IOC, REPO, clean_env, write_store_config

PROVINCE = "86"
SOURCE = "approved-figures"
UNITS = pd.DataFrame([
    ("UBND", "UBND tỉnh", "province_office", "", PROVINCE, "2025-07-01", ""),
    ("XA1", "UBND xã 1", "commune", "UBND", "{commune}", "2025-07-01", ""),
    ("OLDX", "UBND xã cũ", "commune", "UBND", "{old_commune}", "2010-01-01", "2025-06-30"),
], columns=["unit_code", "name", "kind", "parent_code", "area_code", "valid_from", "valid_to"])
INDICATORS = [
    {"code": "POP", "name_vi": "Dân số", "name_en": "Population", "unit": "người", "sector": "dân số",
     "frequency": "year", "aggregation": "sum", "direction": "up", "value_type": "integer",
     "level": "commune", "targets": {}},
    {"code": "RATE", "name_vi": "Tỷ lệ", "name_en": "Rate", "unit": "%", "sector": "y tế",
     "frequency": "month", "aggregation": "ratio", "direction": "up", "value_type": "percent",
     "level": "commune", "targets": {}},
]
CATEGORIES = [{"criterion": "sex", "name_vi": "Giới tính", "name_en": "Sex", "categories": [
    {"code": "total", "name_vi": "Tổng", "name_en": "Total"}, {"code": "male", "name_vi": "Nam", "name_en": "Male"}]}]
T0 = datetime(2025, 12, 20, 9, 0)


@pytest.fixture(scope="module")
def place() -> dict:
    """A current commune and an old commune (with its code) of the province."""
    crosswalk = geo.crosswalk(PROVINCE)
    old = crosswalk[crosswalk.old_level == "old_commune"].sort_values("old_key").iloc[0]
    return {"commune": old.new_key, "old_commune": old.old_key.removeprefix("old:")}


def write_catalog(folder: Path, place: dict) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    units = UNITS.assign(area_code=[code.format(**place) for code in UNITS.area_code])
    units.to_csv(folder / "units.csv", index=False)
    (folder / "indicators.json").write_text(json.dumps(INDICATORS, ensure_ascii=False), encoding="utf-8")
    (folder / "categories.json").write_text(json.dumps(CATEGORIES, ensure_ascii=False), encoding="utf-8")
    return {kind: folder / name for kind, name in (("units", "units.csv"), ("indicators", "indicators.json"),
                                                   ("categories", "categories.json"))}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/opdb.sqlite"
        return
    name = pg.create_database("ioc_writeback")
    try:
        yield pg.sqlalchemy_url(name)
    finally:
        pg.drop_database(name)


def make_settings(root: Path, database_url: str):
    return load_settings(write_store_config(
        root, PROVINCE, f"sources:\n  - {{name: {SOURCE}, kind: reports, writeback: true}}\n", database_url))


def build_stores(root: Path, database_url: str, place: dict):
    """A migrated operational DB with the catalog and the periods, and a lake with the same catalog."""
    settings = make_settings(root, database_url)
    files = write_catalog(root / "catalog", place)
    migrate(settings.database_url)
    engine = engine_for(settings.database_url)
    with session_scope(engine) as session:
        import_catalog(session, files["units"], files["indicators"], geo.areas(PROVINCE))
        fill_periods(session, date(2025, 1, 1), date(2025, 12, 31))
    with connect(settings) as con:
        ensure_schema(con)
        run_ingest(settings, "areas", None, con=con)
        for kind, path in files.items():
            run_ingest(settings, kind, path, con=con)
    return settings, engine


@pytest.fixture
def stores(tmp_path, database_url, place):
    settings, engine = build_stores(tmp_path, database_url, place)
    yield settings, engine
    engine.dispose()


def submit(engine, unit: str, period: str, status: str, values: list[tuple], approved_at: datetime | None = None,
           version: int = 1, regime: str | None = None) -> int:
    """A submission with (indicator, category, area_key, value) cells; returns its id."""
    with session_scope(engine) as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
        submission = Submission(unit_id=unit_id, period_code=period, status=status, version=version,
                                regime_code=regime, approved_at=approved_at if status == "approved" else None)
        submission.values = [SubmissionValue(indicator_code=indicator, category_code=category, area_key=area,
                                             value=value) for indicator, category, area, value in values]
        session.add(submission)
        session.flush()
        return submission.id


def reapprove(engine, submission_id: int, values: dict[tuple[str, str], float], approved_at: datetime) -> None:
    """Send a submission back, correct cells (indicator, category) -> value, approve it again as a new version."""
    with session_scope(engine) as session:
        submission = session.get(Submission, submission_id)
        submission.status, submission.approved_at = "returned", None
    with session_scope(engine) as session:
        submission = session.get(Submission, submission_id)
        for cell in submission.values:
            cell.value = values.get((cell.indicator_code, cell.category_code), cell.value)
        submission.status, submission.version, submission.approved_at = "approved", submission.version + 1, approved_at


def rows(settings, sql: str, params: list | None = None) -> list[tuple]:
    with connect(settings, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_approved_figures_land_once_and_a_reapproved_version_replaces_the_value(stores, place):
    settings, engine = stores
    commune, old_key = place["commune"], f"old:{place['old_commune']}"
    first = submit(engine, "XA1", "2025", "approved",
                   [("POP", "total", commune, 1200.0), ("POP", "male", commune, 590.0)], approved_at=T0)
    submit(engine, "XA1", "2025-11", "draft", [("RATE", "total", commune, 11.0)])
    submit(engine, "XA1", "2025-10", "submitted", [("RATE", "total", commune, 12.0)])
    submit(engine, "XA1", "2025-09", "returned", [("RATE", "total", commune, 13.0)])

    report = approved.pull(settings, SOURCE)
    assert (report.read, report.loaded, report.quarantined) == (2, 2, 0)
    assert rows(settings, "SELECT submission_id, unit_code, area_key, period, category_code, value, approved_at, "
                          "source FROM fact_indicator_value ORDER BY category_code") == [
        (f"XA1/2025/v1/{first}", "XA1", commune, "2025", "male", 590.0, T0, SOURCE),
        (f"XA1/2025/v1/{first}", "XA1", commune, "2025", "total", 1200.0, T0, SOURCE)]
    assert rows(settings, "SELECT watermark FROM source_watermark WHERE source = ?", [SOURCE]) == [(T0,)]

    snapshot = rows(settings, "SELECT id FROM lake.current_snapshot()")
    again = approved.pull(settings, SOURCE)
    assert again.loaded == 0 and again.unchanged
    assert rows(settings, "SELECT id FROM lake.current_snapshot()") == snapshot  # nothing written at all

    # approved later (committed after the watermark's approval but stamped a little before it: inside the
    # overlap), by a unit that ceased at the reform and reports with its old commune's code
    late = submit(engine, "OLDX", "2025-03", "approved", [("RATE", "total", old_key, 42.5)],
                  approved_at=T0 - timedelta(minutes=2))
    report = approved.pull(settings, SOURCE)
    assert (report.loaded, report.quarantined) == (1, 0)
    assert rows(settings, "SELECT area_key, original_area_code, value FROM fact_indicator_value "
                          "WHERE submission_id = ?", [f"OLDX/2025-03/v1/{late}"]) == [
        (old_key, place["old_commune"], 42.5)]

    reapprove(engine, first, {("POP", "total"): 1250.0}, T0 + timedelta(days=2))
    report = approved.pull(settings, SOURCE)
    assert (report.read, report.loaded) == (3, 2)  # the late figure is inside the overlap again: skipped
    assert rows(settings, "SELECT submission_id, value FROM fact_indicator_value "
                          "WHERE indicator_code = 'POP' AND category_code = 'total' ORDER BY approved_at") == [
        (f"XA1/2025/v1/{first}", 1200.0), (f"XA1/2025/v2/{first}", 1250.0)]  # history kept
    assert rows(settings, "SELECT area_key, value FROM agg_indicator_area WHERE indicator_code = 'POP' "
                          "AND period = '2025' AND category_code = 'total' ORDER BY level") == [
        (commune, 1250.0), (PROVINCE, 1250.0)]
    assert rows(settings, "SELECT value FROM agg_indicator_area WHERE indicator_code = 'POP' AND area_key = ? "
                          "AND category_code = 'male'", [commune]) == [(590.0,)]
    # drafts, submitted and returned submissions never reach the lake
    assert rows(settings, "SELECT count(*) FROM fact_indicator_value WHERE indicator_code = 'RATE'") == [(1,)]
    assert rows(settings, "SELECT watermark FROM source_watermark WHERE source = ?", [SOURCE]) == [
        (T0 + timedelta(days=2),)]


def yearly_regime_and_office_approver(engine) -> Actor:
    """Regime R (yearly, no receiving unit: XA1's chain is the province office) and an approver of the office."""
    with session_scope(engine) as session:
        session.add(Form(code="F", name_vi="Biểu", name_en="Form"))
        session.flush()
        session.add(Regime(code="R", name_vi="Năm", name_en="Yearly", kind="periodic", period_type="year",
                           form_code="F"))
        office = session.scalar(select(Unit.id).where(Unit.code == "UBND"))
        session.add(User(username="approver", role_code="approver", unit_id=office, password_hash="!"))
        return Actor("approver", "approver", office)


def act(engine, action, *args) -> None:
    with session_scope(engine) as session:
        action(session, *args)


def test_an_unapproved_report_leaves_the_store_in_one_pull_and_comes_back_when_approved_again(stores, place):
    settings, engine = stores
    commune = place["commune"]
    approver = yearly_regime_and_office_approver(engine)
    first = submit(engine, "XA1", "2025", "approved", [("POP", "total", commune, 1200.0),
                                                       ("POP", "male", commune, 590.0)], approved_at=T0, regime="R")
    other = submit(engine, "XA1", "2025-10", "approved", [("RATE", "total", commune, 12.0)], approved_at=T0,
                   regime="R")
    approved.pull(settings, SOURCE)
    reapprove(engine, first, {("POP", "total"): 1250.0}, T0 + timedelta(hours=1))
    approved.pull(settings, SOURCE)
    pop = ("SELECT submission_id, category_code, value FROM fact_indicator_value WHERE indicator_code = 'POP' "
           "ORDER BY submission_id, category_code")
    rollup = ("SELECT area_key, category_code, value FROM agg_indicator_area WHERE indicator_code = 'POP' "
              "ORDER BY level, category_code")
    assert len(rows(settings, pop)) == 4  # v1 and v2
    assert rows(settings, rollup) == [(commune, "male", 590.0), (commune, "total", 1250.0),
                                      (PROVINCE, "male", 590.0), (PROVINCE, "total", 1250.0)]

    act(engine, approval.unapprove, approver, first, "census base revised")
    assert approved.pull(settings, SOURCE, dry_run=True).loaded == 0
    assert len(rows(settings, pop)) == 4  # a dry run withdraws nothing
    approved.pull(settings, SOURCE)
    assert rows(settings, pop) == [] and rows(settings, rollup) == []  # every version withdrawn, rollup rebuilt
    assert rows(settings, "SELECT submission_id, value FROM fact_indicator_value") == [
        (f"XA1/2025-10/v1/{other}", 12.0)]
    assert rows(settings, "SELECT rows_read, rows_loaded, status FROM ingest_batch WHERE status = 'withdrawn'") == [
        (4, 0, "withdrawn")]
    snapshot = rows(settings, "SELECT id FROM lake.current_snapshot()")
    assert approved.pull(settings, SOURCE).loaded == 0
    assert rows(settings, "SELECT id FROM lake.current_snapshot()") == snapshot  # the old unapproval removes nothing

    act(engine, approval.approve, approver, first, None)
    approved.pull(settings, SOURCE)
    assert rows(settings, pop) == [(f"XA1/2025/v2/{first}", "male", 590.0), (f"XA1/2025/v2/{first}", "total", 1250.0)]
    assert rows(settings, rollup)[:2] == [(commune, "male", 590.0), (commune, "total", 1250.0)]

    # unapproved, returned, corrected and approved again between two pulls: the new version replaces it
    act(engine, approval.unapprove, approver, first, "one more fix")
    act(engine, approval.return_submission, approver, first, "fix the male count")
    with session_scope(engine) as session:
        submission = session.get(Submission, first)
        for cell in submission.values:
            cell.value = 600.0 if cell.category_code == "male" else cell.value
        submission.status, submission.version = "submitted", submission.version + 1
        submission.awaiting_unit_id = approver.unit_id
    act(engine, approval.approve, approver, first, None)
    approved.pull(settings, SOURCE)
    assert rows(settings, rollup)[:2] == [(commune, "male", 600.0), (commune, "total", 1250.0)]
    assert rows(settings, pop)[-2:] == [(f"XA1/2025/v3/{first}", "male", 600.0),
                                        (f"XA1/2025/v3/{first}", "total", 1250.0)]


def test_dry_run_and_a_refused_row_leave_the_watermark_alone_or_quarantine_with_the_reason(stores, place):
    settings, engine = stores
    submit(engine, "XA1", "2025", "approved", [("POP", "total", place["commune"], 10.0)], approved_at=T0)
    report = approved.pull(settings, SOURCE, dry_run=True)
    assert report.loaded == 1
    assert rows(settings, "SELECT count(*) FROM fact_indicator_value") == [(0,)]
    with connect(settings) as con:
        assert watermarks.read(con, SOURCE) is None

    # a unit the lake's catalog does not know yet: quarantined with its reason, the others load
    with session_scope(engine) as session:
        session.add(Unit(code="NEW", name="Đơn vị mới", kind="department", area_key=PROVINCE))
    submit(engine, "NEW", "2025", "approved", [("POP", "total", PROVINCE, 5.0)], approved_at=T0 + timedelta(hours=1))
    report = approved.pull(settings, SOURCE)
    assert (report.loaded, report.quarantined, report.reasons) == (1, 1, {"unknown unit_code": 1})
    assert rows(settings, "SELECT column_name, source FROM quarantine") == [("unit_code", SOURCE)]


def test_an_unmigrated_operational_db_is_one_line_and_stores_nothing(tmp_path):
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/empty.sqlite")
    engine_for(settings.database_url).dispose()  # the file exists, without tables
    with connect(settings) as con:
        ensure_schema(con)
        before = snapshot_id(con)
        with pytest.raises(StoreError, match=r"^operational DB sqlite:///.*empty.sqlite: cannot read the approved "
                                             r"submissions \(no such table: submissions\); run `ioc init`"):
            approved.pull(settings, SOURCE, con=con)
        assert snapshot_id(con) == before


def test_a_writeback_source_feeds_reports_only(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("sources:\n  - {name: figures, kind: tickets, writeback: true}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="writeback feeds reports only"):
        load_settings(config)
    config.write_text("sources:\n  - {name: figures, kind: reports, writeback: true, inbox: x}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="needs exactly one of inbox, open311, sensorthings, writeback"):
        load_settings(config)


def test_cli_pulls_the_configured_writeback_source(tmp_path, place):
    settings, engine = build_stores(tmp_path, f"sqlite:///{tmp_path}/opdb.sqlite", place)
    submit(engine, "XA1", "2025", "approved", [("POP", "total", place["commune"], 7.0)], approved_at=T0)
    engine.dispose()

    def ioc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*IOC, "--config", str(settings.base_dir / "config.yaml"), *args], check=False,
                              capture_output=True, text=True, cwd=REPO, env=clean_env(), timeout=120)

    result = ioc("ingest", "reports", "--writeback", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["loaded"] == 1
    assert rows(settings, "SELECT source FROM fact_indicator_value") == [(SOURCE,)]
    refused = ioc("ingest", "tickets", "--writeback")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "error: ingest tickets: --writeback feeds reports only (ioc ingest reports --writeback)")


CRASH_PULL = """
import os, sys
from ioc_app.config import load_settings
from pipelines import ingest
from pipelines.pulls import approved

def crash(batch, table):
    os._exit(3)  # the process dies after the withdrawal ran, before the batch commits

ingest.KINDS["reports"] = crash
approved.pull(load_settings(sys.argv[1]), sys.argv[2])
"""


def test_a_withdrawal_and_new_approvals_commit_together_or_not_at_all(stores, place, monkeypatch):
    settings, engine = stores
    commune = place["commune"]
    approver = yearly_regime_and_office_approver(engine)
    first = submit(engine, "XA1", "2025", "approved", [("POP", "total", commune, 1200.0)], approved_at=T0,
                   regime="R")
    approved.pull(settings, SOURCE)
    act(engine, approval.unapprove, approver, first, "census base revised")
    second = submit(engine, "XA1", "2025-10", "approved", [("RATE", "total", commune, 12.0)],
                    approved_at=T0 + timedelta(hours=1), regime="R")
    state = ("SELECT submission_id, value FROM fact_indicator_value ORDER BY submission_id", "SELECT status, "
             "rows_read FROM ingest_batch WHERE kind = 'reports' ORDER BY started_at, status",
             "SELECT watermark FROM source_watermark", "SELECT area_key, value FROM agg_indicator_area "
             "WHERE indicator_code = 'POP' AND category_code = 'total' ORDER BY level")
    before = [rows(settings, sql) for sql in state]
    assert before[0] == [(f"XA1/2025/v1/{first}", 1200.0)]

    crashed = subprocess.run([*IOC[:1], "-c", CRASH_PULL, str(settings.base_dir / "config.yaml"), SOURCE],
                             capture_output=True, text=True, cwd=REPO, env=clean_env(), timeout=120)
    assert crashed.returncode == 3, crashed.stderr
    assert [rows(settings, sql) for sql in state] == before  # killed mid-batch: neither is visible

    def refuse(batch, table):
        raise StoreError("the reports loader failed")

    monkeypatch.setitem(ingest.KINDS, "reports", refuse)
    with pytest.raises(StoreError, match="the reports loader failed"):
        approved.pull(settings, SOURCE)
    assert [rows(settings, sql) for sql in state] == before  # a failure of the new approvals keeps the old figures
    monkeypatch.undo()

    report = approved.pull(settings, SOURCE)
    assert report.loaded == 1
    assert rows(settings, state[0]) == [(f"XA1/2025-10/v1/{second}", 12.0)]
    assert rows(settings, state[3]) == []
    assert [status for status, _ in rows(settings, state[1])][-2:] in (["loaded", "withdrawn"],
                                                                        ["withdrawn", "loaded"])
