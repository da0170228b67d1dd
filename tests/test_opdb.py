"""Operational DB: migrations, connection errors, accounts, catalog import, periods, audit chain.

Every DB test runs on a SQLite file and on a throw-away PostgreSQL database.
"""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from itertools import pairwise

import pandas as pd
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import event, func, inspect, select, text

from ioc_app.errors import IocError, SourceError, StoreError
from ioc_app.opdb import audit, users
from ioc_app.opdb.catalog import import_catalog, sector_code
from ioc_app.opdb.models import (
    AuditEntry,
    Indicator,
    IndicatorTarget,
    PasswordHistory,
    Period,
    Role,
    Sector,
    Unit,
    User,
)
from ioc_app.opdb.periods import fill_periods
from ioc_app.opdb.session import MIGRATIONS, check_database, engine_for, migrate, session_scope
from tests.pg import create_database, drop_database, sqlalchemy_url

GOOD = "Mật-khẩu1"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Same scrypt scheme at a lower cost: these tests check behaviour, not hashing speed."""
    monkeypatch.setattr(users, "HASH_METHOD", "scrypt:1024:8:1")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ioc.db'}"
        return
    name = create_database("ioc_opdb_test")
    try:
        yield sqlalchemy_url(name)
    finally:
        drop_database(name)


@pytest.fixture
def engine(db_url):
    migrate(db_url)
    engine = engine_for(db_url)
    yield engine
    engine.dispose()


def _schema(url: str) -> tuple:
    engine = engine_for(url)
    try:
        with engine.connect() as con:
            tables = sorted(inspect(con).get_table_names())
            version = con.execute(text("SELECT version_num FROM alembic_version")).all()
            roles = con.execute(select(func.count()).select_from(Role.__table__)).scalar_one()
    finally:
        engine.dispose()
    return tables, version, roles


# --- migrations and connections -------------------------------------------------------


def test_migrate_twice_is_a_no_op(db_url):
    assert check_database(db_url)[0].endswith("(run `ioc init`)")
    migrate(db_url)
    first = _schema(db_url)
    migrate(db_url)
    assert _schema(db_url) == first
    tables, version, roles = first
    assert {"users", "units", "submission_values", "audit_log", "periods"} <= set(tables)
    assert version == [(ScriptDirectory(str(MIGRATIONS)).get_current_head(),)]
    assert roles == 8
    assert check_database(db_url) == []


def test_check_database_reports_an_unmigrated_database(db_url):
    engine = engine_for(db_url)  # creates the empty SQLite file / reaches the empty PG database
    engine.dispose()
    problems = check_database(db_url)
    assert len(problems) == 1 and "not migrated yet" in problems[0]


def test_migrate_works_from_another_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'ioc.db'}"
    migrate(url)
    assert check_database(url) == []


def test_sqlite_engine_uses_wal_and_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    migrate(url)
    engine = engine_for(url)
    with engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert con.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert con.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    engine.dispose()


def test_unreachable_postgres_is_one_line_with_the_password_hidden():
    url = "postgresql://ioc:s3cret-pw@127.0.0.1:1/ioc"
    for action in (engine_for, migrate):
        with pytest.raises(StoreError) as caught:
            action(url)
        message = str(caught.value)
        assert "\n" not in message
        assert "s3cret-pw" not in message and "***" in message
        assert "127.0.0.1:1/ioc" in message and "start PostgreSQL or fix IOC_DATABASE_URL" in message
    problems = check_database(url)
    assert len(problems) == 1 and "s3cret-pw" not in problems[0]


def test_unwritable_sqlite_path_is_a_store_error_and_creates_nothing(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the DB folder should be")
    url = f"sqlite:///{blocker / 'ioc.db'}"
    with pytest.raises(StoreError, match=r"operational DB sqlite:///.*not-a-folder/ioc\.db: .*writable"):
        migrate(url)
    assert blocker.read_text() == "a file where the DB folder should be"
    missing = tmp_path / "absent" / "ioc.db"
    assert "does not exist" in check_database(f"sqlite:///{missing}")[0]
    assert not missing.parent.exists()


def test_bad_url_is_a_store_error():
    with pytest.raises(StoreError, match="not valid"):
        engine_for("not a url")
    with pytest.raises(StoreError, match="only SQLite and PostgreSQL"):
        engine_for("mysql://u@h/db")


# --- accounts -------------------------------------------------------------------------


def _add_unit(engine, code: str = "SO-TC") -> None:
    with session_scope(engine) as session:
        session.add(Unit(code=code, name="Sở Tài chính", kind="department"))


def test_create_authenticate_and_close_a_user(engine):
    _add_unit(engine)
    with session_scope(engine) as session:
        user = users.create_user(
            session, "Lan.Nguyen", "officer", GOOD, unit_code="SO-TC", full_name="Nguyễn Lan"
        )
        user_id = user.id
    assert user.username == "lan.nguyen" and user.must_change_password and users.password_change_due(user)
    with session_scope(engine) as session:
        assert users.authenticate(session, "LAN.NGUYEN", GOOD).id == user_id
        assert users.authenticate(session, "lan.nguyen", "Sai-mật-khẩu1") is None
        assert users.authenticate(session, "lan.nguyen", "Sai-mật-khẩu2") is None
        assert users.authenticate(session, "nobody", GOOD) is None
    with session_scope(engine) as session:
        stored = users.get_user(session, user_id)
        assert (
            stored.failed_logins == 2
            and stored.unit.code == "SO-TC"
            and stored.role.name_en == "Data officer"
        )
        assert stored.password_hash.startswith("scrypt:") and GOOD not in stored.password_hash
        assert users.authenticate(session, "lan.nguyen", GOOD) is not None
        assert stored.failed_logins == 0
    with session_scope(engine) as session:
        closed = users.close_user(session, "lan.nguyen", actor="admin")
        assert not closed.is_active and closed.closed_at is not None
    with session_scope(engine) as session:
        assert users.authenticate(session, "lan.nguyen", GOOD) is None
        assert users.get_user(session, user_id) is not None  # closed, never deleted
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "user")).all()
        assert actions == ["create", "close"]
        assert not any("scrypt" in (e.new_value or "") for e in session.scalars(select(AuditEntry)))


def test_every_login_attempt_costs_one_hash_check(engine, monkeypatch):
    with session_scope(engine) as session:
        users.create_user(session, "dung", "officer", GOOD, must_change_password=False)
        users.close_user(session, "dung")
    checked: list[str] = []
    real_check = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda h, p: checked.append(h) or real_check(h, p))
    with session_scope(engine) as session:
        assert users.authenticate(session, "nobody", GOOD) is None
        assert users.authenticate(session, "dung", GOOD) is None  # closed: right password, still refused
    assert len(checked) == 2 and all(h.startswith("scrypt:") for h in checked)


def test_password_change_is_due_after_six_months(engine):
    with session_scope(engine) as session:
        user = users.create_user(session, "em", "officer", GOOD, must_change_password=False)
    assert not users.password_change_due(user)
    assert users.password_change_due(user, user.password_changed_at + timedelta(days=183))


def test_create_user_rejects_bad_input_in_one_line(engine):
    with session_scope(engine) as session:
        users.create_user(session, "an", "leader", GOOD)
    cases = [
        (dict(username="binh", role="boss"), "unknown role 'boss'"),
        (dict(username="binh", role="officer", unit_code="NOPE"), "unknown unit 'NOPE'"),
        (dict(username="AN", role="officer"), "username 'an' exists already"),
        (dict(username="has space", role="officer"), "is not valid"),
    ]
    for kwargs, message in cases:
        with pytest.raises(IocError, match=message) as caught, session_scope(engine) as session:
            users.create_user(session, password=GOOD, **kwargs)
        assert "\n" not in str(caught.value)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("abc", ["at least 8 characters", "an upper-case letter", "a digit", "a special character"]),
        ("alllowercase1!", ["an upper-case letter"]),
        ("ALLUPPER1!", ["a lower-case letter"]),
        ("NoDigits!!", ["a digit"]),
        ("NoSpecial12", ["a special character"]),
        ("Có dấu 12", ["a special character"]),
    ],
)
def test_weak_password_message_names_every_rule_broken(password, broken):
    with pytest.raises(users.WeakPasswordError) as caught:
        users.check_policy(password)
    message = str(caught.value)
    assert message.startswith("password too weak: it needs ")
    for rule in broken:
        assert rule in message
    assert message.count(",") == len(broken) - 1
    assert users.policy_problems("Đúng-Rồi-9") == []


def test_weak_password_creates_no_user(engine):
    with pytest.raises(users.WeakPasswordError, match="a digit"), session_scope(engine) as session:
        users.create_user(session, "binh", "officer", "NoDigits!!")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_the_last_five_passwords_cannot_be_reused(engine):
    with session_scope(engine) as session:
        user = users.create_user(session, "chi", "officer", "Pass-0000")
    history = ["Pass-0000"]
    with session_scope(engine) as session:
        user = users.get_user(session, user.id)
        for n in range(1, 6):
            with pytest.raises(users.WeakPasswordError, match="used recently"):
                users.set_password(session, user, history[-1])
            users.set_password(session, user, f"Pass-{n:04d}")
            history.append(f"Pass-{n:04d}")
        assert not user.must_change_password
        for reused in history[-5:]:
            with pytest.raises(users.WeakPasswordError, match="last 5"):
                users.set_password(session, user, reused)
        users.set_password(session, user, history[0])  # six changes ago: allowed again
        assert session.scalar(select(func.count()).where(PasswordHistory.user_id == user.id)) == 5
        users.set_password(session, user, "Reset-by-admin1", actor="admin")
        assert user.must_change_password
    with session_scope(engine) as session:
        assert users.authenticate(session, "chi", "Reset-by-admin1") is not None


# --- catalog and periods --------------------------------------------------------------


def _areas() -> pd.DataFrame:
    rows = [
        ("86", "86", "Tỉnh Vĩnh Long", "province", None, "2025-07-01", None),
        ("29272", "29272", "Xã An Phú", "commune", "86", "2025-07-01", None),
        ("29275", "29275", "Xã Bình Hòa", "commune", "86", "2025-07-01", None),
        ("old:86", "86", "Tỉnh Vĩnh Long (cũ)", "old_province", None, None, "2025-06-30"),
        ("old:855", "855", "Huyện Long Hồ", "old_district", "old:86", None, "2025-06-30"),
        ("old:29272", "29272", "Xã An Phú (cũ)", "old_commune", "old:855", None, "2025-06-30"),
    ]
    frame = pd.DataFrame(
        rows, columns=["area_key", "code", "name", "level", "parent_key", "valid_from", "valid_to"]
    )
    for column in ("valid_from", "valid_to"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.assign(short_name=frame["name"], province_code="86", lat=10.0, lon=106.0, area_km2=50.0)


UNITS_CSV = """unit_code,name,kind,parent_code,area_code,valid_from,valid_to
UBND,UBND tỉnh Vĩnh Long,province_office,,86,2025-07-01,
SO-TC,Sở Tài chính,department,UBND,86,2008-04-01,
H-LH,UBND huyện Long Hồ,former_district,UBND,855,1990-01-01,2025-06-30
X-AP,UBND xã An Phú,commune,SO-TC,29272,2025-07-01,
"""


def _indicators(name_en: str = "Budget revenue") -> list[dict]:
    common = dict(frequency="month", aggregation="sum", direction="up", value_type="number", level="commune")
    return [
        dict(
            code="TC01",
            name_vi="Thu ngân sách",
            name_en=name_en,
            unit="tỷ đồng",
            sector="Tài chính",
            targets={"2025": 1200.5, "2026": 1300},
            **common,
        ),
        dict(
            code="NN01",
            name_vi="Sản lượng lúa",
            name_en="Rice output",
            unit="tấn",
            sector="Nông nghiệp",
            targets={},
            **common,
        ),
    ]


@pytest.fixture
def catalog_files(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    indicators = tmp_path / "indicators.json"
    indicators.write_text(json.dumps(_indicators(), ensure_ascii=False), encoding="utf-8")
    return units, indicators


def _audit_count(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def test_catalog_import_is_idempotent_and_builds_the_unit_tree(engine, catalog_files):
    units_csv, indicators_json = catalog_files
    with session_scope(engine) as session:
        counts = import_catalog(session, units_csv, indicators_json, _areas())
    assert counts == {"area": 6, "sector": 2, "indicator": 2, "indicator_target": 2, "unit": 4}
    audited = _audit_count(engine)
    assert audited == 16
    with session_scope(engine) as session:
        assert import_catalog(session, units_csv, indicators_json, _areas()) == {}
    assert _audit_count(engine) == audited

    with session_scope(engine) as session:
        units = {unit.code: unit for unit in session.scalars(select(Unit))}
        assert units["UBND"].parent is None
        assert {child.code for child in units["UBND"].children} == {"SO-TC", "H-LH"}
        assert units["X-AP"].parent.parent.code == "UBND"
        assert units["SO-TC"].area_key == "86"  # still exists: the current province
        assert units["H-LH"].area_key == "old:855"
        assert units["H-LH"].valid_to == date(2025, 6, 30)
        assert units["X-AP"].area_key == "29272"
        assert session.get(Sector, sector_code("Nông nghiệp")).name_vi == "Nông nghiệp"
        assert session.get(Indicator, "TC01").sector_code == "tai_chinh"
        assert session.get(IndicatorTarget, ("TC01", 2025)).target == 1200.5

    indicators_json.write_text(
        json.dumps(_indicators("State budget revenue"), ensure_ascii=False), encoding="utf-8"
    )
    units_csv.write_text(
        UNITS_CSV.replace("X-AP,UBND xã An Phú,commune,SO-TC", "X-AP,UBND xã An Phú,commune,UBND")
    )
    with session_scope(engine) as session:
        assert import_catalog(session, units_csv, indicators_json, _areas(), actor="admin") == {
            "indicator": 1,
            "unit": 1,
        }
        changes = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()
        assert {(c.username, c.action, c.entity, c.entity_id) for c in changes} == {
            ("admin", "catalog_update", "indicator", "TC01"),
            ("admin", "catalog_update", "unit", "X-AP"),
        }
        update = next(c for c in changes if c.entity == "indicator")
        assert json.loads(update.old_value) == {"name_en": "Budget revenue"}
        assert json.loads(update.new_value) == {"name_en": "State budget revenue"}
        assert session.scalars(select(Unit).where(Unit.code == "X-AP")).one().parent.code == "UBND"
        assert audit.verify_chain(session) is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda csv: csv.replace(",29272,2025-07-01,", ",99999,2025-07-01,"),
            r"units\.csv row 5, column area_code: no area",
        ),
        (
            lambda csv: csv.replace("UBND,86,2008-04-01", "X-AP,86,2008-04-01"),
            r"row 3, column parent_code: .* own ancestor",
        ),
        (lambda csv: csv.replace("2008-04-01", "01/04/2008"), r"row 3, column valid_from: .* not a date"),
        (lambda csv: csv.replace("unit_code,", "code,"), r"units\.csv: missing column unit_code"),
    ],
)
def test_bad_catalog_row_is_named_and_stores_nothing(engine, catalog_files, edit, message):
    units_csv, indicators_json = catalog_files
    units_csv.write_text(edit(UNITS_CSV), encoding="utf-8")
    with pytest.raises(SourceError, match=message), session_scope(engine) as session:
        import_catalog(session, units_csv, indicators_json, _areas())
    assert _audit_count(engine) == 0
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 0


def test_bad_indicator_is_named(engine, catalog_files, tmp_path):
    units_csv, indicators_json = catalog_files
    bad = _indicators()
    bad[1]["aggregation"] = "median"
    indicators_json.write_text(json.dumps(bad), encoding="utf-8")
    message = r"indicators\.json item 2, field aggregation: 'median' is not one of"
    with pytest.raises(SourceError, match=message), session_scope(engine) as session:
        import_catalog(session, units_csv, indicators_json, _areas())


def test_fill_periods_covers_every_period_type_once(engine):
    with session_scope(engine) as session:
        assert fill_periods(session, date(2025, 5, 20), date(2025, 8, 1)) == 4 + 2 + 2 + 1
        assert fill_periods(session, date(2025, 5, 1), date(2025, 7, 31)) == 0
    with session_scope(engine) as session:
        periods = {p.code: (p.type, p.start_date, p.end_date) for p in session.scalars(select(Period))}
    assert periods["2025-06"] == ("month", date(2025, 6, 1), date(2025, 6, 30))
    assert periods["2025-Q3"] == ("quarter", date(2025, 7, 1), date(2025, 9, 30))
    assert periods["2025-H1"] == ("half", date(2025, 1, 1), date(2025, 6, 30))
    assert periods["2025"] == ("year", date(2025, 1, 1), date(2025, 12, 31))
    assert sorted(periods) == [
        "2025",
        "2025-05",
        "2025-06",
        "2025-07",
        "2025-08",
        "2025-H1",
        "2025-H2",
        "2025-Q2",
        "2025-Q3",
    ]



def test_fill_periods_skips_a_period_another_request_added_meanwhile(engine):
    """The first callbacks of a new month fill its periods at the same time: the one that
    loses the race finds the month added between its look and its insert, and goes on."""
    with session_scope(engine) as session:
        fill_periods(session, date(2025, 4, 1), date(2025, 5, 31))

    def another_request_adds_june(state):
        """Right after this request has looked at what is stored, the other one adds June."""
        if not state.is_select or added:
            return None
        looked = state.invoke_statement().freeze()
        added.append(True)
        with session_scope(engine) as other:
            assert fill_periods(other, date(2025, 6, 1), date(2025, 6, 30)) == 1
        return looked()

    added: list[bool] = []
    with session_scope(engine) as session:
        event.listen(session, "do_orm_execute", another_request_adds_june)
        assert fill_periods(session, date(2025, 6, 1), date(2025, 6, 30)) == 0
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Period).where(Period.code == "2025-06")) == 1


# --- audit ----------------------------------------------------------------------------


def _append(engine, n: int, who: str = "tester") -> None:
    for i in range(n):
        with session_scope(engine) as session:
            audit.record(
                session,
                who,
                "update",
                "indicator",
                f"I{i}",
                {"value": i, "at": date(2025, 7, 1)},
                {"value": i + 1, "ghi_chú": "đã sửa"},
            )


def test_audit_chain_verifies_and_detects_an_edited_row(engine):
    _append(engine, 5)
    with session_scope(engine) as session:
        assert audit.verify_chain(session) is None
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert entries[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in pairwise(entries))
        third = entries[2].id
    with engine.begin() as con:
        con.execute(
            text("UPDATE audit_log SET new_value = :v WHERE id = :id"), {"v": '{"value":999}', "id": third}
        )
    with session_scope(engine) as session:
        assert audit.verify_chain(session) == third


def test_audit_chain_detects_a_deleted_row(engine):
    _append(engine, 4)
    with session_scope(engine) as session:
        ids = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    with engine.begin() as con:
        con.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    with session_scope(engine) as session:
        assert audit.verify_chain(session) == ids[2]


def test_concurrent_appends_keep_one_chain(engine, db_url):
    engines = [engine_for(db_url) for _ in range(3)]
    errors: list[BaseException] = []

    def work(own_engine, who):
        try:
            with session_scope(own_engine) as session:
                session.scalars(select(AuditEntry)).all()  # a read first, as a real request would
            _append(own_engine, 15, who)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e, f"worker{i}")) for i, e in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for own in engines:
        own.dispose()
    assert errors == []
    with session_scope(engine) as session:
        entries = session.scalars(select(AuditEntry)).all()
        assert len(entries) == 45
        assert len({entry.prev_hash for entry in entries}) == 45
        assert audit.verify_chain(session) is None


def test_migrations_build_exactly_the_models(db_url):
    """The schema Alembic builds matches ioc_app.opdb.models (nothing forgotten in a migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from ioc_app.opdb.models import Base

    migrate(db_url)
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
