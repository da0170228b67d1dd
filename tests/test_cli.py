"""The `ioc` command on the demo installation: one-line refusals, nothing stored lost."""
from __future__ import annotations

import json

import pytest

from tests.demo_instance import Instance, write_store_config

UNREACHABLE_PG = "postgresql+psycopg://postgres:secret@127.0.0.1:1/ioc"


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_check_passes_on_the_demo(demo: Instance):
    result = demo.ioc("check")
    assert result.stdout.startswith("ok:")


def test_check_names_each_unreachable_store_on_one_line(demo: Instance):
    config = write_store_config(demo.root / "broken", "Vĩnh Long", database_url=UNREACHABLE_PG)
    config.write_text(config.read_text(encoding="utf-8").replace(
        "catalog: sqlite:data/lake/catalog.sqlite", "catalog: postgres:dbname=nope host=127.0.0.1 port=1 user=postgres"),
        encoding="utf-8")
    result = Instance(config.parent, config).ioc("check", check=False)
    assert result.returncode == 1
    lines = _lines(result.stdout)
    # with PostgreSQL the shared keys must come from the environment (docs/deployment.md): named too
    assert sorted(line.split()[0] for line in lines if line.startswith("IOC_")) == ["IOC_SECRET_KEY", "IOC_SIGNING_KEY"]
    problems = [line for line in lines if not line.startswith("IOC_")]
    assert len(problems) == 2
    assert problems[0].startswith("operational DB: postgresql+psycopg://postgres:***@127.0.0.1:1/ioc")
    assert "secret" not in result.stdout
    assert problems[1].startswith("analytical store: cannot open the DuckLake catalog")


def test_init_with_unreachable_postgres_is_one_line(tmp_path):
    config = write_store_config(tmp_path, "Vĩnh Long", database_url=UNREACHABLE_PG)
    result = Instance(tmp_path, config).ioc("init", check=False)
    assert result.returncode == 1
    assert _lines(result.stderr) == [line for line in _lines(result.stderr) if line.startswith("error: ")]
    assert len(_lines(result.stderr)) == 1 and "start PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr


def test_source_with_a_wrong_column_is_refused_and_nothing_is_lost(demo: Instance, tmp_path):
    before = json.loads(demo.ioc("ingest", "tickets", "--file", str(_first(demo, "tickets")), "--json")
                        .stdout.splitlines()[-1])
    assert before["loaded"] == 0  # already in the store
    bad = tmp_path / "tickets.csv"
    bad.write_text("service_request_id,status,service_code\nT-1,open,MT\n", encoding="utf-8")
    result = demo.ioc("ingest", "tickets", "--file", str(bad), check=False)
    assert result.returncode == 1
    errors = [line for line in _lines(result.stderr) if line.startswith("error: ")]
    assert errors == [f"error: {bad}: missing required columns requested_datetime, updated_datetime"]
    assert _lines(result.stderr)[-1] == errors[0] and "Traceback" not in result.stderr
    assert demo.ioc("check").returncode == 0


def test_ingest_json_report_is_the_last_line(demo: Instance, tmp_path):
    late = tmp_path / "late.csv"
    late.write_text(
        "service_request_id,status,service_code,service_name,description,requested_datetime,updated_datetime,"
        "expected_datetime,lat,long,address,agency_responsible,area_code\n"
        "CLI-1,open,MT,Môi trường,Rác thải,2026-11-19 08:00,2026-11-19 08:00,2026-11-26 08:00,,,,,28756\n"
        "CLI-2,open,MT,Môi trường,Rác thải,not a date,2026-11-19 08:00,2026-11-26 08:00,,,,,28756\n",
        encoding="utf-8")
    report = json.loads(demo.ioc("ingest", "tickets", "--file", str(late), "--json").stdout.splitlines()[-1])
    assert (report["read"], report["loaded"], report["quarantined"]) == (2, 1, 1)
    assert report["reasons"] == {"requested_datetime is not a date/time": 1}


@pytest.mark.parametrize(("password", "fragment"), [
    ("weak", "password too weak"),
    ("alllowercase1!", "upper-case letter"),
])
def test_user_create_refuses_weak_passwords(demo: Instance, password, fragment):
    result = demo.ioc("user", "create", "weakling", "--role", "officer", "--password-stdin",
                      stdin=password + "\n", check=False)
    assert result.returncode == 1
    assert len(_lines(result.stderr)) == 1 and fragment in result.stderr


def test_user_create_refuses_an_unknown_role(demo: Instance):
    result = demo.ioc("user", "create", "x", "--role", "emperor", "--password-stdin", stdin="Aa1!aaaa\n", check=False)
    assert result.returncode == 2 and "invalid choice: 'emperor'" in result.stderr


def _first(demo: Instance, kind: str):
    manifest_dir = next((demo.root / "data" / "demo").iterdir())
    manifest = json.loads((manifest_dir / "manifest.json").read_text(encoding="utf-8"))
    return manifest_dir / manifest["files"][kind][0]


def test_every_stored_figure_is_found_by_an_equality_filter(demo: Instance):
    """DuckLake 1.4.4 lost inlined rows under `=` filters (docs/decisions.md); the lake keeps no inlined rows."""
    from ioc_app.config import load_settings
    from ioc_app.lake import connect

    with connect(load_settings(demo.config), read_only=True) as con:
        counts = con.execute("SELECT area_key, count(*) FROM fact_indicator_value GROUP BY area_key").fetchall()
        assert len(counts) > 100
        for area_key, expected in counts:
            found = con.execute("SELECT count(*) FROM fact_indicator_value WHERE area_key = ?", [area_key]).fetchone()
            assert found[0] == expected, area_key
