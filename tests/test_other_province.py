"""Switching province is one line of config: the whole demo works for Cao Bằng too."""
from __future__ import annotations

from ioc_app.config import load_settings
from ioc_app.geo import boundaries
from ioc_app.lake import connect
from ioc_app.queries import overview as q
from ioc_app.queries.scope import Scope
from tests.demo_instance import make_instance


def test_cao_bang_demo_end_to_end(tmp_path):
    instance = make_instance(tmp_path, province="Cao Bằng", scale=0.02)
    output = instance.ioc("demo", "--no-serve").stdout
    assert "quarantined      0" in output and "quarantined      1" not in output
    settings = load_settings(instance.config)
    assert settings.province_code == "04"
    scope = Scope("04")
    with connect(settings, read_only=True) as con:
        communes = {row[0] for row in con.execute(
            "SELECT area_key FROM dim_area WHERE level = 'commune' AND province_code = '04'").fetchall()}
        assert len(communes) == 56
        placed = {row[0] for row in con.execute("SELECT DISTINCT area_key FROM fact_ticket").fetchall()}
        assert placed and placed <= communes
        newest = con.execute("SELECT max(updated_at) FROM fact_ticket").fetchone()[0]
        assert q.tickets_summary(con, scope).iloc[0]["as_of"] == newest
        assert len(q.commune_tickets(con, scope, None)) == 56
        series = q.indicator_series(con, scope, "TM01")
        assert {"2025-06", "2025-07"} <= set(series["period"])
        sensors = q.sensors_summary(con, scope)
        assert "salinity" not in set(sensors["kind"])
    assert len(boundaries("04")["features"]) == 56
