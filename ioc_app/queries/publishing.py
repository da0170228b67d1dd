"""What the publishing page reads from the lake: the approved figures (category total) that a
proposal copies into the operational DB, and the reporting units they come from.

Only approved figures exist in the lake (drafts, submitted and returned reports never reach
it, an unapproved report is withdrawn), so whatever these queries return may be published.
"""
from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from ioc_app.queries.scope import Scope

LIST = "(SELECT unnest(?::VARCHAR[]))"
# How many reporting units a figure names; the others are counted ("and 12 other units").
NAMED_UNITS = 3


def periods(con: duckdb.DuckDBPyConnection, indicator_codes: Sequence[str]) -> pd.DataFrame:
    """Periods in which the province has a figure of any of the indicators, newest first."""
    return con.execute(f"""
        SELECT period, any_value(period_start) AS period_start, count(DISTINCT indicator_code) AS indicators
        FROM agg_indicator_area
        WHERE indicator_code IN {LIST} AND level = 'province' AND category_code = 'total'
        GROUP BY period ORDER BY period_start DESC, period""", [list(indicator_codes)]).df()


def figures(con: duckdb.DuckDBPyConnection, scope: Scope, indicator_codes: Sequence[str], periods_: Sequence[str],
            level: str) -> pd.DataFrame:
    """The province's figures (and with level 'commune' every commune's in scope) of the indicators
    in the periods, with the indicator's names, unit, sector, direction and display digits."""
    levels = ["province", "commune"] if level == "commune" else ["province"]
    cond, params = scope.area_filter("d.area_key")
    return con.execute(f"""
        SELECT a.indicator_code, i.name_vi, i.name_en, i.unit, i.sector, i.direction,
               CASE WHEN i.aggregation = 'sum' THEN 0 ELSE 2 END AS digits,
               a.period, a.period_type, a.period_start, a.area_key, d.code AS area_code, d.name AS area_name,
               a.level, a.value
        FROM agg_indicator_area a
        JOIN dim_indicator i ON i.indicator_code = a.indicator_code
        JOIN dim_area d ON d.area_key = a.area_key
        WHERE a.indicator_code IN {LIST} AND a.period IN {LIST} AND a.level IN {LIST}
          AND a.category_code = 'total' AND a.value IS NOT NULL
          AND (a.level = 'commune' AND {cond} OR a.level = 'province' AND d.code = ?)
        ORDER BY a.indicator_code, a.period_start, a.level DESC, d.name""",
        [list(indicator_codes), list(periods_), levels, *params, scope.province_code]).df()


def sources(con: duckdb.DuckDBPyConnection, indicator_codes: Sequence[str], periods_: Sequence[str]) -> pd.DataFrame:
    """Per indicator and period: the first reporting units by name, how many there are, and the
    latest approval among their figures ("data as of")."""
    return con.execute(f"""
        WITH units AS (
            SELECT DISTINCT f.indicator_code, f.period, coalesce(u.name, f.unit_code) AS unit_name
            FROM fact_indicator_value f LEFT JOIN dim_unit u ON u.unit_code = f.unit_code
            WHERE f.indicator_code IN {LIST} AND f.period IN {LIST} AND f.category_code = 'total'),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY indicator_code, period ORDER BY unit_name) AS n,
                   count(*) OVER (PARTITION BY indicator_code, period) AS source_count
            FROM units)
        SELECT r.indicator_code, r.period,
               string_agg(r.unit_name, '; ' ORDER BY r.unit_name) FILTER (WHERE r.n <= {NAMED_UNITS}) AS source_units,
               any_value(r.source_count) AS source_count,
               (SELECT max(f.approved_at) FROM fact_indicator_value f
                WHERE f.indicator_code = r.indicator_code AND f.period = r.period
                  AND f.category_code = 'total') AS approved_at
        FROM ranked r GROUP BY r.indicator_code, r.period""",
        [list(indicator_codes), list(periods_)]).df()
