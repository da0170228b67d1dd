"""The two tables derived from fact_ticket, and how they are (re)built.

- agg_ticket_daily: per day, current commune, service, current status and agency, the tickets
  received that day (`opened`, and `opened_on_time`: of those, closed by their due time) and
  closed that day (`closed`, `closed_on_time`, `closed_days` = their summed handling days,
  `rated` and `satisfaction_sum`). Every count of the feedback view over a period of days
  adds these rows up instead of reading two million tickets.
- agg_ticket_backlog: the tickets not closed now (a few percent of them), for the open and
  overdue counts, which depend on the exact due time, and with the columns of the desk's lists of
  open and overdue tickets.

Rows are written in day (due time) order, and pipelines/tickets.py writes tickets newest first: a
period's query reads only the row groups of its days, which DuckDB skips by their min/max
statistics (a month of a province-year's rollup: 14 instead of 24 ms), and a list of the newest
tickets stops at the first row groups (DuckDB's top-N skips the row groups older than its 100th
row: the newest 100 of a year's 2M tickets in 33 instead of 140 ms).

The pipelines refresh the rows of the days and tickets a batch touched (pipelines/rollups.py);
a lake that lacks the tables or the columns gets them filled from fact_ticket when its schema
is brought up to date (ioc_app/lake/schema.py).
"""
from __future__ import annotations

import duckdb

from ioc_app.lake.connection import MAIN as L


def daily_rows(days: str | None) -> str:
    """SELECT of agg_ticket_daily's rows for the days listed in the relation `days(day)` (all when None)."""
    where = "" if days is None else f"WHERE day IN (SELECT day FROM {days})"
    return f"""
        WITH ticket AS (
            SELECT area_key, service_code, status, agency, satisfaction,
                   CAST(requested_at AS DATE) AS opened_day, CAST(closed_at AS DATE) AS closed_day,
                   CAST(coalesce(closed_at <= expected_at, FALSE) AS INTEGER) AS on_time,
                   epoch(closed_at - requested_at) / 86400 AS days
            FROM {L}.fact_ticket
        ), counted AS (
            SELECT opened_day AS day, area_key, service_code, status, agency, 1 AS opened, 0 AS closed,
                   on_time AS opened_on_time, 0 AS closed_on_time, 0.0 AS closed_days, 0 AS rated,
                   0.0 AS satisfaction_sum
            FROM ticket
            UNION ALL
            SELECT closed_day, area_key, service_code, status, agency, 0, 1, 0, on_time, days,
                   CAST(satisfaction IS NOT NULL AS INTEGER), coalesce(satisfaction, 0)
            FROM ticket WHERE closed_day IS NOT NULL
        )
        SELECT day, area_key, service_code, status, sum(opened), sum(closed), agency, sum(opened_on_time),
               sum(closed_on_time), sum(closed_days), sum(rated), sum(satisfaction_sum)
        FROM counted {where}
        GROUP BY day, area_key, service_code, status, agency
        ORDER BY day"""


def backlog_rows(tickets: str) -> str:
    """SELECT of agg_ticket_backlog's rows from the relation `tickets` (fact_ticket's columns)."""
    return (f"SELECT ticket_id, area_key, service_code, agency, status, requested_at, expected_at, service_name, "
            f"satisfaction FROM {tickets} WHERE status <> 'closed' ORDER BY expected_at")


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Both tables again from every ticket, inside the caller's transaction."""
    con.execute(f"DELETE FROM {L}.agg_ticket_daily")
    con.execute(f"INSERT INTO {L}.agg_ticket_daily " + daily_rows(None))
    con.execute(f"DELETE FROM {L}.agg_ticket_backlog")
    con.execute(f"INSERT INTO {L}.agg_ticket_backlog " + backlog_rows(f"{L}.fact_ticket"))
