"""The indicators view's figures, on the session's demo lake (read only), checked against the
rollup's own rows: this period's value, the same period a year earlier and the year's target."""
from __future__ import annotations

import pandas as pd
import pytest

from ioc_app.config import load_settings
from ioc_app.lake import connect
from ioc_app.queries import indicators as q
from ioc_app.queries.scope import Scope


@pytest.fixture(scope="module")
def con(demo):
    with connect(load_settings(demo.config), read_only=True) as connection:
        connection.execute("USE lake")
        yield connection


@pytest.fixture(scope="module")
def rows(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM agg_indicator_area").df()


def _year_before(rows: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """The rows of the same areas, indicator, category and period type one year before `now`'s."""
    before = now[["area_key", "indicator_code", "category_code", "period_type", "period_start"]].assign(
        period_start=now["period_start"] - pd.DateOffset(years=1))
    return before.merge(rows, on=list(before.columns))[["area_key", "value"]]


def _picked(rows: pd.DataFrame, level: str) -> pd.Series:
    """A (indicator, period) of `level` rows whose year-earlier period has figures too."""
    total = rows[(rows["level"] == level) & (rows["category_code"] == "total")]
    earlier = set(zip(total["indicator_code"], total["period_type"], total["period_start"]))
    found = total[[(c, t, s - pd.DateOffset(years=1)) in earlier
                   for c, t, s in zip(total["indicator_code"], total["period_type"], total["period_start"])]]
    return found.sort_values(["indicator_code", "period_start"]).iloc[-1]


def test_commune_values_give_each_commune_its_value_and_last_years(con, rows, demo):
    scope = Scope(load_settings(demo.config).province_code)
    pick = _picked(rows, "commune")
    now = rows[(rows["indicator_code"] == pick["indicator_code"]) & (rows["period"] == pick["period"])
               & (rows["category_code"] == "total") & (rows["level"] == "commune")]
    found = q.commune_values(con, scope, pick["indicator_code"], pick["period"], "total").set_index("area_key")
    assert set(found.index) == set(now["area_key"])
    assert found.loc[now["area_key"], "value"].tolist() == now["value"].tolist()
    before = _year_before(rows, now).set_index("area_key")["value"]
    assert len(before) > 0
    assert found.loc[before.index, "last_year"].tolist() == before.tolist()
    assert found.loc[~found.index.isin(before.index), "last_year"].isna().all()
    one = sorted(now["area_key"])[:1]
    assert list(q.commune_values(con, Scope(scope.province_code, frozenset(one), one[0]), pick["indicator_code"],
                                 pick["period"], "total")["area_key"]) == one


def test_home_figure_is_the_provinces_value_last_years_and_target(con, rows, demo):
    scope = Scope(load_settings(demo.config).province_code)
    pick = _picked(rows, "province")
    now = rows[(rows["indicator_code"] == pick["indicator_code"]) & (rows["period"] == pick["period"])
               & (rows["category_code"] == "total") & (rows["level"] == "province")]
    figure = q.home_figure(con, scope, pick["indicator_code"], pick["period"], "total").iloc[0]
    assert figure["value"] == now["value"].iloc[0]
    assert figure["last_year"] == _year_before(rows, now)["value"].iloc[0]
    target = con.execute("SELECT target FROM dim_indicator_target WHERE indicator_code = ? AND year = ?",
                         [pick["indicator_code"], pick["period_start"].year]).fetchone()
    assert (figure["target"] if pd.notna(figure["target"]) else None) == (target[0] if target else None)
