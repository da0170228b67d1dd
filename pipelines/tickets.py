"""Citizen feedback (Open311 GeoReport v2 rows, one per status change).

Every row is a status event (fact_ticket_event). fact_ticket holds each ticket's current
state: the attributes of its latest event (by updated_datetime; late or out-of-order
events never overwrite a newer state), requested_at the earliest seen, closed_at the first
closing event after the last non-closing one (NULL unless the ticket is closed now).
"""
from __future__ import annotations

import pandas as pd

from pipelines import rollups
from pipelines.areas import AreaIndex
from pipelines.batch import Batch, LoadResult
from pipelines.checks import Checker
from pipelines.readers import require_columns
from pipelines.store import append_new, stage, time_range

REQUIRED = ["service_request_id", "status", "service_code", "requested_datetime", "updated_datetime"]
STATUSES = ("open", "in_progress", "closed")
EVENT_KEY = ["ticket_id", "status", "event_at"]
_LATEST = "ORDER BY updated_at DESC, status_rank DESC"
_ATTRIBUTES = ["service_code", "service_name", "expected_at", "lat", "lon", "area_key", "original_area_code",
               "agency", "address", "description", "satisfaction"]


def _area(batch: Batch, check: Checker, requested_at: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """area_key, original code, lat, lon: the current commune, from the coordinates when given, else
    from area_code at the request date (an old unit mapped to the commune that took most of it)."""
    area_code = check.optional("area_code")
    lat = check.number("lat", required=False, low=-90, high=90)
    lon = check.number("long", required=False, low=-180, high=180)
    check.flag(lat.isna() != lon.isna(), "long", "lat and long must be given together")
    index = AreaIndex(batch.con, batch.settings)
    area_key = index.dated(area_code, requested_at)
    check.flag(area_code.notna() & area_key.isna(), "area_code", "unknown area_code")
    has_point = lat.notna() & lon.notna()
    if has_point.any():
        located = index.locate(lat, lon)
        check.flag(has_point & located.isna(), "lat", "coordinates outside the province")
        area_key = located.where(has_point, area_key)
    check.flag(area_code.isna() & ~has_point, "area_code", "no area_code and no coordinates")
    return index.successor(area_key), area_code, lat, lon


def _current_state_sql(staged: str) -> str:
    attributes = ",\n".join(f"first({name} {_LATEST}) FILTER (WHERE {name} IS NOT NULL) AS {name}"
                            for name in _ATTRIBUTES)
    return f"""
        WITH events AS MATERIALIZED (
            SELECT ticket_id, status, event_at FROM lake.main.fact_ticket_event
            WHERE ticket_id IN (SELECT ticket_id FROM touched_tickets)
        ), candidate AS (
            SELECT *, CASE status WHEN 'closed' THEN 3 WHEN 'in_progress' THEN 2 ELSE 1 END AS status_rank
            FROM (SELECT * FROM {staged} WHERE ticket_id IN (SELECT ticket_id FROM touched_tickets)
                  UNION ALL
                  SELECT * FROM lake.main.fact_ticket WHERE ticket_id IN (SELECT ticket_id FROM touched_tickets))
        ), reopened AS (
            SELECT ticket_id, max(event_at) FILTER (WHERE status <> 'closed') AS last_open
            FROM events GROUP BY ticket_id
        ), closing AS (
            SELECT e.ticket_id, min(e.event_at) AS closed_at
            FROM events e JOIN reopened r ON r.ticket_id = e.ticket_id
            WHERE e.status = 'closed' AND (r.last_open IS NULL OR e.event_at >= r.last_open)
            GROUP BY e.ticket_id
        ), state AS (
            SELECT ticket_id, first(status {_LATEST}) AS status, min(requested_at) AS requested_at,
                   max(updated_at) AS updated_at, {attributes}
            FROM candidate GROUP BY ticket_id
        )
        SELECT s.ticket_id, s.service_code, s.service_name, s.status, s.requested_at, s.updated_at,
               s.expected_at, CASE WHEN s.status = 'closed' THEN c.closed_at END AS closed_at, s.lat, s.lon,
               s.area_key, s.original_area_code, s.agency, s.address, s.description, s.satisfaction,
               ? AS batch_id, ? AS source, CAST(? AS TIMESTAMP) AS loaded_at
        FROM state s LEFT JOIN closing c ON c.ticket_id = s.ticket_id"""


def load_tickets(batch: Batch, table: pd.DataFrame) -> LoadResult:
    require_columns(table, batch.path, REQUIRED)
    check = Checker(table)
    ticket_id = check.required("service_request_id")
    status = check.choice(check.required("status"), "status", STATUSES)
    service_code = check.required("service_code")
    requested_at = check.timestamp("requested_datetime")
    updated_at = check.timestamp("updated_datetime", required=False)
    event_at = updated_at.fillna(requested_at)
    check.flag(event_at < requested_at, "updated_datetime", "updated_datetime before requested_datetime")
    expected_at = check.timestamp("expected_datetime", required=False)
    satisfaction = check.number("satisfaction", required=False, low=1, high=5)
    check.flag(satisfaction.notna() & (satisfaction % 1 != 0), "satisfaction", "satisfaction is not a whole number")
    area_key, area_code, lat, lon = _area(batch, check, requested_at)
    check.duplicates([ticket_id, status, event_at], "service_request_id")
    valid = check.valid()
    rows = batch.with_lineage(pd.DataFrame({
        "ticket_id": ticket_id, "service_code": service_code, "service_name": check.optional("service_name"),
        "status": status, "requested_at": requested_at, "updated_at": event_at, "expected_at": expected_at,
        "lat": lat, "lon": lon, "area_key": area_key, "original_area_code": area_code,
        "agency": check.optional("agency_responsible"), "address": check.optional("address"),
        "description": check.optional("description"), "satisfaction": satisfaction,
    })[valid])
    con = batch.con
    events = batch.with_lineage(pd.DataFrame({"ticket_id": ticket_id, "status": status, "event_at": event_at})[valid])
    loaded = append_new(con, "fact_ticket_event", stage(con, "stage_ticket_event", "fact_ticket_event", events),
                        EVENT_KEY, time_range(events, "event_at"), "event_at, ticket_id")
    if loaded:
        staged = stage(con, "stage_ticket", "fact_ticket", rows)
        con.execute("CREATE OR REPLACE TEMP TABLE touched_tickets AS "
                    "SELECT DISTINCT ticket_id FROM stage_ticket_event_new")
        days_of = ("SELECT CAST(requested_at AS DATE) AS day FROM {t} WHERE ticket_id IN "
                   "(SELECT ticket_id FROM touched_tickets) UNION SELECT CAST(closed_at AS DATE) FROM {t} "
                   "WHERE closed_at IS NOT NULL AND ticket_id IN (SELECT ticket_id FROM touched_tickets)")
        con.execute("CREATE OR REPLACE TEMP TABLE touched_days AS " + days_of.format(t="lake.main.fact_ticket"))
        con.execute("CREATE OR REPLACE TEMP TABLE ticket_state AS " + _current_state_sql(staged),
                    [batch.batch_id, batch.source, batch.started_at])
        con.execute("DELETE FROM lake.main.fact_ticket WHERE ticket_id IN (SELECT ticket_id FROM touched_tickets)")
        # Newest first: the desk's lists of the newest tickets read only the first row groups (ticket_rollups).
        con.execute("INSERT INTO lake.main.fact_ticket SELECT * FROM ticket_state "
                    "ORDER BY requested_at DESC, ticket_id")
        con.execute("INSERT INTO touched_days " + days_of.format(t="ticket_state"))
        rollups.tickets(con, "touched_days", "ticket_state")
    return LoadResult(read=len(table), loaded=loaded, problems=check.problems())
