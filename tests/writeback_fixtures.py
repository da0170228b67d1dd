"""A small write-back catalog for tests, on SQLite and PostgreSQL.

`build_catalog(session)` adds, with the models directly: a province area and two commune
areas; units WB_OFFICE (province office) > WB_DEPT_A, WB_DEPT_B (departments), WB_XA1,
WB_XA2 (communes); indicators WB_POP (integer, sum), WB_RATE (percent, ratio) and WB_INCOME
(number, sum, max 1e6) with the categories total / male / female; form WB_FORM with
version 1 (POP, RATE; valid from 2020-01-01) and version 2 (POP, RATE, INCOME; valid from
2025-01-01); the quarterly regime WB_Q received by WB_DEPT_A, reported by both communes and
WB_DEPT_B (cut-off on the quarter's last day, deadline 10 days later); periods from 2024 up
to today; and one account per role (see ACCOUNTS). It returns a SimpleNamespace of codes,
ids and Actors, never ORM objects, so it can be shared across sessions.

Use in a test module one of these two lines:

    pytest_plugins = ("tests.writeback_fixtures",)
    from tests.writeback_fixtures import wb, wb_database, wb_engine, wb_session, wb_url  # noqa: F401

`copy_installation(instance, root)` copies a whole installation (the session demo) into
`root` for a test that changes its stores (a browser cycle that approves and ingests), so
nothing it writes reaches the other tests.

(PYTEST_DONT_REWRITE: this module holds no asserts; the marker keeps pytest from warning
when a test module imported it before it was registered as a plugin.)

`wb_url`/`wb_engine`/`wb` are module-scoped (one migrated database per backend and
module); `wb_session` is a fresh Session per test, and every report, event, comment and
exception is deleted after the test (audit entries stay: the log is append-only).
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from ioc_app.clock import today_ict
from ioc_app.opdb.models import (
    Area,
    Category,
    CellComment,
    Disaggregation,
    EntryException,
    Form,
    FormVersion,
    Indicator,
    MeasureUnit,
    Regime,
    RegimeUnit,
    Sector,
    Submission,
    SubmissionEvent,
    SubmissionValue,
    Unit,
    User,
)
from ioc_app.opdb.periods import fill_periods
from ioc_app.opdb.session import engine_for, migrate
from ioc_app.writeback.actor import Actor
from tests import pg
from tests.demo_instance import Instance

OFFICE, DEPT_A, DEPT_B, COMMUNE1, COMMUNE2 = "WB_OFFICE", "WB_DEPT_A", "WB_DEPT_B", "WB_XA1", "WB_XA2"
POP, RATE, INCOME = "WB_POP", "WB_RATE", "WB_INCOME"
FORM, REGIME = "WB_FORM", "WB_Q"
COLUMNS = ["total", "male", "female"]
# Accounts never sign in here: a hash no password matches.
NO_PASSWORD = "!"
# name -> (role, unit code or None)
ACCOUNTS = {
    "wb_admin": ("admin", None),
    "wb_officer1": ("officer", COMMUNE1),
    "wb_officer1b": ("officer", COMMUNE1),
    "wb_officer2": ("officer", COMMUNE2),
    "wb_officer_dept_b": ("officer", DEPT_B),
    "wb_approver1": ("approver", COMMUNE1),
    "wb_approver_dept": ("approver", DEPT_A),
    "wb_approver_dept_b": ("approver", DEPT_B),
    "wb_approver_office": ("approver", OFFICE),
    "wb_leader": ("leader", OFFICE),
}


def quarter_code(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _indicator(code: str, name: str, unit: str, value_type: str, aggregation: str, **extra) -> Indicator:
    return Indicator(code=code, name_vi=name, name_en=name, unit=unit, sector_code="wb_sector", frequency="quarter",
                     aggregation=aggregation, direction="up", value_type=value_type, level="commune", **extra)


def build_catalog(session: Session) -> SimpleNamespace:
    """Add the test catalog (see the module docstring) and flush; returns codes, ids and Actors."""
    session.add_all([
        Area(key="wb:86", code="86", name="Tỉnh thử", level="province"),
        Area(key="wb:86001", code="86001", name="Xã một", level="commune", parent_key="wb:86"),
        Area(key="wb:86002", code="86002", name="Xã hai", level="commune", parent_key="wb:86"),
        Sector(code="wb_sector", name_vi="Dân số", name_en="Population"),
        MeasureUnit(code="người", name_vi="người", name_en="persons"),
        MeasureUnit(code="%", name_vi="%", name_en="%"),
        Disaggregation(code="total", name_vi="Tổng", name_en="Total"),
        Disaggregation(code="sex", name_vi="Giới tính", name_en="Sex"),
    ])
    session.flush()
    session.add_all([
        Category(code="total", disaggregation_code="total", name_vi="Tổng số", name_en="Total", sort=0),
        Category(code="male", disaggregation_code="sex", name_vi="Nam", name_en="Male", sort=1),
        Category(code="female", disaggregation_code="sex", name_vi="Nữ", name_en="Female", sort=2),
        _indicator(POP, "Dân số", "người", "integer", "sum"),
        _indicator(RATE, "Tỷ lệ", "%", "percent", "ratio"),
        _indicator(INCOME, "Thu nhập", "người", "number", "sum", max_value=1e6),
        Form(code=FORM, name_vi="Biểu thử", name_en="Test form"),
    ])
    office = Unit(code=OFFICE, name="UBND tỉnh thử", kind="province_office", area_key="wb:86")
    session.add(office)
    session.flush()
    units = {OFFICE: office}
    for code, name, kind, area in ((DEPT_A, "Sở A", "department", "wb:86"), (DEPT_B, "Sở B", "department", "wb:86"),
                                   (COMMUNE1, "UBND xã một", "commune", "wb:86001"),
                                   (COMMUNE2, "UBND xã hai", "commune", "wb:86002")):
        units[code] = Unit(code=code, name=name, kind=kind, parent_id=office.id, area_key=area)
    session.add_all(list(units.values()))
    session.flush()
    v1 = FormVersion(form_code=FORM, version=1, valid_from=date(2020, 1, 1), rows=json.dumps([POP, RATE]),
                     columns=json.dumps(COLUMNS), created_by="wb_admin")
    v2 = FormVersion(form_code=FORM, version=2, valid_from=date(2025, 1, 1), rows=json.dumps([POP, RATE, INCOME]),
                     columns=json.dumps(COLUMNS), created_by="wb_admin")
    regime = Regime(code=REGIME, name_vi="Báo cáo quý", name_en="Quarterly report", kind="periodic",
                    period_type="quarter", form_code=FORM, receiver_unit_id=units[DEPT_A].id, cutoff_day=0,
                    deadline_days=10, start_date=date(2024, 1, 1), active=True)
    session.add_all([v1, v2, regime])
    session.flush()
    session.add_all([RegimeUnit(regime_code=REGIME, unit_id=units[code].id) for code in (COMMUNE1, COMMUNE2, DEPT_B)])
    today = today_ict()
    fill_periods(session, date(2024, 1, 1), today)
    actors = {}
    for name, (role, unit_code) in ACCOUNTS.items():
        unit_id = units[unit_code].id if unit_code else None
        session.add(User(username=name, full_name=name, role_code=role, unit_id=unit_id, password_hash=NO_PASSWORD,
                         must_change_password=False))
        actors[name] = Actor(name, role, unit_id)
    session.flush()
    return SimpleNamespace(
        unit_ids={code: unit.id for code, unit in units.items()},
        form_version_ids={1: v1.id, 2: v2.id},
        regime=REGIME, form=FORM, columns=COLUMNS,
        open_period=quarter_code(today),
        closed_period="2025-Q1",
        v1_period="2024-Q4",
        actors=actors,
        admin=actors["wb_admin"], officer1=actors["wb_officer1"], officer1b=actors["wb_officer1b"],
        officer2=actors["wb_officer2"], officer_dept_b=actors["wb_officer_dept_b"],
        approver1=actors["wb_approver1"], approver_dept=actors["wb_approver_dept"],
        approver_dept_b=actors["wb_approver_dept_b"], approver_office=actors["wb_approver_office"],
        leader=actors["wb_leader"],
    )


def clear_reports(engine: Engine) -> None:
    """Delete every report, event, cell comment and entry exception (not the audit log)."""
    with Session(engine) as session:
        for model in (CellComment, SubmissionEvent, SubmissionValue, Submission, EntryException):
            session.execute(delete(model))
        session.commit()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def wb_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('wb') / 'opdb.sqlite'}"
        return
    name = pg.create_database("ioc_wb_test")
    try:
        yield pg.sqlalchemy_url(name)
    finally:
        pg.drop_database(name)


@pytest.fixture(scope="module")
def wb_database(wb_url) -> Iterator[tuple[Engine, SimpleNamespace]]:
    """A migrated operational DB holding the test catalog, and build_catalog's namespace."""
    migrate(wb_url)
    engine = engine_for(wb_url)
    with Session(engine) as session:
        catalog = build_catalog(session)
        session.commit()
    yield engine, catalog
    engine.dispose()


@pytest.fixture(scope="module")
def wb_engine(wb_database) -> Engine:
    return wb_database[0]


@pytest.fixture(scope="module")
def wb(wb_database) -> SimpleNamespace:
    return wb_database[1]


@pytest.fixture
def wb_session(wb_engine) -> Iterator[Session]:
    session = Session(wb_engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()
        clear_reports(wb_engine)


def copy_installation(instance: Instance, root: Path) -> Instance:
    """`instance` (SQLite operational DB and lake catalog, as the demo) copied into `root`.

    The lake's files keep their paths relative to its data path; the catalog records that data
    path itself, so the copy's catalog is pointed at its own folder."""
    shutil.copytree(instance.root, root, ignore=shutil.ignore_patterns("serve-*.log"))
    copy = Instance(root, root / instance.config.name)
    catalog = root / "data" / "lake" / "catalog.sqlite"
    with sqlite3.connect(catalog) as con:
        con.execute("UPDATE ducklake_metadata SET value = ? WHERE key = 'data_path'",
                    [f"{root / 'data' / 'lake' / 'files'}/"])
    con.close()
    return copy
