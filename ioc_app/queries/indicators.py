"""Queries behind the indicator desk view: catalog, periods, values by commune, series,
breakdown by category, and the approved submissions each figure comes from.

Figures are read from agg_indicator_area (current province and communes, continuous across
the July 2025 reform); lineage from fact_indicator_value: a commune's own rows, or before
the reform the rows of the old units that the crosswalk maps onto it.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from ioc_app.queries.scope import Scope


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def catalog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Indicators that have figures, with their sector and whether communes report them."""
    return _df(con, """
        SELECT i.indicator_code, i.name_vi, i.name_en, i.unit, i.sector, i.frequency, i.aggregation,
               i.direction, i.level
        FROM dim_indicator i
        WHERE EXISTS (SELECT 1 FROM agg_indicator_area a WHERE a.indicator_code = i.indicator_code)
        ORDER BY i.sector, i.indicator_code""", [])


def periods(con: duckdb.DuckDBPyConnection, indicator_code: str) -> pd.DataFrame:
    """Periods with a figure for the indicator, newest first."""
    return _df(con, """
        SELECT DISTINCT period, period_start FROM agg_indicator_area
        WHERE indicator_code = ? ORDER BY period_start DESC""", [indicator_code])


def categories(con: duckdb.DuckDBPyConnection, indicator_code: str) -> pd.DataFrame:
    """The categories the indicator is broken down by (total first)."""
    return _df(con, """
        SELECT DISTINCT a.category_code, coalesce(c.criterion, 'total') AS criterion,
               coalesce(c.name_vi, a.category_code) AS name_vi, coalesce(c.name_en, a.category_code) AS name_en
        FROM agg_indicator_area a LEFT JOIN dim_category c ON c.category_code = a.category_code
        WHERE a.indicator_code = ?
        ORDER BY a.category_code <> 'total', criterion, a.category_code""", [indicator_code])


def commune_values(con: duckdb.DuckDBPyConnection, scope: Scope, indicator_code: str, period: str,
                   category_code: str) -> pd.DataFrame:
    """One row per commune in scope: code, area_key, name, value for the period, value a year earlier.
    The indicator's commune rows are read once, for both periods: each table a query names costs a
    DuckLake lookup of its files (3–6 ms), whatever its size."""
    cond, params = scope.area_filter("d.area_key")
    return _df(con, f"""
        WITH ind AS MATERIALIZED (
            SELECT area_key, value, period, period_start, period_type FROM agg_indicator_area
            WHERE indicator_code = ? AND category_code = ? AND level = 'commune'),
        now_ AS (SELECT area_key, value, period_start, period_type FROM ind WHERE period = ?),
        before AS (
            SELECT b.area_key, b.value FROM ind b
            WHERE b.period_start = (SELECT any_value(period_start) FROM now_) - INTERVAL 1 YEAR
              AND b.period_type = (SELECT any_value(period_type) FROM now_))
        SELECT d.code, d.area_key, d.name, n.value, b.value AS last_year
        FROM dim_area d
        JOIN now_ n ON n.area_key = d.area_key
        LEFT JOIN before b ON b.area_key = d.area_key
        WHERE d.level = 'commune' AND {cond}
        ORDER BY d.name""", [indicator_code, category_code, period, *params])


def home_figure(con: duckdb.DuckDBPyConnection, scope: Scope, indicator_code: str, period: str,
                category_code: str) -> pd.DataFrame:
    """The figure of the scope's home area (the province for the whole province) for the period,
    the same period a year earlier and the year's target; the home area's rows of the indicator are
    read once, for both periods (as in `commune_values`)."""
    home, params = scope.home_filter("d")
    return _df(con, f"""
        WITH p AS MATERIALIZED (SELECT d.area_key FROM dim_area d WHERE {home}),
        ind AS MATERIALIZED (
            SELECT a.value, a.period, a.period_start, a.period_type FROM agg_indicator_area a JOIN p USING (area_key)
            WHERE a.indicator_code = ? AND a.category_code = ?)
        SELECT n.value, n.period_start,
               (SELECT b.value FROM ind b WHERE b.period_type = n.period_type
                  AND b.period_start = n.period_start - INTERVAL 1 YEAR) AS last_year,
               (SELECT t.target FROM dim_indicator_target t
                WHERE t.indicator_code = ? AND t.year = year(n.period_start)) AS target
        FROM ind n WHERE n.period = ?""", [*params, indicator_code, category_code, indicator_code, period])


