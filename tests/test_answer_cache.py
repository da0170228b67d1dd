"""Kept answers of the dashboards' callbacks (ioc_app.web.answer_cache), in-process on a copy of
the demo: a repeated request is answered without running its queries; another scope, another
role, another language or a new lake snapshot never gets a kept answer; exports are never kept."""
from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from ioc_app.config import load_settings
from ioc_app.lake import connect
from ioc_app.opdb import users
from ioc_app.opdb.models import Unit
from ioc_app.opdb.session import engine_for, session_scope
from ioc_app.web import answer_cache
from ioc_app.web.app import create_app
from ioc_app.web.query_cache import QueryCache
from tests.conftest import LEADER, callback_body, signed_in
from tests.writeback_fixtures import copy_installation

PASSWORD = "Bo-nho-dem-2026!"


@pytest.fixture(scope="module")
def site(demo, tmp_path_factory):
    """The copy, its app, and an approver and an officer of one commune (same scope, two roles)."""
    instance = copy_installation(demo, tmp_path_factory.mktemp("answers") / "site")
    settings = load_settings(instance.config)
    with connect(settings, read_only=True) as con:
        commune = con.execute("SELECT area_key FROM lake.main.dim_area WHERE level = 'commune' "
                              "ORDER BY area_key LIMIT 1").fetchone()[0]
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as session:
            unit = session.scalars(select(Unit).where(Unit.area_key == commune, Unit.kind == "commune")).first()
            for role in ("approver", "officer"):
                users.create_user(session, f"cache_{role}", role, PASSWORD, unit_code=unit.code,
                                  must_change_password=False)
    finally:
        engine.dispose()
    return instance, settings, create_app(settings), commune


@pytest.fixture
def queries(monkeypatch) -> list[str]:
    """The names of the queries the app runs (QueryCache.run still runs them)."""
    ran: list[str] = []
    original = QueryCache.run

    def run(self, query, *args):
        ran.append(query.__qualname__)
        return original(self, query, *args)

    monkeypatch.setattr(QueryCache, "run", run)
    return ran


FEEDBACK = {"fb-days": 30, "fb-viewport": 1440}


def _post(browser, body: dict, lang: str = "vi"):
    return browser.post("/_dash-update-component", json=body, headers={"Referer": f"http://localhost/feedback?lang={lang}"})


def test_a_repeated_request_is_answered_without_its_queries(site, queries):
    _, _, app, _ = site
    leader, other_leader = signed_in(app, *LEADER), signed_in(app, *LEADER)
    body = callback_body(leader, "fb-crumb-province", FEEDBACK | {"fb-days": 90})
    first = _post(leader, body)
    assert first.status_code == 200 and queries
    queries.clear()
    again = _post(other_leader, body)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert queries == []
    english = _post(leader, body, "en")
    assert queries and english.get_data() != first.get_data()
    assert "Source" in english.get_data(as_text=True)


def test_another_scope_or_role_never_gets_a_kept_answer(site, queries):
    _, _, app, commune = site
    leader, approver = signed_in(app, *LEADER), signed_in(app, "cache_approver", PASSWORD)
    officer = signed_in(app, "cache_officer", PASSWORD)
    body = callback_body(leader, "fb-crumb-province", FEEDBACK | {"fb-days": 7})
    province = _post(leader, body)
    queries.clear()
    mine = _post(approver, body)
    assert queries, "the commune's approver was given the province's answer"
    assert mine.status_code == 200 and mine.get_data() != province.get_data()
    # the officer has the approver's scope but may not read /feedback: refused, not served the kept answer
    assert _post(officer, body).status_code == 403


def test_a_new_snapshot_is_answered_afresh(site, queries):
    instance, settings, app, commune = site
    leader = signed_in(app, *LEADER)
    body = callback_body(leader, "fb-crumb-province", FEEDBACK)
    before = _post(leader, body)
    with connect(settings, read_only=True) as con:
        code, as_of = con.execute("SELECT a.code, max(t.updated_at) FROM lake.main.fact_ticket t JOIN "
                                  "lake.main.dim_area a USING (area_key) WHERE a.area_key = ? GROUP BY 1",
                                  [commune]).fetchone()
    source = instance.root / "new_ticket.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["service_request_id", "status", "service_code", "requested_datetime", "updated_datetime",
                         "area_code"])
        writer.writerow(["PAKN-CACHE-1", "open", "giao_duc", f"{as_of:%Y-%m-%d %H:%M:%S}", f"{as_of:%Y-%m-%d %H:%M:%S}", code])
    instance.ioc("ingest", "tickets", "--file", str(source))
    queries.clear()
    after = _post(leader, body)
    assert queries and after.status_code == 200 and after.get_data() != before.get_data()


def test_exports_and_other_pages_are_never_kept():
    assert answer_cache.cacheable("..fb-crumb-province.children...fb-map.figure..")
    assert answer_cache.cacheable("dv-series.figure")
    assert not answer_cache.cacheable("fb-export-download.data")
    assert not answer_cache.cacheable("..ioc-header.children...page.children..")
    assert not answer_cache.cacheable("..cp-table.children...cp-table-title.children..")
    assert not answer_cache.cacheable('{"catalog":["MATCH"],"type":"cat-grid"}.rowData')
    assert not answer_cache.cacheable(None)
