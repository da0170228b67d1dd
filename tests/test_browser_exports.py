"""Every chart's and table's CSV/Excel export in a real browser: each download carries its title,
its source and as-of line and the export time, and holds the rows the chart shows for the page's
current filters; a commune's approver exports only the commune's rows; hovers name their source;
/indicators can be walked with the keyboard alone. One signed-in leader serves the module's pages."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ioc_app.config import load_settings
from ioc_app.lake import connect
from ioc_app.opdb import users
from ioc_app.opdb.models import Unit
from ioc_app.opdb.session import engine_for, session_scope
from layouts.devices import OUTAGE_ROWS
from tests.browser import chromium, log_in, record_foreign_requests
from tests.conftest import LEADER

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/exports")
APPROVER = ("test_commune_approver", "Duyet-xa-2026!")


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


def _signed_in(browser, server, name: str, password: str):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.foreign = record_foreign_requests(page, server.url)
    log_in(page, server.url, name, password)
    # The landing page's callbacks must have answered: each answer re-sends the session cookie, and
    # one landing after the next page's load would set its language back.
    page.wait_for_load_state("networkidle")
    return context, page


@pytest.fixture(scope="module")
def page(browser, server):
    context, page = _signed_in(browser, server, *LEADER)
    yield page
    assert page.foreign == []
    context.close()


@pytest.fixture(scope="module")
def commune(demo) -> str:
    """An approver of the commune with most tickets (APPROVER); the commune's name."""
    settings = load_settings(demo.config)
    with connect(settings, read_only=True) as con:
        busiest = con.execute("""
            SELECT t.area_key, a.name FROM fact_ticket t JOIN dim_area a USING (area_key)
            WHERE a.level = 'commune' GROUP BY ALL ORDER BY count(*) DESC, t.area_key""").fetchall()
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as session:
            unit, name = next((found, name) for key, name in busiest if (found := session.scalars(
                select(Unit).where(Unit.area_key == key, Unit.kind == "commune")).first()) is not None)
            users.create_user(session, APPROVER[0], "approver", APPROVER[1], unit_code=unit.code,
                              must_change_password=False)
    finally:
        engine.dispose()
    return name


def _download(page, button: str):
    with page.expect_download(timeout=30_000) as download:
        page.locator(f"#{button}").click()
    return download.value


def _csv(page, button: str) -> tuple[list[str], list[dict]]:
    """The three head lines (title, source, export time) and the rows of a CSV export."""
    lines = _download(page, button).path().read_text(encoding="utf-8-sig").splitlines()
    assert all(line.startswith("# ") for line in lines[:3]) and lines[2].endswith(" ICT")
    return lines[:3], list(csv.DictReader(io.StringIO("\n".join(lines[3:]))))


def _traces(page, graph: str) -> list[dict]:
    """The data of a chart's traces as plotly drew them (decoded: the figure sends typed arrays as base64)."""
    return page.evaluate(f"""() => document.querySelector('#{graph} .js-plotly-plot')._fullData.map(
        t => ({{x: Array.from(t.x || []), y: Array.from(t.y || []), z: Array.from(t.z || []),
                customdata: Array.from(t.customdata || []), hovertemplate: t.hovertemplate || ''}}))""")


def _hover_title(page, graph: str) -> str:
    return page.evaluate(f"""() => document.querySelector('#{graph} .js-plotly-plot').layout.xaxis
        .unifiedhovertitle.text""")


def _pick(page, dropdown: str, text: str) -> None:
    page.locator(f"#{dropdown}").click()
    page.locator(".dash-dropdown-search").fill(text)
    page.locator(".dash-dropdown-option").first.click()


