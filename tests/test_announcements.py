"""Maintenance announcements (R-15): the 24-hour rule, the audit trail, and the banner in a real
browser on a desk page, the sign-in page and the wall (screenshots under /tmp/shots/ops)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ioc_app.clock import now_ict
from ioc_app.config import load_settings
from ioc_app.opdb.announcements import AnnouncementRefused, announce, current, withdraw
from ioc_app.opdb.models import Announcement, AuditEntry
from ioc_app.opdb.session import engine_for, migrate, session_scope
from tests.browser import chromium, log_in
from tests.conftest import ADMIN

SHOTS = Path("/tmp/shots/ops")
TEXT_VI = "Nâng cấp máy chủ cơ sở dữ liệu: hệ thống tạm ngừng phục vụ."
TEXT_EN = "Database server upgrade: the system will be unavailable."


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    migrate(url)
    engine = engine_for(url)
    with session_scope(engine) as session:
        yield session
    engine.dispose()


def test_an_announcement_needs_24_hours_notice(db):
    now = now_ict().replace(microsecond=0)
    with pytest.raises(AnnouncementRefused, match=r"^the start must be at least 24 hours ahead \(not before ") as refused:
        announce(db, "admin", TEXT_VI, TEXT_EN, now + timedelta(hours=23, minutes=59), now + timedelta(hours=26), now)
    assert refused.value.key == "ann_too_soon" and refused.value.params["earliest"] == now + timedelta(hours=24)
    assert db.query(Announcement).count() == 0 and db.query(AuditEntry).count() == 0
    stored = announce(db, "admin", TEXT_VI, TEXT_EN, now + timedelta(hours=24), now + timedelta(hours=26), now)
    assert current(db, now) == [stored]
    entry = db.query(AuditEntry).one()
    assert (entry.username, entry.action, entry.entity, entry.entity_id) == (
        "admin", "announcement_create", "announcement", str(stored.id))


@pytest.mark.parametrize("change, key", [
    ({"text_vi": "  "}, "ann_need_vi"),
    ({"text_en": ""}, "ann_need_en"),
    ({"text_vi": "x" * 501}, "ann_too_long"),
    ({"ends_at": 24}, "ann_end_first"),
    ({"ends_at": 24 + 7 * 24 + 1}, "ann_too_long_window"),
])
def test_other_refusals(db, change, key):
    now = now_ict()
    values = {"text_vi": TEXT_VI, "text_en": TEXT_EN, "starts_at": now + timedelta(hours=25),
              "ends_at": now + timedelta(hours=27), **change}
    if isinstance(values["ends_at"], int):
        values["ends_at"] = now + timedelta(hours=25 + values["ends_at"] - 24)
    with pytest.raises(AnnouncementRefused) as refused:
        announce(db, "admin", values["text_vi"], values["text_en"], values["starts_at"], values["ends_at"], now)
    assert refused.value.key == key


def test_shown_from_when_set_until_it_ends_unless_withdrawn(db):
    now = now_ict()
    first = announce(db, "admin", "a", "a", now + timedelta(hours=30), now + timedelta(hours=31), now)
    second = announce(db, "admin", "b", "b", now + timedelta(hours=25), now + timedelta(hours=26), now)
    assert current(db, now) == [second, first]  # soonest first
    assert current(db, now + timedelta(hours=25, minutes=30)) == [second, first]  # in progress
    assert current(db, now + timedelta(hours=26)) == [first]  # ended
    withdraw(db, "admin2", first.id, now)
    assert current(db, now) == [second]
    assert db.query(AuditEntry).order_by(AuditEntry.id.desc()).first().action == "announcement_withdraw"
    with pytest.raises(AnnouncementRefused, match="does not exist or was withdrawn"):
        withdraw(db, "admin2", first.id, now)


def _withdraw_all(demo) -> None:
    engine = engine_for(load_settings(demo.config).database_url)
    with session_scope(engine) as session:
        for item in current(session, now_ict()):
            withdraw(session, "test", item.id, now_ict())
    engine.dispose()


@pytest.mark.browser
def test_an_admin_sets_one_and_every_page_shows_it(server, demo):
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            log_in(page, server.url, *ADMIN)
            page.goto(server.url + "/announcements?lang=en")
            page.wait_for_selector("#ann-start", timeout=30_000)
            page.fill("#ann-text-vi", TEXT_VI)
            page.fill("#ann-text-en", TEXT_EN)
            too_soon = now_ict() + timedelta(hours=23)
            page.fill("#ann-start", too_soon.strftime("%d/%m/%Y %H:%M"))
            page.click("#ann-submit")
            error = page.wait_for_selector("#ann-error", timeout=30_000).inner_text()
            assert error.startswith("The start must be at least 24 hours ahead: ") and error.endswith("at the earliest."), error
            assert page.locator("#ioc-announcement .ioc-announcement-item").count() == 0

            start = (now_ict() + timedelta(hours=26)).replace(minute=0, second=0, microsecond=0)
            page.fill("#ann-start", start.strftime("%d/%m/%Y %H:%M"))
            page.fill("#ann-end", (start + timedelta(hours=3)).strftime("%d/%m/%Y %H:%M"))
            page.click("#ann-submit")
            assert page.wait_for_selector("#ann-ok", timeout=30_000).inner_text().startswith("Notice set;")
            page.wait_for_selector("#ann-table td:has-text('Upcoming')", timeout=30_000)

            for lang, text in (("en", TEXT_EN), ("vi", TEXT_VI)):
                page.goto(f"{server.url}/?lang={lang}")
                banner = page.wait_for_selector(f"#ioc-announcement:has-text('{text}')", timeout=30_000)
                label = "Planned maintenance" if lang == "en" else "Bảo trì hệ thống theo kế hoạch"
                assert label.upper() in banner.inner_text().upper()
                assert start.strftime("%H:%M") in banner.inner_text()
                page.wait_for_selector("#ov-kpis > *", timeout=60_000)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(SHOTS / f"desk-overview-{lang}-1440x900.png"))

            for size in ((1920, 1080), (3840, 2160)):
                wall = browser.new_page(viewport={"width": size[0], "height": size[1]})
                log_in(wall, server.url, *ADMIN)
                wall.wait_for_url(server.url + "/", timeout=30_000)
                for lang, text in (("vi", TEXT_VI), ("en", TEXT_EN)):
                    wall.goto(f"{server.url}/wall?lang={lang}&seconds=600")
                    banner = wall.wait_for_selector(f".ioc-announcement-wall:has-text('{text}')", timeout=30_000)
                    font = float(banner.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
                    assert font >= 28 * size[1] / 1080, font  # legible from 5 m
                    box = banner.bounding_box()
                    assert box["y"] + box["height"] <= size[1] + 1 and box["width"] >= size[0] - 1
                    wall.wait_for_selector("#wall-stage .main-svg:visible", timeout=60_000)
                    wall.wait_for_load_state("networkidle")
                    wall.screenshot(path=str(SHOTS / f"wall-{lang}-{size[0]}x{size[1]}.png"))
                wall.close()

            page.goto(server.url + "/logout")
            page.click("button[type=submit]")
            for lang, text in (("vi", TEXT_VI), ("en", TEXT_EN)):
                page.goto(f"{server.url}/login?lang={lang}")
                assert text in page.locator(".ioc-announcement").inner_text()
                page.screenshot(path=str(SHOTS / f"login-{lang}-1440x900.png"))
    finally:
        _withdraw_all(demo)
    engine = engine_for(load_settings(demo.config).database_url)
    with session_scope(engine) as session:
        actions = [entry.action for entry in session.query(AuditEntry).filter(AuditEntry.entity == "announcement")]
    engine.dispose()
    assert actions[:1] == ["announcement_create"] and "announcement_withdraw" in actions
