"""The demo source generator: reproducible, realistic, in the formats of docs/interfaces.md."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.config import DemoSettings, Settings
from ioc_app.demo import build_demo_sources
from pipelines.reports import parse_periods

END = date(2025, 11, 20)
REPORT_COLUMNS = ["submission_id", "unit_code", "indicator_code", "period", "area_code", "category_code", "value",
                  "approved_at"]
TICKET_COLUMNS = ["service_request_id", "status", "service_code", "service_name", "description",
                  "requested_datetime", "updated_datetime", "expected_datetime", "lat", "long", "address",
                  "agency_responsible"]
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)
CODES = {"province": str, "area_code": str, "unit_code": str, "parent_code": str, "period": str}


def _settings(province: str, seed: int = 7) -> Settings:
    return Settings(province=province, demo=DemoSettings(seed=seed, end_date=END))


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=CODES, keep_default_na=False, na_values=[""])
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, sheet_name="data", dtype=CODES)
    return pd.read_json(path, lines=True, dtype=CODES)


def _concat(paths: list[Path]) -> pd.DataFrame:
    return pd.concat([_read(p) for p in paths], ignore_index=True)


def _digests(files: dict[str, list[Path]], root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for paths in files.values() for p in paths}


@pytest.fixture(scope="module")
def vinh_long(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[Path]]]:
    out = tmp_path_factory.mktemp("demo86")
    return out, build_demo_sources(_settings("Vĩnh Long"), out, scale=1.0)


def test_same_inputs_give_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    first = _digests(build_demo_sources(_settings("86"), tmp_path / "a", scale=0.05), tmp_path / "a")
    second = _digests(build_demo_sources(_settings("86"), tmp_path / "b", scale=0.05), tmp_path / "b")
    assert first == second
    assert {"catalog/units.csv", "catalog/indicators.json", "catalog/categories.json"} <= set(first)
    other = _digests(build_demo_sources(_settings("86", seed=8), tmp_path / "c", scale=0.05), tmp_path / "c")
    assert set(other) == set(first)
    assert other["tickets/tickets_2024.csv"] != first["tickets/tickets_2024.csv"]


def test_every_kind_is_written_in_the_contract_columns(vinh_long) -> None:
    out, files = vinh_long
    assert set(files) == {"units", "indicators", "categories", "reports", "tickets", "cameras", "sensors"}
    assert all(p.is_file() and p.is_relative_to(out) for paths in files.values() for p in paths)
    suffixes = {p.suffix for p in files["reports"]}
    assert suffixes == {".csv", ".xlsx", ".parquet"}
    for path in files["reports"]:
        assert list(_read(path).columns) == REPORT_COLUMNS, path.name
        if path.suffix == ".xlsx":
            assert load_workbook(path, read_only=True).sheetnames == ["data"]
    assert {p.suffix for p in files["tickets"]} == {".csv", ".jsonl"}
    for path in files["tickets"]:
        columns = list(_read(path).columns)
        assert columns[: len(TICKET_COLUMNS)] == TICKET_COLUMNS, path.name
        assert set(columns[len(TICKET_COLUMNS):]) <= {"area_code", "satisfaction"}
    names = {p.name: p for p in files["cameras"] + files["sensors"]}
    assert list(_read(names["cameras.csv"]).columns) == ["camera_id", "name", "kind", "lat", "lon", "area_code",
                                                         "installed_at"]
    assert list(_read(names["sensors.csv"]).columns) == ["sensor_id", "name", "kind", "unit", "threshold", "lat",
                                                         "lon", "area_code"]
    status = [p for p in files["cameras"] if p.name.startswith("status_")]
    events = [p for p in files["cameras"] if p.name.startswith("events_")]
    readings = [p for p in files["sensors"] if p.name.startswith("readings_")]
    assert status and events and readings
    assert list(_read(status[0]).columns) == ["camera_id", "observed_at", "online"]
    assert list(_read(events[0]).columns) == ["camera_id", "event_at", "event_type", "detail"]
    assert list(_read(readings[0]).columns) == ["sensor_id", "observed_at", "value"]


def test_units_cover_departments_former_districts_and_every_commune(vinh_long) -> None:
    _, files = vinh_long
    units = _read(files["units"][0])
    assert list(units.columns) == ["unit_code", "name", "kind", "parent_code", "area_code", "valid_from", "valid_to"]
    kinds = units["kind"].value_counts()
    assert kinds["province_office"] == 1 and kinds["department"] >= 15
    assert kinds["commune"] == 124 and kinds["former_district"] == 26
    assert {"Sở Tài chính", "Sở Y tế", "Sở Nông nghiệp và Môi trường", "Công an tỉnh"} <= set(units["name"])
    former = units[units["kind"] == "former_district"]
    assert (former["valid_to"] == "2025-06-30").all() and former["area_code"].str.len().eq(3).all()
    communes = units[units["kind"] == "commune"]
    assert (communes["valid_from"] == "2025-07-01").all() and communes["area_code"].str.len().eq(5).all()
    assert set(units["parent_code"].dropna()) <= set(units["unit_code"])
    old_offices = units[units["unit_code"].str.startswith("CTK.")]
    assert set(old_offices["area_code"]) == {"83", "84", "86"}


def test_indicator_catalog_is_rich_and_vietnamese(vinh_long) -> None:
    _, files = vinh_long
    indicators = json.loads(files["indicators"][0].read_text(encoding="utf-8"))
    assert len(indicators) >= 40
    keys = {"code", "name_vi", "name_en", "unit", "sector", "frequency", "aggregation", "direction", "value_type",
            "level", "targets"}
    assert all(set(item) == keys for item in indicators)
    assert all(VIETNAMESE.search(item["name_vi"]) for item in indicators)
    assert {item["frequency"] for item in indicators} == {"month", "quarter", "year"}
    assert {item["level"] for item in indicators} == {"province", "commune"}
    assert {item["aggregation"] for item in indicators} <= {"sum", "avg", "ratio", "latest"}
    names = " | ".join(item["name_vi"] for item in indicators)
    for needle in ("GRDP", "thu ngân sách", "xuất khẩu", "bán lẻ", "thành lập mới", "hộ nghèo", "bảo hiểm y tế",
                   "đi học đúng tuổi", "sản xuất công nghiệp", "Sản lượng lúa", "thủy sản nuôi trồng", "FDI",
                   "giải ngân", "khách du lịch", "thất nghiệp", "nông thôn mới"):
        assert needle in names, needle
    assert all(str(END.year) in item["targets"] for item in indicators)
    categories = json.loads(files["categories"][0].read_text(encoding="utf-8"))
    codes = {c["code"] for criterion in categories for c in criterion["categories"]}
    assert {"total", "male", "female", "urban", "rural", "eth_kinh", "eth_khmer", "eth_hoa"} <= codes


def test_reports_switch_from_old_units_to_new_on_1_july_2025(vinh_long) -> None:
    _, files = vinh_long
    reports = _concat(files["reports"])
    reports["end"] = _period_end(reports["period"])
    before, after = reports[reports["end"] < "2025-07-01"], reports[reports["end"] >= "2025-07-01"]
    assert not before.empty and not after.empty
    assert set(before["area_code"].str.len()) == {2, 3}  # old provinces and old districts
    assert set(before.loc[before["area_code"].str.len() == 2, "area_code"]) == {"83", "84", "86"}
    assert set(after["area_code"].str.len()) == {2, 5}  # the new province and its communes
    assert set(after.loc[after["area_code"].str.len() == 2, "area_code"]) == {"86"}
    assert {"male", "female", "urban", "rural"} <= set(reports["category_code"])
    assert (pd.to_datetime(reports["approved_at"]) < pd.Timestamp(END)).all()
    assert not reports.duplicated(["indicator_code", "period", "area_code", "category_code"]).any()

    retail = reports[(reports["indicator_code"] == "TM01") & (reports["category_code"] == "total")]
    monthly = retail.groupby("period")["value"].sum()
    assert len(retail[retail["period"] == "2025-06"]) == 3 and len(retail[retail["period"] == "2025-07"]) == 1
    assert 0.85 < monthly["2025-07"] / monthly["2025-06"] < 1.2  # no jump across the reform
    assert monthly["2025-02"] > monthly["2025-04"]  # Tết lifts retail sales
    population = reports[(reports["indicator_code"] == "DS01") & (reports["category_code"] == "total")]
    assert 3.8e6 < population[population["period"] == "2024"]["value"].sum() < 4.8e6


def _period_end(labels: pd.Series) -> pd.Series:
    """Last day of each period: the units that exist then report it."""
    return parse_periods(labels)["period_end"]


def test_tickets_are_many_recent_heavy_and_inside_their_commune(vinh_long) -> None:
    _, files = vinh_long
    tickets = _concat(files["tickets"])
    tickets["requested"] = pd.to_datetime(tickets["requested_datetime"].str[:19], format="ISO8601")
    assert tickets["service_request_id"].nunique() >= 20_000
    assert {"Môi trường", "Giao thông", "Trật tự đô thị", "Điện - nước", "Đất đai", "Y tế", "Giáo dục",
            "An ninh trật tự", "Dịch vụ công"} == set(tickets["service_name"])
    last = tickets.sort_values("updated_datetime").groupby("service_request_id").last()
    assert {"open", "in_progress", "closed"} <= set(last["status"])
    assert last["satisfaction"].dropna().between(1, 5).all()
    assert tickets.loc[tickets["status"] != "closed", "satisfaction"].isna().all()
    first = last[last["requested"] < last["requested"].min() + pd.Timedelta(days=90)]
    recent = last[last["requested"] >= pd.Timestamp(END) - pd.Timedelta(days=90)]
    assert len(recent) > 2 * len(first)
    assert 0.2 < last["area_code"].isna().mean() < 0.6

    polygons = {f["id"]: shape(f["geometry"]) for f in geo.boundaries("86")["features"]}
    links = geo.crosswalk("86")
    links = links[links["old_level"] == "old_commune"]
    targets = links.groupby(links["old_key"].str.removeprefix("old:"))["new_key"].apply(list).to_dict()
    given = last.dropna(subset=["area_code"])
    for area, lat, lon, requested in zip(given["area_code"], given["lat"], given["long"], given["requested"]):
        options = targets[area] if requested < pd.Timestamp("2025-07-01") else [area]
        assert any(shapely.contains_xy(polygons[code], lon, lat) for code in options), (area, lat, lon)


def test_camera_and_sensor_feeds_cover_thirty_days(vinh_long) -> None:
    _, files = vinh_long
    cameras = _read(next(p for p in files["cameras"] if p.name == "cameras.csv"))
    assert len(cameras) >= 200 and cameras["camera_id"].is_unique and cameras["name"].is_unique
    assert set(cameras["kind"]) == {"traffic", "security"}
    status = _concat([p for p in files["cameras"] if p.name.startswith("status_")])
    one = status[status["camera_id"] == cameras["camera_id"].iloc[0]].sort_values("observed_at")
    assert (one["observed_at"].diff().dropna() == pd.Timedelta(minutes=15)).all()
    span = status["observed_at"].max() - status["observed_at"].min()
    assert pd.Timedelta(days=29) < span < pd.Timedelta(days=30)
    final = status.sort_values("observed_at").groupby("camera_id")["online"].last()
    assert 1 <= (~final).sum() <= 0.1 * len(final)
    events = _concat([p for p in files["cameras"] if p.name.startswith("events_")])
    assert {"vehicle_congestion", "loitering", "camera_tampering"} <= set(events["event_type"])

    sensors = _read(next(p for p in files["sensors"] if p.name == "sensors.csv"))
    assert set(sensors["kind"]) == {"salinity", "water_level", "pm25"}
    readings = _concat([p for p in files["sensors"] if p.name.startswith("readings_")]).merge(sensors)
    steps = readings.sort_values(["sensor_id", "observed_at"]).groupby("sensor_id")["observed_at"].diff().dropna()
    assert steps.min() == pd.Timedelta(minutes=5) and steps.max() > pd.Timedelta(minutes=5)  # a few gaps
    over = readings[readings["value"] > readings["threshold"]].groupby("kind").size()
    assert over.reindex(["salinity", "water_level", "pm25"]).fillna(0).gt(0).all()
    assert (readings["observed_at"] < pd.Timestamp(END)).all()


def test_a_mountain_province_gets_its_own_character(tmp_path: Path) -> None:
    files = build_demo_sources(_settings("04"), tmp_path, scale=0.05)
    sensors = _read(next(p for p in files["sensors"] if p.name == "sensors.csv"))
    assert "salinity" not in set(sensors["kind"])
    categories = json.loads(files["categories"][0].read_text(encoding="utf-8"))
    assert {"eth_tay", "eth_nung", "eth_hmong"} <= {c["code"] for crit in categories for c in crit["categories"]}
    reports = _concat(files["reports"])
    old = reports[_period_end(reports["period"]) < pd.Timestamp("2025-07-01")]
    assert set(old.loc[old["area_code"].str.len() == 2, "area_code"]) == {"04"}
    communes = set(geo.areas("04").query("level == 'commune'")["code"])
    new_communes = set(reports.loc[reports["area_code"].str.len() == 5, "area_code"])
    assert new_communes == communes
    tickets = _concat(files["tickets"])
    full = _concat(build_demo_sources(_settings("86"), tmp_path / "vl", scale=0.05)["tickets"])
    assert 50 <= tickets["service_request_id"].nunique() < full["service_request_id"].nunique()
    rice = reports[(reports["indicator_code"] == "NN01") & (reports["category_code"] == "total")]
    assert np.isfinite(rice["value"]).all() and (rice["value"] >= 0).all()