def _focus(page) -> dict:
    """The focused element: its id (or its nearest ancestor's) and the outline drawn around it."""
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {id: el.id || (el.closest('[id]') || {}).id || '', tag: el.tagName,
                outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
    }""")


def test_indicator_exports_hold_the_charts_rows(page, server):
    page.goto(server.url + "/indicators?lang=en")
    page.wait_for_selector("#ind-kpi-value .ioc-kpi-value", timeout=30_000)
    _pick(page, "ind-code", "NN01")
    page.locator("#ind-communes-table tbody tr").first.wait_for(timeout=30_000)
    paths = page.locator("#ind-map path.choroplethlocation")
    paths.nth(paths.count() // 2).click(force=True)
    page.wait_for_selector("#ind-crumb-commune:not(:empty)", timeout=30_000)
    commune = page.locator("#ind-crumb-commune").inner_text().removeprefix("› ")
    page.wait_for_selector(f"#ind-kpi-value .ioc-kpi-label:text-is('{commune}')", timeout=30_000)
    page.locator("#ind-sources-table tbody tr").first.wait_for(timeout=30_000)

    series = _traces(page, "ind-series")[0]
    head, rows = _csv(page, "ind-series-export-csv")
    assert head[0].startswith("# NN01") and head[0].endswith(f"{commune} · Over time")
    assert head[1].startswith("# Source: IOC analytical store") and "last approved" in head[1]
    assert [row["Period"] for row in rows] == series["customdata"]
    assert [float(row["Value"]) for row in rows] == pytest.approx(series["y"])
    assert "Source: approved reports, data as of" in _hover_title(page, "ind-series")

    bars = _traces(page, "ind-breakdown")[0]
    head, rows = _csv(page, "ind-breakdown-export-csv")
    assert head[0].endswith(f"{commune} · By category") and head[1].startswith("# Source: IOC analytical store")
    assert [row["Breakdown"] for row in rows] == bars["y"]
    assert [float(row["Value"]) for row in rows] == pytest.approx(bars["x"])
    assert "Source: approved reports, data as of" in bars["hovertemplate"]
    assert "Source: approved reports" in _traces(page, "ind-map")[0]["hovertemplate"]

    shown = page.locator("#ind-sources-table tbody tr td:first-child").all_inner_texts()
    download = _download(page, "ind-sources-export-xlsx")
    assert download.suggested_filename.endswith(".xlsx")
    sheet = list(load_workbook(io.BytesIO(download.path().read_bytes())).active.iter_rows(values_only=True))
    assert commune in sheet[0][0] and sheet[1][0].startswith("Source: IOC analytical store")
    assert sheet[4][0] == "Report" and [row[0] for row in sheet[5:]] == shown

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "indicators-en.png"), full_page=True)


def test_indicators_walk_with_the_keyboard(page, server):
    page.goto(server.url + "/indicators?lang=vi")
    page.wait_for_selector("#ind-kpi-value .ioc-kpi-value", timeout=30_000)
    page.locator("body").click(position={"x": 5, "y": 5})
    reached: dict[str, dict] = {}
    wanted = {"ind-crumb-province", "ind-sector", "ind-code", "ind-period", "ind-category", "ind-series-export-csv",
              "ind-breakdown-export-xlsx", "ind-sources-export-csv", "ind-communes-export-xlsx"}
    for _ in range(120):
        page.keyboard.press("Tab")
        focus = _focus(page)
        reached.setdefault(focus["id"], focus)
        if focus["id"] == "ind-communes-export-xlsx":
            break
    assert wanted <= set(reached), sorted(wanted - set(reached))
    for name in wanted:
        assert reached[name]["outline"] != "none" and reached[name]["width"] >= 2, reached[name]

    page.locator("#ind-series-export-csv").focus()
    with page.expect_download(timeout=30_000) as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
    page.locator("#ind-breakdown-export-xlsx").focus()
    with page.expect_download(timeout=30_000) as download:
        page.keyboard.press(" ")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.screenshot(path=str(SHOTS / "indicators-vi.png"), full_page=True)


def test_feedback_chart_exports_hold_the_charts_rows(page, server):
    page.goto(server.url + "/feedback?lang=en")
    page.locator("#fb-tickets-table tbody tr").first.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('#fb-funnel .js-plotly-plot')?.data?.length > 0",
                           timeout=30_000)
    source = "Source: citizen feedback system (Open311), data as of"

    head, rows = _csv(page, "fb-volume-export-csv")
    assert head[0].startswith("# Volume by category · Last 30 days") and head[1].startswith("# " + source)
    volume = _traces(page, "fb-volume")
    assert sum(int(row["Received"]) for row in rows) == sum(sum(trace["y"]) for trace in volume)
    assert source in _hover_title(page, "fb-volume")

    funnel = _traces(page, "fb-funnel")[0]
    head, rows = _csv(page, "fb-funnel-export-csv")
    assert [row["Stage"] for row in rows] == funnel["y"]
    assert [int(row["Tickets"]) for row in rows] == funnel["x"]
    assert source in funnel["hovertemplate"]

    agencies = _traces(page, "fb-agencies")[0]
    head, rows = _csv(page, "fb-agencies-export-csv")
    assert [row["Agency"] for row in rows] == [name for name, _ in agencies["customdata"]]
    assert [float(row["Average handling time (days)"]) for row in rows] == pytest.approx(agencies["x"])
    assert source in agencies["hovertemplate"]

    counts = _traces(page, "fb-map")[0]
    head, rows = _csv(page, "fb-map-export-csv")
    received = {row["Commune"]: int(row["Received"]) for row in rows}
    assert len(rows) == 124 and sorted(received.values()) == sorted(counts["z"])
    assert source in counts["hovertemplate"]

    paths = page.locator("#fb-map path.choroplethlocation")
    paths.nth(paths.count() // 3).click(force=True)
    page.wait_for_selector("#fb-crumb-commune:not(:empty)", timeout=30_000)
    commune = page.locator("#fb-crumb-commune").inner_text().removeprefix("› ")
    page.wait_for_function(f"""() => document.querySelector('#fb-funnel .js-plotly-plot')._fullData[0].x[0]
                               !== {funnel['x'][0]}""", timeout=30_000)
    filtered = _traces(page, "fb-funnel")[0]
    head, rows = _csv(page, "fb-funnel-export-csv")
    assert commune in head[0] and [int(row["Tickets"]) for row in rows] == filtered["x"]
    assert filtered["x"][0] == received[commune]
    page.screenshot(path=str(SHOTS / "feedback-en.png"), full_page=True)


def test_devices_series_and_outage_exports(page, server):
    page.goto(server.url + "/devices?lang=en")
    page.locator("#dv-sensors-table tbody tr").first.wait_for(timeout=30_000)
    for graph, traces in (("dv-series", 0), ("dv-map", 1)):
        page.wait_for_function(
            f"() => document.querySelector('#{graph} .js-plotly-plot')?._fullData?.length > {traces}", timeout=60_000)
    mean = _traces(page, "dv-series")[0]
    head, rows = _csv(page, "dv-export-series-csv")
    assert head[0].startswith("# Station series · ")
    assert head[1].startswith("# Source: automatic monitoring network, data as of")
    assert len(rows) == len(mean["y"])
    assert [float(row[next(k for k in row if k.startswith("Mean"))]) for row in rows] == pytest.approx(mean["y"])
    assert "Source: automatic monitoring network" in _hover_title(page, "dv-series")
    assert "Source: camera system" in _traces(page, "dv-map")[1]["hovertemplate"]

    # The table shows the newest outages, "shown of total"; the export holds them all.
    shown = page.locator("#dv-outages-table tbody tr").count()
    total = int(page.locator("#dv-outages-count").inner_text().split(" of ")[1].replace(",", ""))
    head, rows = _csv(page, "dv-export-outages-csv")
    assert head[1].startswith("# Source: camera system") and len(rows) == total
    assert shown == min(total, OUTAGE_ROWS)
    page.screenshot(path=str(SHOTS / "devices-en.png"), full_page=True)


def test_a_commune_approver_exports_only_the_commune(browser, server, commune):
    """Every export reads the signed-in account's scope, like the chart beside it (the pages in
    Vietnamese here: a commune's pages render fast, the screenshots show the Vietnamese heads)."""
    context, page = _signed_in(browser, server, *APPROVER)
    page.goto(server.url + "/indicators?lang=en")
    page.wait_for_selector("#ind-kpi-value .ioc-kpi-value", timeout=30_000)
    _pick(page, "ind-code", "NN01")
    page.locator("#ind-communes-table tbody tr").first.wait_for(timeout=30_000)
    _, rows = _csv(page, "ind-communes-export-csv")
    assert [row["Commune"] for row in rows] == [commune]
    series = _traces(page, "ind-series")[0]
    head, rows = _csv(page, "ind-series-export-csv")
    assert head[0].endswith(f"{commune} · Over time") and [row["Period"] for row in rows] == series["customdata"]
    head, rows = _csv(page, "ind-sources-export-csv")
    shown = page.locator("#ind-sources-table tbody tr td:first-child").all_inner_texts()
    assert head[0].endswith(f"{commune} · Where the figure comes from (approved reports)")
    assert [row["Report"] for row in rows] == shown

    page.goto(server.url + "/feedback?lang=vi")
    page.locator("#fb-tickets-table tbody tr").first.wait_for(timeout=60_000)
    _, rows = _csv(page, "fb-map-export-csv")
    assert [row["Xã, phường"] for row in rows] == [commune]
    _, rows = _csv(page, "fb-export-csv")
    assert rows and {row["Xã, phường"] for row in rows} == {commune}
    page.screenshot(path=str(SHOTS / "feedback-vi.png"), full_page=True)

    page.goto(server.url + "/devices?lang=vi")
    page.wait_for_selector("#dv-camera-footer:not(:empty)", timeout=30_000)
    page.wait_for_selector("#dv-sensor-footer:not(:empty)", timeout=30_000)
    _, cameras = _csv(page, "dv-export-cameras-csv")
    _, sensors = _csv(page, "dv-export-sensors-csv")
    assert {row["Xã, phường"] for row in cameras + sensors} <= {commune}
    _, events = _csv(page, "dv-export-events-csv")
    assert {row["ID"] for row in events} <= {row["ID"] for row in cameras}
    page.screenshot(path=str(SHOTS / "devices-vi.png"), full_page=True)
    assert page.foreign == []
    context.close()
