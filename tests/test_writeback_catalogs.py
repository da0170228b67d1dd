"""Write-back catalogs and forms: admin-only services, validation, audit, the demo's catalog import.

One migrated database per backend (SQLite file, throw-away PostgreSQL) holds the catalog of
a small demo province; the tests use codes of their own so they do not disturb each other.
"""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from ioc_app import geo
from ioc_app.demo.catalog import write_catalog
from ioc_app.demo.context import make_context
from ioc_app.demo.writeback_catalog import writeback_catalog
from ioc_app.demo.writers import write_json
from ioc_app.errors import SourceError, WritebackError
from ioc_app.opdb.catalog import import_catalog
from ioc_app.opdb.models import AuditEntry, Category, Period, Regime, RegimeUnit, Submission, Unit
from ioc_app.opdb.session import engine_for, migrate, session_scope
from ioc_app.writeback import catalogs, forms
from ioc_app.writeback.actor import Actor
from ioc_app.writeback.catalog_import import import_writeback_catalog
from layouts.catalogs import tree_rows
from tests.pg import create_database, drop_database, sqlalchemy_url

PROVINCE = "12"
ADMIN = Actor("cat_admin", "admin", None)
OFFICER = Actor("cat_officer", "officer", None)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory):
    """(engine, writeback.json path, counts of the first import) on a freshly imported demo catalog."""
    folder = tmp_path_factory.mktemp(f"catalogs-{request.param}")
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'ioc.db'}"
    else:
        name = create_database("ioc_catalogs_test")
        url = sqlalchemy_url(name)
    migrate(url)
    engine = engine_for(url)
    ctx = make_context(PROVINCE, 7, date(2026, 11, 20), 0.1)
    files = write_catalog(ctx, folder / "catalog")
    path = write_json(writeback_catalog(ctx), folder / "catalog" / "writeback.json")
    with session_scope(engine) as session:
        import_catalog(session, files["units"][0], files["indicators"][0], geo.areas(PROVINCE))
    with session_scope(engine) as session:
        counts = import_writeback_catalog(session, path)
    yield engine, path, counts
    engine.dispose()
    if name is not None:
        drop_database(name)