def series(con: duckdb.DuckDBPyConnection, scope: Scope, area_key: str, indicator_code: str,
           category_code: str) -> pd.DataFrame:
    """The area's series of one indicator and category, continuous across the reform (empty outside the scope)."""
    cond, params = _area_in(scope, area_key)
    return _df(con, f"""
        SELECT period, period_start, value FROM agg_indicator_area
        WHERE area_key = ? AND indicator_code = ? AND category_code = ? AND {cond}
        ORDER BY period_start""", [area_key, indicator_code, category_code, *params])


def breakdown(con: duckdb.DuckDBPyConnection, scope: Scope, area_key: str, indicator_code: str,
              period: str) -> pd.DataFrame:
    """The area's figure for every category of the indicator in one period (empty outside the scope)."""
    cond, params = _area_in(scope, area_key)
    return _df(con, f"""
        SELECT a.category_code, coalesce(c.criterion, 'total') AS criterion,
               coalesce(c.name_vi, a.category_code) AS name_vi, coalesce(c.name_en, a.category_code) AS name_en,
               a.value
        FROM agg_indicator_area a LEFT JOIN dim_category c ON c.category_code = a.category_code
        WHERE a.area_key = ? AND a.indicator_code = ? AND a.period = ? AND {cond}
        ORDER BY a.category_code <> 'total', criterion, a.category_code""",
        [area_key, indicator_code, period, *params])


def home_area_key(con: duckdb.DuckDBPyConnection, scope: Scope) -> str | None:
    """The area standing for the scope: the province's key, or the restricted scope's home area."""
    home, params = scope.home_filter("d")
    row = con.execute(f"SELECT d.area_key FROM dim_area d WHERE {home}", params).fetchone()
    return row[0] if row else None


def _area_in(scope: Scope, area_key: str) -> tuple[str, list]:
    """A condition that holds when `area_key` lies in the scope (the province's own key only
    in a whole-province scope)."""
    if scope.area_keys is None:
        return "TRUE", []
    # Not `? IN (SELECT unnest(?))`: DuckDB numbers the subquery's parameter first.
    return "list_contains(?::VARCHAR[], ?::VARCHAR)", [sorted(scope.area_keys), area_key]


def sources(con: duckdb.DuckDBPyConnection, scope: Scope, area_key: str, indicator_code: str, period: str,
            category_code: str) -> pd.DataFrame:
    """The approved submissions behind one figure: the area's own, or the old units mapped onto it
    (empty outside the scope).

    Each row: submission_id, unit_code, original_area_code, value, approved_at, source, loaded_at;
    the latest approved figure of each reporting area counts (a re-approval replaces it)."""
    cond, params = _area_in(scope, area_key)
    return _df(con, f"""
        WITH own AS (SELECT area_key FROM (SELECT ?::VARCHAR AS area_key
                                           UNION SELECT old_key FROM dim_area_crosswalk WHERE new_key = ?)
                     WHERE {cond}),
        rows_ AS (
            SELECT f.*, row_number() OVER (PARTITION BY f.area_key ORDER BY f.approved_at DESC, f.loaded_at DESC) AS n
            FROM fact_indicator_value f JOIN own USING (area_key)
            WHERE f.indicator_code = ? AND f.period = ? AND f.category_code = ?)
        SELECT submission_id, unit_code, original_area_code, value, approved_at, source, loaded_at
        FROM rows_ WHERE n = 1
        ORDER BY approved_at DESC""", [area_key, area_key, *params, indicator_code, period, category_code])
