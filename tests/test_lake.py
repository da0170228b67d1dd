"""The analytical store: packaged extensions, schema, SQLite and PostgreSQL catalogs, concurrency."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest

from ioc_app.config import REPO_ROOT, load_settings
from ioc_app.errors import StoreError
from ioc_app.lake import connect, ensure_schema, snapshot_id
from ioc_app.lake.connection import extension_directory
from ioc_app.lake.maintenance import compact
from ioc_app.lake.schema import TABLES
from tests.lake_fixtures import any_catalog, make_settings, pg_lake  # noqa: F401 (fixtures)


def test_connect_uses_packaged_signed_extensions_only(tmp_path):
    with connect(make_settings(tmp_path)) as con:
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('extension_directory', "
            "'autoinstall_known_extensions', 'autoload_known_extensions', 'allow_unsigned_extensions')").fetchall())
        loaded = {row[0] for row in con.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded")
                  .fetchall()}
        assert con.execute("SELECT current_database()").fetchone()[0] == "lake"
    assert Path(settings["extension_directory"]) == extension_directory()
    assert "site-packages" in str(extension_directory()) and (extension_directory() / "v1.4.4").is_dir()
    assert settings["autoinstall_known_extensions"] == "false"
    assert settings["autoload_known_extensions"] == "false"
    assert settings["allow_unsigned_extensions"] == "false"
    assert {"ducklake", "sqlite_scanner"} <= loaded


def test_ensure_schema_is_idempotent(tmp_path):
    settings = make_settings(tmp_path)
    with connect(settings) as con:
        ensure_schema(con)
        first = snapshot_id(con)
        ensure_schema(con)
        assert snapshot_id(con) == first
        tables = {row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()}
        assert tables == set(TABLES)
        columns = [row[0] for row in con.execute("DESCRIBE fact_ticket_event").fetchall()]
        assert columns == ["ticket_id", "status", "event_at", "batch_id", "source", "loaded_at"]
        con.execute("INSERT INTO dim_category VALUES ('total', 'sex', 'Tổng', 'Total')")
        assert snapshot_id(con) == first + 1
    with connect(settings, read_only=True) as con:
        ensure_schema(con)  # nothing to create: no write needed
        assert con.execute("SELECT name_vi FROM dim_category").fetchall() == [("Tổng",)]


def test_an_older_lake_gains_the_ticket_rollups_filled_from_its_tickets(any_catalog):
    """A lake made before agg_ticket_daily had its agency and closing columns, and before
    agg_ticket_backlog, gets them at its next ensure_schema, filled from fact_ticket."""
    with connect(any_catalog) as con:
        ensure_schema(con)
        con.execute("""INSERT INTO fact_ticket (ticket_id, service_code, status, requested_at, updated_at,
                                                expected_at, closed_at, area_key, agency, satisfaction) VALUES
            ('A', 'road', 'closed', '2026-11-01 08:00', '2026-11-02 20:00', '2026-11-03', '2026-11-02 20:00',
             'c1', 'works', 4),
            ('B', 'road', 'open', '2026-11-01 09:00', '2026-11-01 09:00', '2026-11-02', NULL, 'c1', 'works', NULL),
            ('C', 'light', 'closed', '2026-11-02 10:00', '2026-11-05 10:00', '2026-11-04', '2026-11-05 10:00',
             'c2', NULL, NULL)""")
        con.execute("DROP TABLE agg_ticket_backlog")
        for column in ("agency", "opened_on_time", "closed_on_time", "closed_days", "rated", "satisfaction_sum"):
            con.execute(f"ALTER TABLE agg_ticket_daily DROP COLUMN {column}")
        before = snapshot_id(con)
        ensure_schema(con)
        assert snapshot_id(con) == before + 1  # columns, table and rows in one commit
        daily = con.execute("""
            SELECT day::VARCHAR, service_code, status, agency, opened, closed, opened_on_time, closed_on_time,
                   round(closed_days, 3), rated, satisfaction_sum
            FROM agg_ticket_daily ORDER BY day, service_code, status""").fetchall()
        assert daily == [
            ("2026-11-01", "road", "closed", "works", 1, 0, 1, 0, 0.0, 0, 0.0),
            ("2026-11-01", "road", "open", "works", 1, 0, 0, 0, 0.0, 0, 0.0),
            ("2026-11-02", "light", "closed", None, 1, 0, 0, 0, 0.0, 0, 0.0),
            ("2026-11-02", "road", "closed", "works", 0, 1, 0, 1, 1.5, 1, 4.0),
            ("2026-11-05", "light", "closed", None, 0, 1, 0, 0, 3.0, 0, 0.0),
        ]
        assert con.execute("SELECT ticket_id, status FROM agg_ticket_backlog").fetchall() == [("B", "open")]
        ensure_schema(con)
        assert snapshot_id(con) == before + 1


def test_an_older_lake_gains_the_devices_latest_rows_filled_from_its_feeds(any_catalog):
    """A lake made before agg_sensor_latest and agg_camera_latest gets them at its next
    ensure_schema, filled from the readings and heartbeats it holds."""
    with connect(any_catalog) as con:
        ensure_schema(con)
        con.execute("""INSERT INTO fact_sensor_reading (sensor_id, observed_at, value) VALUES
            ('S1', '2026-11-01 08:00', 1.5), ('S1', '2026-11-01 08:05', 2.5), ('S2', '2026-11-01 07:00', 9.0)""")
        con.execute("""INSERT INTO fact_camera_status (camera_id, observed_at, online) VALUES
            ('C1', '2026-11-01 08:00', TRUE), ('C1', '2026-11-01 08:05', FALSE), ('C2', '2026-11-01 08:05', FALSE)""")
        con.execute("DROP TABLE agg_sensor_latest")
        con.execute("DROP TABLE agg_camera_latest")
        before = snapshot_id(con)
        ensure_schema(con)
        assert snapshot_id(con) == before + 1
        assert con.execute("SELECT sensor_id, observed_at::VARCHAR, value FROM agg_sensor_latest ORDER BY 1"
                           ).fetchall() == [("S1", "2026-11-01 08:05:00", 2.5), ("S2", "2026-11-01 07:00:00", 9.0)]
        assert con.execute("SELECT camera_id, observed_at::VARCHAR, online, last_online::VARCHAR "
                           "FROM agg_camera_latest ORDER BY 1").fetchall() == [
            ("C1", "2026-11-01 08:05:00", False, "2026-11-01 08:00:00"), ("C2", "2026-11-01 08:05:00", False, None)]


def test_postgres_catalog(pg_lake):
    with connect(pg_lake) as con:
        ensure_schema(con)
        con.execute("INSERT INTO dim_indicator (indicator_code, name_vi) VALUES ('POP', 'Dân số')")
        con.execute("INSERT INTO fact_sensor_reading SELECT 'S1', TIMESTAMP '2025-01-01' + "
                    "INTERVAL (range) MINUTE, range, 'b', 'f', now() FROM range(5000)")
    with connect(pg_lake) as con:
        assert con.execute("SELECT name_vi FROM dim_indicator").fetchall() == [("Dân số",)]
        assert con.execute("SELECT count(*), sum(value) FROM fact_sensor_reading").fetchone() == (5000, 12497500)


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ioc_app.config import load_settings
    from ioc_app.lake import connect
    with connect(load_settings(Path(sys.argv[1]))) as con:
        for batch in range(1, 9):
            con.execute("BEGIN")
            con.execute("INSERT INTO t SELECT ?, range FROM range(500)", [batch])
            con.execute("INSERT INTO t SELECT ?, range FROM range(500, 1000)", [batch])
            con.execute("COMMIT")
""")


