"""Ingestion pipelines on tiny source files built here (every format, every kind)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.config import load_settings
from ioc_app.errors import SourceError
from ioc_app.lake import connect, ticket_rollups
from pipelines import rollups, run_ingest
from pipelines.checks import Checker, to_ict
from pipelines.readers import ROW
from tests.demo_instance import write_store_config

PROVINCE = "86"  # Vĩnh Long since 1 July 2025 = old Vĩnh Long (86) + Bến Tre (83) + Trà Vinh (84)


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_excel(path, sheet_name="data", index=False)
    return path


def query(settings, sql: str) -> list[tuple]:
    with connect(settings, read_only=True) as con:
        return con.execute(sql).fetchall()


def one(settings, sql: str):
    return query(settings, sql)[0][0]


@pytest.fixture(scope="module")
def place():
    """Codes of this province used by the tests: an old commune split into current communes, etc."""
    crosswalk = geo.crosswalk(PROVINCE)
    old = crosswalk[crosswalk.old_level == "old_commune"]
    split = old[old.groupby("old_key").new_key.transform("size") > 1].sort_values("old_key").iloc[:2]
    boundaries = {f["id"]: shape(f["geometry"]) for f in geo.boundaries(PROVINCE)["features"]}
    commune = split.new_key.iloc[0]
    point = boundaries[commune].representative_point()
    return {
        "old_commune": split.old_key.iloc[0].removeprefix("old:"), "split": split,
        "commune": commune, "other_commune": split.new_key.iloc[1], "lat": point.y, "lon": point.x,
    }


@pytest.fixture
def settings(tmp_path):
    return load_settings(write_store_config(tmp_path, PROVINCE))


@pytest.fixture
def catalog(settings, tmp_path, place):
    """Areas, units, indicators and categories loaded; returns the settings."""
    run_ingest(settings, "areas", None)
    write(pd.DataFrame([
        ("UBND", "UBND tỉnh", "province_office", "", PROVINCE, "2025-07-01", ""),
        ("XA1", "UBND xã 1", "commune", "UBND", place["commune"], "2025-07-01", ""),
        ("OLDX", "UBND xã cũ", "commune", "UBND", place["old_commune"], "2010-01-01", "2025-06-30"),
    ], columns=["unit_code", "name", "kind", "parent_code", "area_code", "valid_from", "valid_to"]),
        tmp_path / "units.csv")
    (tmp_path / "indicators.json").write_text(json.dumps([
        {"code": "POP", "name_vi": "Dân số", "name_en": "Population", "unit": "người", "sector": "dân số",
         "frequency": "year", "aggregation": "sum", "direction": "up", "value_type": "integer",
         "level": "commune", "targets": {"2025": 1000, "2026": 1100}},
        {"code": "RATE", "name_vi": "Tỷ lệ", "name_en": "Rate", "unit": "%", "sector": "y tế",
         "frequency": "month", "aggregation": "ratio", "direction": "up", "value_type": "percent",
         "level": "commune", "targets": {}},
    ], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "categories.json").write_text(json.dumps([
        {"criterion": "sex", "name_vi": "Giới tính", "name_en": "Sex", "categories": [
            {"code": "total", "name_vi": "Tổng", "name_en": "Total"},
            {"code": "male", "name_vi": "Nam", "name_en": "Male"}]},
    ], ensure_ascii=False), encoding="utf-8")
    for kind, name in (("units", "units.csv"), ("indicators", "indicators.json"), ("categories", "categories.json")):
        run_ingest(settings, kind, tmp_path / name)
    return settings


def report_rows(place, value="120.5"):
    return pd.DataFrame([
        ("S1", "XA1", "POP", "2025-H2", place["commune"], "total", value, "2025-12-20T09:00:00+07:00"),
        ("S1", "XA1", "POP", "2025-H2", place["commune"], "male", "60", "2025-12-20 09:00:00"),
    ], columns=["submission_id", "unit_code", "indicator_code", "period", "area_code", "category_code", "value",
                "approved_at"])


def test_catalog_kinds_load_and_rerun_adds_nothing(catalog, tmp_path, place):
    settings = catalog
    assert one(settings, "SELECT count(*) FROM dim_area") == len(geo.areas(PROVINCE))
    assert one(settings, "SELECT count(*) FROM dim_area_crosswalk") == len(geo.crosswalk(PROVINCE))
    assert query(settings, "SELECT unit_code, area_key FROM dim_unit ORDER BY 1") == [
        ("OLDX", f"old:{place['old_commune']}"), ("UBND", PROVINCE), ("XA1", place["commune"])]
    assert query(settings, "SELECT * FROM dim_indicator_target ORDER BY year") == [("POP", 2025, 1000.0),
                                                                                   ("POP", 2026, 1100.0)]
    assert one(settings, "SELECT count(*) FROM dim_category") == 2
    snapshot = one(settings, "SELECT id FROM lake.current_snapshot()")
    assert run_ingest(settings, "areas", None).loaded == 0
    for kind, name in (("units", "units.csv"), ("indicators", "indicators.json"), ("categories", "categories.json")):
        report = run_ingest(settings, kind, tmp_path / name)
        assert (report.loaded, report.quarantined) == (0, 0)
    assert one(settings, "SELECT count(*) FROM dim_unit") == 3
    assert one(settings, "SELECT id FROM lake.current_snapshot()") == snapshot  # a re-run writes nothing


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".xlsx"])
def test_reports_in_every_format(catalog, tmp_path, place, suffix):
    settings = catalog
    path = write(report_rows(place), tmp_path / f"reports{suffix}")
    report = run_ingest(settings, "reports", path)
    assert (report.read, report.loaded, report.quarantined) == (2, 2, 0)
    assert query(settings, "SELECT area_key, period_type, period_start, value, approved_at, source, batch_id "
                           "FROM fact_indicator_value WHERE category_code = 'total'") == [
        (place["commune"], "half", pd.Timestamp("2025-07-01").date(), 120.5, pd.Timestamp("2025-12-20 09:00"),
         path.name, report.batch_id)]
    again = run_ingest(settings, "reports", path)
    assert (again.read, again.loaded) == (0, 0)
    assert one(settings, "SELECT count(*) FROM fact_indicator_value") == 2


def test_same_rows_in_another_file_add_nothing(catalog, tmp_path, place):
    write(report_rows(place), tmp_path / "a.csv")
    write(report_rows(place), tmp_path / "b.parquet")
    assert run_ingest(catalog, "reports", tmp_path / "a.csv").loaded == 2
    report = run_ingest(catalog, "reports", tmp_path / "b.parquet")
    assert (report.read, report.loaded) == (2, 0)
    assert one(catalog, "SELECT count(*) FROM fact_indicator_value") == 2


def test_bad_rows_are_quarantined_with_reasons(catalog, tmp_path, place):
    rows = pd.concat([report_rows(place), pd.DataFrame([
        ("S2", "XA1", "NOPE", "2025-H2", place["commune"], "total", "1", "2025-12-20"),
        ("S2", "XA1", "POP", "2025-13", place["commune"], "total", "1", "2025-12-20"),
        ("S2", "XA1", "POP", "2025-H2", "99999", "total", "abc", "2025-12-20"),
        ("S2", "XA1", "POP", "2025-H2", place["commune"], "total", "1", "yesterday"),
    ], columns=report_rows(place).columns)])
    report = run_ingest(catalog, "reports", write(rows, tmp_path / "reports.csv"))
    assert (report.read, report.loaded, report.quarantined) == (6, 2, 4)
    assert report.reasons == {"unknown indicator_code": 1, "period is not YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY": 1,
                              "unknown area_code": 1, "value is not a number": 1,
                              "approved_at is not a date/time": 1}
    quarantined = query(catalog, "SELECT row_number, column_name, reason, raw, batch_id FROM quarantine "
                                 "ORDER BY row_number, column_name")
    assert [row[:2] for row in quarantined] == [(4, "indicator_code"), (5, "period"), (6, "area_code"),
                                                (6, "value"), (7, "approved_at")]
    assert json.loads(quarantined[0][3])["indicator_code"] == "NOPE"
    assert {row[4] for row in quarantined} == {report.batch_id}
    assert one(catalog, f"SELECT rows_quarantined FROM ingest_batch WHERE batch_id = '{report.batch_id}'") == 4


def test_missing_column_raises_and_stores_nothing(catalog, tmp_path, place):
    path = write(report_rows(place).drop(columns=["value", "period"]), tmp_path / "reports.xlsx")
    before = one(catalog, "SELECT count(*) FROM ingest_batch")
    with pytest.raises(SourceError, match=r"reports\.xlsx: missing required columns period, value"):
        run_ingest(catalog, "reports", path)
    assert one(catalog, "SELECT count(*) FROM ingest_batch") == before
    assert one(catalog, "SELECT count(*) FROM fact_indicator_value") == 0


def test_excel_without_data_sheet_is_a_source_error(catalog, tmp_path, place):
    path = tmp_path / "reports.xlsx"
    report_rows(place).to_excel(path, sheet_name="Sheet1", index=False)
    with pytest.raises(SourceError, match="no sheet named 'data'"):
        run_ingest(catalog, "reports", path)


def test_dry_run_writes_nothing(catalog, tmp_path, place):
    path = write(report_rows(place), tmp_path / "reports.csv")
    snapshot = one(catalog, "SELECT id FROM lake.current_snapshot()")
    report = run_ingest(catalog, "reports", path, dry_run=True)
    assert (report.read, report.loaded) == (2, 2)
    assert one(catalog, "SELECT id FROM lake.current_snapshot()") == snapshot
    assert one(catalog, "SELECT count(*) FROM fact_indicator_value") == 0
    assert run_ingest(catalog, "reports", path).loaded == 2  # not marked as already loaded


def test_failure_inside_the_batch_leaves_nothing(catalog, tmp_path, place, monkeypatch):
    def broken(con, touched):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollups, "indicators", broken)
    before = one(catalog, "SELECT count(*) FROM ingest_batch")
    with pytest.raises(RuntimeError, match="disk full"):
        run_ingest(catalog, "reports", write(report_rows(place), tmp_path / "reports.csv"))
    assert one(catalog, "SELECT count(*) FROM fact_indicator_value") == 0
    assert one(catalog, "SELECT count(*) FROM ingest_batch") == before


def test_old_codes_map_through_the_crosswalk(catalog, tmp_path, place):
    split = place["split"]
    old = place["old_commune"]
    rows = pd.DataFrame([
        ("A", "OLDX", "POP", "2024", old, "total", "1000", "2025-01-10"),       # old commune, sum
        ("A", "OLDX", "RATE", "2024-05", old, "total", "40", "2024-06-10"),     # old commune, ratio
        ("B", "OLDX", "RATE", "2024-05", old, "total", "50", "2024-06-20"),     # later correction wins
        ("C", "UBND", "POP", "2025-H2", PROVINCE, "total", "9999", "2025-12-31"),  # province-level figure
        ("C", "XA1", "POP", "2025-H2", place["commune"], "total", "300", "2025-12-31"),
    ], columns=report_rows(place).columns)
    report = run_ingest(catalog, "reports", write(rows, tmp_path / "reports.parquet"))
    assert (report.loaded, report.quarantined) == (5, 0)
    assert query(catalog, "SELECT DISTINCT area_key, original_area_code FROM fact_indicator_value "
                          "WHERE unit_code = 'OLDX'") == [(f"old:{old}", old)]
    weights = dict(zip(split.new_key, split.weight))
    pop = dict(query(catalog, "SELECT area_key, value FROM agg_indicator_area WHERE indicator_code = 'POP' "
                              "AND period = '2024' AND level = 'commune'"))
    assert pop == pytest.approx({key: 1000 * weight for key, weight in weights.items()})
    # no province figure for 2024: the province value adds up its communes
    assert one(catalog, "SELECT value FROM agg_indicator_area WHERE indicator_code = 'POP' AND period = '2024' "
                        "AND level = 'province'") == pytest.approx(sum(pop.values()))
    rate = dict(query(catalog, "SELECT area_key, value FROM agg_indicator_area WHERE indicator_code = 'RATE' "
                               "AND level = 'commune'"))
    assert rate == pytest.approx({key: 50.0 for key in weights})
    # a province-level figure wins over the sum of the communes
    assert query(catalog, "SELECT area_key, value FROM agg_indicator_area WHERE indicator_code = 'POP' "
                          "AND period = '2025-H2' ORDER BY level") == [(place["commune"], 300.0), (PROVINCE, 9999.0)]


def test_old_province_figures_combine_into_the_new_province(catalog, tmp_path):
    old_provinces = geo.crosswalk(PROVINCE).query("old_level == 'old_province'").old_key.str.removeprefix("old:")
    rows = pd.DataFrame([("P", "UBND", "POP", "2023", code, "total", str(100 * (i + 1)), "2024-02-01")
                         for i, code in enumerate(old_provinces)], columns=report_rows({"commune": ""}).columns)
    assert run_ingest(catalog, "reports", write(rows, tmp_path / "old.csv")).loaded == len(old_provinces)
    assert query(catalog, "SELECT area_key, level, value FROM agg_indicator_area WHERE period = '2023'") == [
        (PROVINCE, "province", float(sum(100 * (i + 1) for i in range(len(old_provinces)))))]


def _largest_successor(old_code: str) -> str:
    """The current commune that took the largest share of an old commune."""
    crosswalk = geo.crosswalk(PROVINCE)
    parts = crosswalk[(crosswalk.old_key == f"old:{old_code}") & (crosswalk.new_level == "commune")]
    return parts.sort_values("weight").new_key.iloc[-1]


def ticket(ticket_id, status, requested, updated, place, **extra):
    row = {"service_request_id": ticket_id, "status": status, "service_code": "road", "service_name": "Đường",
           "description": "ổ gà", "requested_datetime": requested, "updated_datetime": updated,
           "expected_datetime": "", "lat": place["lat"], "long": place["lon"], "address": "",
           "agency_responsible": "Sở GTVT", "area_code": "", "satisfaction": ""}
    return {**row, **extra}


def test_tickets_current_state_with_late_and_out_of_order_events(catalog, tmp_path, place):
    first = pd.DataFrame([
        ticket("T1", "open", "2025-08-01 08:00", "2025-08-01 08:00", place),
        ticket("T1", "closed", "2025-08-01 08:00", "2025-08-03 10:00", place, satisfaction="4"),
        ticket("T2", "open", "2024-03-01 09:00", "2024-03-01 09:00", place, area_code=place["old_commune"],
               lat="", long=""),
        ticket("T3", "open", "2025-08-02 09:00", "2025-08-02 09:00", place, lat="1.0", long="100.0"),
    ])
    report = run_ingest(catalog, "tickets", write(first, tmp_path / "tickets1.csv"))
    assert (report.loaded, report.quarantined, report.reasons) == (3, 1, {"coordinates outside the province": 1})
    late = pd.DataFrame([ticket("T1", "in_progress", "2025-08-01 08:00", "2025-08-02 08:00", place)])
    assert run_ingest(catalog, "tickets", write(late, tmp_path / "tickets2.jsonl")).loaded == 1
    state = query(catalog, "SELECT ticket_id, status, closed_at, satisfaction, area_key, original_area_code "
                           "FROM fact_ticket ORDER BY 1")
    assert state == [
        ("T1", "closed", pd.Timestamp("2025-08-03 10:00"), 4, place["commune"], None),
        ("T2", "open", None, None, _largest_successor(place["old_commune"]), place["old_commune"]),
    ]
    assert one(catalog, "SELECT count(*) FROM fact_ticket_event WHERE ticket_id = 'T1'") == 3
    assert query(catalog, "SELECT ticket_id FROM agg_ticket_backlog") == [("T2",)]
    assert query(catalog, "SELECT closed, closed_on_time, closed_days, rated, satisfaction_sum FROM agg_ticket_daily "
                          "WHERE closed > 0") == [(1, 0, pytest.approx(2 + 2 / 24), 1, 4.0)]
    assert _rollup_is_rebuilt_alike(catalog)
    reopened = pd.DataFrame([ticket("T1", "open", "2025-08-01 08:00", "2025-08-05 08:00", place)])
    run_ingest(catalog, "tickets", write(reopened, tmp_path / "tickets3.parquet"))
    assert query(catalog, "SELECT status, closed_at FROM fact_ticket WHERE ticket_id = 'T1'") == [("open", None)]
    daily = query(catalog, "SELECT day, area_key, status, opened, closed FROM agg_ticket_daily ORDER BY day")
    successor = place["split"].sort_values("weight").new_key.iloc[-1]
    assert daily == [(pd.Timestamp("2024-03-01").date(), successor, "open", 1, 0),
                     (pd.Timestamp("2025-08-01").date(), place["commune"], "open", 1, 0)]
    assert query(catalog, "SELECT ticket_id, status FROM agg_ticket_backlog ORDER BY 1") == [("T1", "open"),
                                                                                            ("T2", "open")]
    assert _rollup_is_rebuilt_alike(catalog)


def _rollup_is_rebuilt_alike(settings) -> bool:
    """The rows the batches refreshed day by day are those of a rebuild from every ticket."""
    rows = query(settings, "SELECT * FROM agg_ticket_daily")
    return sorted(rows, key=repr) == sorted(query(settings, ticket_rollups.daily_rows(None)), key=repr)


def test_ticket_offsets_are_converted_to_ict(catalog, tmp_path, place):
    rows = pd.DataFrame([ticket("T9", "open", "2025-08-01T01:00:00Z", "2025-08-01T01:00:00Z", place)])
    run_ingest(catalog, "tickets", write(rows, tmp_path / "t.xlsx"))
    assert one(catalog, "SELECT requested_at FROM fact_ticket") == pd.Timestamp("2025-08-01 08:00")


def test_cameras_registry_status_and_events(catalog, tmp_path, place):
    registry = pd.DataFrame([
        ("CAM1", "Ngã tư", "traffic", place["lat"], place["lon"], "", "2024-05-01"),
        ("CAM2", "Chợ", "security", place["lat"], place["lon"], place["other_commune"], "2024-05-01"),
        ("CAM3", "Sai", "drone", place["lat"], place["lon"], "", "2024-05-01"),
    ], columns=["camera_id", "name", "kind", "lat", "lon", "area_code", "installed_at"])
    report = run_ingest(catalog, "cameras", write(registry, tmp_path / "cameras.csv"))
    assert (report.loaded, report.quarantined) == (2, 1)
    assert query(catalog, "SELECT camera_id, area_key FROM dim_camera ORDER BY 1") == [
        ("CAM1", place["commune"]), ("CAM2", place["other_commune"])]
    status = pd.DataFrame({"camera_id": ["CAM1", "CAM1", "CAM2", "CAMX"],
                           "observed_at": pd.to_datetime(["2025-09-01 00:00", "2025-09-01 00:15",
                                                          "2025-09-01 00:00", "2025-09-01 00:00"]),
                           "online": [True, False, True, True]})
    report = run_ingest(catalog, "cameras", write(status, tmp_path / "status_1.parquet"))
    assert (report.loaded, report.reasons) == (3, {"unknown camera_id": 1})
    assert one(catalog, "SELECT count(*) FROM fact_camera_status WHERE NOT online") == 1
    events = pd.DataFrame([("CAM1", "2025-09-01T00:05:00+07:00", "offline", "mất tín hiệu"),
                           ("CAM1", "2025-09-01T00:05:00+07:00", "offline", "mất tín hiệu")],
                          columns=["camera_id", "event_at", "event_type", "detail"])
    report = run_ingest(catalog, "cameras", write(events, tmp_path / "events_1.jsonl"))
    assert (report.loaded, report.reasons) == (1, {"duplicate row in the file": 1})


def test_sensor_readings_and_incremental_rollups(catalog, tmp_path, place):
    registry = pd.DataFrame([("SAL1", "Trạm mặn", "salinity", "g/l", "4", place["lat"], place["lon"], "")],
                            columns=["sensor_id", "name", "kind", "unit", "threshold", "lat", "lon", "area_code"])
    run_ingest(catalog, "sensors", write(registry, tmp_path / "sensors.xlsx"))
    first = pd.DataFrame({"sensor_id": "SAL1", "value": [1.0, 2.0, 3.0, 10.0],
                          "observed_at": pd.to_datetime(["2025-09-01 10:00", "2025-09-01 10:05",
                                                         "2025-09-01 10:10", "2025-09-02 00:00"])})
    assert run_ingest(catalog, "sensors", write(first, tmp_path / "readings_1.parquet")).loaded == 4
    second = pd.DataFrame({"sensor_id": ["SAL1", "SAL1", "NOPE"], "value": ["6", "x", "1"],
                           "observed_at": ["2025-09-01 10:15", "2025-09-01 10:20", "2025-09-01 10:15"]})
    report = run_ingest(catalog, "sensors", write(second, tmp_path / "readings_2.csv"))
    assert (report.loaded, report.quarantined) == (1, 2)
    assert query(catalog, "SELECT area_key, hour, n, avg_value, min_value, max_value FROM agg_sensor_hourly "
                          "ORDER BY hour") == [
        (place["commune"], pd.Timestamp("2025-09-01 10:00"), 4, 3.0, 1.0, 6.0),
        (place["commune"], pd.Timestamp("2025-09-02 00:00"), 1, 10.0, 10.0, 10.0)]
    assert query(catalog, "SELECT day, n, max_value FROM agg_sensor_daily ORDER BY day") == [
        (pd.Timestamp("2025-09-01").date(), 4, 6.0), (pd.Timestamp("2025-09-02").date(), 1, 10.0)]


def test_unknown_kind_and_missing_sensor_columns(catalog, tmp_path):
    path = write(pd.DataFrame({"sensor_id": ["S"], "observed_at": ["2025-01-01"]}), tmp_path / "r.csv")
    with pytest.raises(SourceError, match=r"r\.csv: missing required column value"):
        run_ingest(catalog, "sensors", path)
    with pytest.raises(Exception, match="unknown ingest kind 'weather'"):
        run_ingest(catalog, "weather", path)


@pytest.fixture
def sensor_lake(settings, tmp_path, place):
    """Areas and two registered sensors; returns the settings."""
    run_ingest(settings, "areas", None)
    registry = pd.DataFrame([(sensor, "Trạm", "salinity", "g/l", "4", place["lat"], place["lon"], "")
                             for sensor in ("SAL1", "SAL2")],
                            columns=["sensor_id", "name", "kind", "unit", "threshold", "lat", "lon", "area_code"])
    run_ingest(settings, "sensors", write(registry, tmp_path / "sensors.csv"))
    return settings


def readings(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sensor_id", "observed_at", "value"])


ROLLUPS_FROM_FACTS = """
    SELECT 'hourly', sensor_id, date_trunc('hour', observed_at), count(*), avg(value), min(value), max(value)
    FROM fact_sensor_reading GROUP BY ALL
    UNION ALL
    SELECT 'daily', sensor_id, CAST(CAST(observed_at AS DATE) AS TIMESTAMP), count(*), avg(value), min(value),
           max(value)
    FROM fact_sensor_reading GROUP BY ALL"""
ROLLUPS_STORED = """
    SELECT 'hourly', sensor_id, hour, n, avg_value, min_value, max_value FROM agg_sensor_hourly
    UNION ALL
    SELECT 'daily', sensor_id, CAST(day AS TIMESTAMP), n, avg_value, min_value, max_value FROM agg_sensor_daily"""


def test_duplicate_readings_found_in_ordered_and_unordered_files(sensor_lake, tmp_path):
    ordered = readings([("SAL1", "2025-09-01 10:00", 1.0), ("SAL2", "2025-09-01 10:00", 2.0),
                        ("SAL2", "2025-09-01 10:00", 9.0), ("SAL1", "2025-09-01 10:05", 3.0)])
    ordered["observed_at"] = pd.to_datetime(ordered["observed_at"])
    report = run_ingest(sensor_lake, "sensors", write(ordered, tmp_path / "ordered.parquet"))
    assert (report.loaded, report.reasons) == (3, {"duplicate row in the file": 1})
    assert query(sensor_lake, "SELECT row_number, column_name FROM quarantine") == [(3, "observed_at")]
    unordered = readings([("SAL2", "2025-09-01 10:15", 1.0), ("SAL1", "2025-09-01 10:10", 2.0),
                          ("SAL2", "2025-09-01 10:10", 3.0), ("SAL1", "2025-09-01 10:15", 4.0)])
    report = run_ingest(sensor_lake, "sensors", write(unordered, tmp_path / "unordered.csv"))
    assert (report.loaded, report.quarantined) == (4, 0)
    sensor_major = readings([("SAL1", "2025-09-01 11:00", 1.0), ("SAL1", "2025-09-01 11:05", 2.0),
                             ("SAL2", "2025-09-01 11:00", 3.0), ("SAL2", "2025-09-01 11:00", 4.0)])
    report = run_ingest(sensor_lake, "sensors", write(sensor_major, tmp_path / "sensor_major.csv"))
    assert (report.loaded, report.reasons) == (3, {"duplicate row in the file": 1})


def test_overlapping_readings_add_only_new_rows_and_rollups_stay_exact(sensor_lake, tmp_path, caplog):
    first = readings([("SAL1", "2025-09-01 10:00", 1.0), ("SAL1", "2025-09-01 10:05", 2.0),
                      ("SAL2", "2025-09-01 23:55", 5.0)])
    assert run_ingest(sensor_lake, "sensors", write(first, tmp_path / "first.csv")).loaded == 3
    # the same readings again (other spelling: padded ids, UTC offsets) plus new ones in the same hours and days
    caplog.set_level("INFO", logger="ioc.pipelines")
    second = readings([(" SAL1", "2025-09-01T03:00:00Z", 1.0), ("SAL1 ", "2025-09-01T10:05:00+07:00", 2.0),
                       ("SAL1", "2025-09-01 10:10", 6.0), ("SAL2", "2025-09-01 23:50", 7.0),
                       ("SAL2", "2025-09-02 00:00", 8.0), ("", "2025-09-01 10:10", 1.0)])
    report = run_ingest(sensor_lake, "sensors", write(second, tmp_path / "second.csv"))
    assert (report.read, report.loaded, report.reasons) == (6, 3, {"missing sensor_id": 1})
    assert one(sensor_lake, "SELECT count(*) FROM fact_sensor_reading") == 6
    stored = sorted(query(sensor_lake, ROLLUPS_STORED))
    assert stored == sorted(query(sensor_lake, ROLLUPS_FROM_FACTS))
    assert ("hourly", "SAL1", pd.Timestamp("2025-09-01 10:00"), 3, 3.0, 1.0, 6.0) in stored
    assert ("daily", "SAL2", pd.Timestamp("2025-09-01"), 2, 6.0, 5.0, 7.0) in stored
    messages = [record.getMessage() for record in caplog.records if record.name == "ioc.pipelines"]
    assert "sensor readings: 6 rows checked, 5 valid" in " ".join(messages)
    assert any(message.startswith("rollups: 3 hourly and 3 daily sensor partitions") for message in messages)
    assert any(message.startswith("fact_sensor_reading: 3 new rows loaded") for message in messages)


def test_feeds_are_stored_in_time_order(sensor_lake, tmp_path):
    """A file holding one station's readings after the other's is stored in time order, so that the
    row groups of a time window are the only ones its queries read."""
    station_major = readings([(sensor, f"2025-09-01 10:{minute:02d}", 1.0)
                              for sensor in ("SAL2", "SAL1") for minute in range(0, 60, 5)])
    run_ingest(sensor_lake, "sensors", write(station_major, tmp_path / "station_major.csv"))
    stored = query(sensor_lake, "SELECT observed_at, sensor_id FROM fact_sensor_reading")
    assert stored == sorted(stored) and len(stored) == 24
    hours = query(sensor_lake, "SELECT hour, sensor_id FROM agg_sensor_hourly")
    assert hours == sorted(hours)


LATEST_FROM_FEEDS = """
    SELECT 'sensor', sensor_id, max(observed_at), CAST(arg_max(value, observed_at) AS VARCHAR), NULL
    FROM fact_sensor_reading GROUP BY sensor_id
    UNION ALL
    SELECT 'camera', camera_id, max(observed_at), CAST(arg_max(online, observed_at) AS VARCHAR),
           max(observed_at) FILTER (WHERE online)
    FROM fact_camera_status GROUP BY camera_id"""
LATEST_STORED = """
    SELECT 'sensor', sensor_id, observed_at, CAST(value AS VARCHAR), NULL FROM agg_sensor_latest
    UNION ALL
    SELECT 'camera', camera_id, observed_at, CAST(online AS VARCHAR), last_online FROM agg_camera_latest"""


def test_devices_latest_rows_follow_batches_in_any_order(sensor_lake, tmp_path, place):
    """Each batch folds its new readings and heartbeats into the devices' latest rows: an older batch
    arriving late changes nothing, a resent one adds nothing, and the rows stay those of the feeds."""
    cameras = pd.DataFrame([("CAM1", "Ngã tư", "traffic", place["lat"], place["lon"], "", ""),
                            ("CAM2", "Chợ", "security", place["lat"], place["lon"], "", "")],
                           columns=["camera_id", "name", "kind", "lat", "lon", "area_code", "installed_at"])
    run_ingest(sensor_lake, "cameras", write(cameras, tmp_path / "cameras.csv"))

    def beats(name: str, rows: list[tuple]) -> None:
        frame = pd.DataFrame(rows, columns=["camera_id", "observed_at", "online"])
        frame["observed_at"] = pd.to_datetime(frame["observed_at"])
        run_ingest(sensor_lake, "cameras", write(frame, tmp_path / f"{name}.parquet"))

    beats("b1", [("CAM1", "2025-09-01 10:00", True), ("CAM1", "2025-09-01 10:05", False),
                 ("CAM2", "2025-09-01 10:05", True)])
    run_ingest(sensor_lake, "sensors", write(readings([("SAL1", "2025-09-01 10:05", 2.0),
                                                       ("SAL2", "2025-09-01 10:00", 7.0)]), tmp_path / "r1.csv"))
    beats("b0", [("CAM1", "2025-09-01 09:55", True), ("CAM2", "2025-09-01 09:55", False)])  # older, late
    run_ingest(sensor_lake, "sensors", write(readings([("SAL1", "2025-09-01 09:00", 5.0),
                                                       ("SAL1", "2025-09-01 10:10", 3.0)]), tmp_path / "r2.csv"))
    run_ingest(sensor_lake, "sensors", write(readings([("SAL1", "2025-09-01 10:10", 3.0)]), tmp_path / "r3.csv"))
    stored = sorted(query(sensor_lake, LATEST_STORED), key=repr)
    assert stored == sorted(query(sensor_lake, LATEST_FROM_FEEDS), key=repr)
    assert stored == sorted([
        ("camera", "CAM1", pd.Timestamp("2025-09-01 10:05"), "false", pd.Timestamp("2025-09-01 10:00")),
        ("camera", "CAM2", pd.Timestamp("2025-09-01 10:05"), "true", pd.Timestamp("2025-09-01 10:05")),
        ("sensor", "SAL1", pd.Timestamp("2025-09-01 10:10"), "3.0", None),
        ("sensor", "SAL2", pd.Timestamp("2025-09-01 10:00"), "7.0", None),
    ], key=repr)


def test_repeated_timestamps_and_ids_are_checked_once_per_distinct_value():
    stamps = pd.Series(["2025-09-01 10:00", " 2025-09-01T03:00:00Z", None, " ", "soon", "2025-09-01 10:00"] * 3,
                       dtype="str")
    expected = [pd.Timestamp("2025-09-01 10:00")] * 2 + [pd.NaT] * 3 + [pd.Timestamp("2025-09-01 10:00")]
    assert to_ict(stamps).tolist() == expected * 3
    table = pd.DataFrame({"sensor_id": pd.Series([" A", "A", "", None, "B"] * 2, dtype="str"), ROW: range(2, 12)})
    check = Checker(table)
    ids = check.required_category("sensor_id")
    assert ids.astype(object).where(ids.notna(), None).tolist() == ["A", "A", None, None, "B"] * 2
    assert check.problems()[["row_number", "reason"]].values.tolist() == [
        [row, "missing sensor_id"] for row in (4, 5, 9, 10)]
    typed = Checker(pd.DataFrame({"sensor_id": pd.Series([29272.0, "29272", True, None], dtype=object)}))
    assert typed.required_category("sensor_id").astype(object).tolist()[:3] == ["29272", "29272", "True"]