def audit_count(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def last_audit(engine) -> AuditEntry:
    with session_scope(engine) as session:
        return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()


def refused(engine, match: str, action) -> None:
    """`action(session)` raises WritebackError matching `match` and leaves no audit entry."""
    before = audit_count(engine)
    with pytest.raises(WritebackError, match=match), session_scope(engine) as session:
        action(session)
    assert audit_count(engine) == before


# --- the demo's catalog --------------------------------------------------------------------


def test_demo_import_creates_the_regimes_and_a_second_import_changes_nothing(db):
    engine, path, counts = db
    with session_scope(engine) as session:
        communes = session.scalars(select(Unit.code).where(Unit.kind == "commune", Unit.valid_to.is_(None))).all()
        quarterly = session.get(Regime, "XA-QUY")
        yearly = session.get(Regime, "XA-NAM")
        assert (quarterly.kind, quarterly.period_type, quarterly.form_code) == ("periodic", "quarter", "BM-XA-QUY")
        assert quarterly.receiver.code == f"{PROVINCE}.SNNMT" and yearly.receiver.code == f"{PROVINCE}.TK"
        assert (quarterly.cutoff_day, quarterly.deadline_days, yearly.deadline_days) == (0, 15, 45)
        reporting = session.scalars(select(Unit.code).join(RegimeUnit, RegimeUnit.unit_id == Unit.id)
                                    .where(RegimeUnit.regime_code == "XA-NAM")).all()
        assert sorted(reporting) == sorted(communes) and communes
        quarter_layout = forms.layout_of(session, forms.version_for(session, "BM-XA-QUY", date(2025, 7, 1)))
        assert [row.code for row in quarter_layout.rows][:2] == ["NN01", "NN02"]
        assert [column.code for column in quarter_layout.columns] == ["total"]
        year_layout = forms.layout_of(session, forms.version_for(session, "BM-XA-NAM", date(2025, 1, 1)))
        assert "DS01" in [row.code for row in year_layout.rows]
        assert [column.code for column in year_layout.columns] == ["total", "male", "female"]
        assert session.get(Category, "female").disaggregation_code == "sex"
    assert counts["regime"] == 2 and counts["form_version"] == 2 and counts["regime_unit"] == 2 * len(communes)
    before = audit_count(engine)
    with session_scope(engine) as session:
        assert import_writeback_catalog(session, path) == {}
    assert audit_count(engine) == before


def test_a_bad_entry_refuses_the_whole_file(db, tmp_path):
    engine, path, _ = db
    data = json.loads(path.read_text(encoding="utf-8"))
    data["measure_unit"].append({"code": "km", "name_vi": "Ki-lô-mét", "name_en": "Kilometres"})
    data["regime"][1]["form_code"] = "NO-SUCH-FORM"
    bad = tmp_path / "writeback.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = audit_count(engine)
    with pytest.raises(SourceError, match=r"writeback\.json, regime entry 2, field form_code: unknown form"):
        with session_scope(engine) as session:
            import_writeback_catalog(session, bad)
    assert audit_count(engine) == before
    with session_scope(engine) as session:
        assert catalogs.rows(session, "measure_unit", code="km") == []


# --- form versions -------------------------------------------------------------------------


def test_a_new_form_version_applies_from_its_date_and_old_periods_keep_theirs(db):
    engine, _, _ = db
    with session_scope(engine) as session:
        catalogs.save(session, ADMIN, "form", {"code": "T-FORM", "name_vi": "Biểu thử", "name_en": "Test form"})
        first = forms.create_version(session, ADMIN, "T-FORM", ["NN01", "NN02"], ["total"], date(2025, 7, 1))
        second = forms.create_version(session, ADMIN, "T-FORM", ["DS01"], ["total", "male", "female"],
                                      date(2026, 7, 1))
        assert (first.version, second.version) == (1, 2)
        assert forms.version_for(session, "T-FORM", date(2025, 10, 1)).id == first.id
        assert forms.version_for(session, "T-FORM", date(2026, 6, 30)).id == first.id
        assert forms.version_for(session, "T-FORM", date(2026, 7, 1)).id == second.id
        layout = forms.layout_of(session, second)
        assert [c.code for c in layout.columns] == ["total", "male", "female"]
        assert forms.changes(first, second) == {"rows_added": ["DS01"], "rows_removed": ["NN01", "NN02"],
                                                "columns_added": ["male", "female"], "columns_removed": []}
    entry = last_audit(engine)
    assert (entry.username, entry.action, entry.entity_id) == ("cat_admin", "form_version_create", "T-FORM/v2")
    assert json.loads(entry.new_value)["rows"] == ["DS01"]
    with session_scope(engine) as session, pytest.raises(WritebackError, match="no version valid on 2025-06-30"):
        forms.version_for(session, "T-FORM", date(2025, 6, 30))


@pytest.mark.parametrize(("actor", "rows", "columns", "valid_from", "match"), [
    (OFFICER, ["NN01"], ["total"], date(2027, 1, 1), "administrators only"),
    (ADMIN, ["NN01"], ["total"], date(2025, 7, 1), "field valid_from: 2025-07-01 must be after"),
    (ADMIN, ["NN01", "XX99"], ["total"], date(2027, 1, 1), "field rows: unknown indicator 'XX99'"),
    (ADMIN, ["NN01", "NN01"], ["total"], date(2027, 1, 1), "field rows: 'NN01' appears twice"),
    (ADMIN, ["NN01"], [], date(2027, 1, 1), "field columns: choose at least one category"),
    (ADMIN, ["NN01"], ["nobody"], date(2027, 1, 1), "field columns: unknown category 'nobody'"),
])
def test_form_versions_are_refused_with_the_reason(db, actor, rows, columns, valid_from, match):
    engine, _, _ = db
    refused(engine, match, lambda s: forms.create_version(s, actor, "BM-XA-QUY", rows, columns, valid_from))


# --- catalog services ----------------------------------------------------------------------


def test_categories_are_created_updated_and_deleted_with_one_audit_entry_each(db):
    engine, _, _ = db
    values = {"code": "t_young", "disaggregation_code": "sex", "name_vi": "Trẻ", "name_en": "Young"}
    with session_scope(engine) as session:
        assert catalogs.save(session, ADMIN, "category", values) is True
    entry = last_audit(engine)
    assert (entry.action, entry.entity, entry.entity_id, entry.old_value) == (
        "catalog_create", "category", "t_young", None)
    assert json.loads(entry.new_value)["sort"] == 0
    with session_scope(engine) as session:
        catalogs.save(session, ADMIN, "category", {"code": "t_young", "name_en": "Youth"})
    entry = last_audit(engine)
    assert (entry.action, json.loads(entry.old_value), json.loads(entry.new_value)) == (
        "catalog_update", {"name_en": "Young"}, {"name_en": "Youth"})
    before = audit_count(engine)
    with session_scope(engine) as session:
        assert catalogs.save(session, ADMIN, "category", {"code": "t_young", "name_en": "Youth"}) is False
    assert audit_count(engine) == before
    with session_scope(engine) as session:
        catalogs.delete(session, ADMIN, "category", {"code": "t_young"})
        assert session.get(Category, "t_young") is None
    assert (last_audit(engine).action, last_audit(engine).new_value) == ("catalog_delete", None)


@pytest.mark.parametrize(("catalog", "values", "match"), [
    ("category", {"code": "c1", "disaggregation_code": "age", "name_vi": "a", "name_en": "a"},
     r"category 'c1', field disaggregation_code: unknown disaggregation 'age'"),
    ("category", {"code": "c1", "disaggregation_code": "sex", "name_vi": "a"}, "field name_en: required"),
    ("category", {"code": "c1", "disaggregation_code": "sex", "name_vi": "a", "name_en": "a", "sort": "x"},
     "field sort: 'x' is not a whole number"),
    ("indicator", {"code": "T01", "name_vi": "a", "name_en": "a", "unit": "%", "sector_code": "dan_so",
                   "frequency": "year", "aggregation": "ratio", "direction": "up", "value_type": "percent",
                   "level": "commune"}, "field numerator_code: required when aggregation is ratio"),
    ("indicator", {"code": "T01", "name_vi": "a", "name_en": "a", "unit": "%", "sector_code": "dan_so",
                   "frequency": "week", "aggregation": "sum", "direction": "up", "value_type": "percent",
                   "level": "commune"}, "field frequency: 'week' is not one of month, quarter, year"),
    ("indicator", {"code": "T01", "name_vi": "a", "name_en": "a", "unit": "furlong", "sector_code": "dan_so",
                   "frequency": "year", "aggregation": "sum", "direction": "up", "value_type": "number",
                   "level": "commune"}, "field unit: unknown measure unit 'furlong'"),
    ("indicator", {"code": "NN01", "min_value": 10, "max_value": 5}, "field max_value: 5.0 is below min_value"),
    ("indicator", {"code": "NN01", "aggregation": "ratio", "numerator_code": "NN01", "denominator_code": "NN02"},
     "field numerator_code: an indicator cannot be its own numerator"),
    ("regime", {"code": "R1", "name_vi": "a", "name_en": "a", "kind": "periodic", "form_code": "BM-XA-QUY"},
     "field period_type: a periodic regime needs one of month, quarter, half, year"),
    ("regime", {"code": "R1", "name_vi": "a", "name_en": "a", "kind": "adhoc", "form_code": "BM-XA-QUY",
                "start_date": "2026-01-01"}, "field end_date: required for a adhoc regime"),
    ("regime_unit", {"regime_code": "XA-QUY", "unit": "X.NOWHERE"}, "field unit: unknown unit 'X.NOWHERE'"),
    ("unit", {"code": f"{PROVINCE}.VPUBND", "parent": f"{PROVINCE}.TK"}, "field parent: .* own ancestor"),
    ("unit", {"code": f"{PROVINCE}.TK", "valid_from": "2026-01-01", "valid_to": "2025-01-01"},
     "field valid_to: is before valid_from"),
])
def test_bad_rows_are_refused_naming_the_field(db, catalog, values, match):
    engine, _, _ = db
    refused(engine, match, lambda s: catalogs.save(s, ADMIN, catalog, values))


def test_only_administrators_change_catalogs(db):
    engine, _, _ = db
    refused(engine, "cat_officer may not change the sector catalog: administrators only",
            lambda s: catalogs.save(s, OFFICER, "sector", {"code": "x", "name_vi": "x", "name_en": "x"}))
    refused(engine, "administrators only", lambda s: catalogs.delete(s, OFFICER, "measure_unit", {"code": "%"}))


def test_rows_in_use_are_not_deleted(db):
    engine, _, _ = db
    refused(engine, "measure_unit '%' cannot be deleted: indicator '.*' uses it",
            lambda s: catalogs.delete(s, ADMIN, "measure_unit", {"code": "%"}))
    refused(engine, "category 'total' cannot be deleted: form 'BM-XA-QUY' version 1 has it in its columns",
            lambda s: catalogs.delete(s, ADMIN, "category", {"code": "total"}))
    refused(engine, "disaggregation 'sex' cannot be deleted: other records still refer to it",
            lambda s: catalogs.delete(s, ADMIN, "disaggregation", {"code": "sex"}))
    refused(engine, f"unit '{PROVINCE}.VPUBND' cannot be deleted: unit '.*' sits below it",
            lambda s: catalogs.delete(s, ADMIN, "unit", {"code": f"{PROVINCE}.VPUBND"}))


def test_a_unit_with_submissions_is_closed_not_deleted(db):
    engine, _, _ = db
    with session_scope(engine) as session:
        catalogs.save(session, ADMIN, "unit", {"code": "X.TEST", "name": "UBND xã Thử", "kind": "commune",
                                               "parent": f"{PROVINCE}.VPUBND", "valid_from": "2025-07-01"})
        unit = session.scalars(select(Unit).where(Unit.code == "X.TEST")).one()
        assert unit.parent.code == f"{PROVINCE}.VPUBND"
        if session.get(Period, "2025-Q3") is None:
            session.add(Period(code="2025-Q3", type="quarter", start_date=date(2025, 7, 1),
                               end_date=date(2025, 9, 30)))
        session.flush()
        session.add(Submission(unit_id=unit.id, period_code="2025-Q3", regime_code="XA-QUY"))
    refused(engine, "unit 'X.TEST' cannot be deleted: it has submissions: set valid_to instead",
            lambda s: catalogs.delete(s, ADMIN, "unit", {"code": "X.TEST"}))
    with session_scope(engine) as session:
        catalogs.save(session, ADMIN, "unit", {"code": "X.TEST", "valid_to": "2026-06-30"})
    entry = last_audit(engine)
    assert (entry.entity, json.loads(entry.old_value), json.loads(entry.new_value)) == (
        "unit", {"valid_to": None}, {"valid_to": "2026-06-30"})
    with session_scope(engine) as session:
        assert catalogs.rows(session, "unit", code="X.TEST")[0]["parent"] == f"{PROVINCE}.VPUBND"


def test_the_unit_table_shows_the_tree_depth_first():
    units = [{"code": "X.2", "name": "Xã B", "parent": "OFFICE"}, {"code": "D", "name": "Sở", "parent": "OFFICE"},
             {"code": "OFFICE", "name": "Văn phòng", "parent": None}, {"code": "X.1", "name": "Xã A", "parent": "D"}]
    assert [(row["code"], row["tree"]) for row in tree_rows(units)] == [
        ("OFFICE", "Văn phòng"), ("D", "\u2003Sở"), ("X.1", "\u2003\u2003Xã A"), ("X.2", "\u2003Xã B")]