UPGRADER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ioc_app.config import load_settings
    from ioc_app.lake import connect, ensure_schema
    with connect(load_settings(Path(sys.argv[1]))) as con:
        time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # both start their upgrade together
        ensure_schema(con)
""")


def test_two_machines_bring_one_older_lake_up_to_date_at_once(pg_lake, tmp_path):
    """Web machines restarted together after an upgrade both run ensure_schema on one PostgreSQL
    catalog: one commit conflicts, and that machine looks again instead of failing to start."""
    with connect(pg_lake) as con:
        ensure_schema(con)
        con.execute("DROP TABLE agg_ticket_backlog")
        con.execute("ALTER TABLE agg_ticket_daily DROP COLUMN rated")
    start = str(time.time() + 3)
    machines = [subprocess.Popen([sys.executable, "-c", UPGRADER, str(tmp_path / "config.yaml"), start],
                                 cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for machine in machines:
        assert machine.wait(timeout=120) == 0, machine.stderr.read()
    with connect(pg_lake, read_only=True) as con:
        columns = [row[0] for row in con.execute("DESCRIBE agg_ticket_daily").fetchall()]
        assert columns.count("rated") == 1
        assert con.execute("SELECT count(*) FROM agg_ticket_backlog").fetchone() == (0,)


def test_reader_sees_other_process_commits_without_reconnecting(tmp_path):
    settings = make_settings(tmp_path)
    with connect(settings) as reader:
        reader.execute("CREATE TABLE t (batch INTEGER, i INTEGER)")
        start = snapshot_id(reader)
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "config.yaml")], cwd=REPO_ROOT,
                                  stderr=subprocess.PIPE, text=True)
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows, batches = reader.execute("SELECT count(*), count(DISTINCT batch) FROM t").fetchone()
            assert rows == batches * 1000, "a reader saw half of a transaction"
            seen.add(batches)
            if batches == 8:
                break
            time.sleep(0.02)
        assert writer.wait(timeout=60) == 0, writer.stderr.read()
        assert 8 in seen and len(seen) >= 2  # the same connection saw the data grow
        assert snapshot_id(reader) == start + 8


def test_unreachable_postgres_catalog_is_a_store_error(tmp_path):
    settings = make_settings(tmp_path, catalog="postgres:dbname=nope host=127.0.0.1 port=1 user=postgres")
    with pytest.raises(StoreError, match="cannot open the DuckLake catalog.*lake.catalog"):
        connect(settings)


def test_unwritable_path_is_a_store_error(tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    settings = make_settings(tmp_path, data_path="blocker/files")
    with pytest.raises(StoreError, match="cannot create .*blocker/files"):
        connect(settings)


def test_missing_read_only_catalog_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open the DuckLake catalog"):
        connect(make_settings(tmp_path), read_only=True)


def test_small_batches_write_files_that_compact_merges(tmp_path):
    settings = make_settings(tmp_path)
    with connect(settings) as con:
        ensure_schema(con)
        for minute in range(5):
            con.execute("INSERT INTO fact_sensor_reading SELECT 'S1', TIMESTAMP '2025-01-01' + INTERVAL (? * 100 + range)"
                        " MINUTE, 1.0, 'b', 'f', now() FROM range(100)", [minute])
        con.execute("INSERT INTO fact_sensor_reading SELECT 'S2', TIMESTAMP '2025-01-01' + INTERVAL (range) MINUTE, "
                    "2.0, 'b', 'f', now() FROM range(5000)")
        con.execute("INSERT INTO fact_sensor_reading SELECT 'S3', TIMESTAMP '2025-01-01' + INTERVAL (range) MINUTE, "
                    "3.0, 'b', 'f', now() FROM range(5000)")
        assert len(list(settings.lake.data_path.rglob("*.parquet"))) == 7
        report = compact(con, keep=timedelta(0))
        assert report.data_files_before == 7 and report.data_files_after == 1
        assert con.execute("SELECT count(*), sum(value) FROM fact_sensor_reading").fetchone() == (10500, 25500.0)
        assert con.execute("SELECT count(*) FROM fact_sensor_reading WHERE sensor_id = 'S1'").fetchone() == (500,)
