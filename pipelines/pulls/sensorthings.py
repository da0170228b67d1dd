"""Pull environment sensors from an OGC SensorThings API service (v1.0 / v1.1).

1. Registry: GET {url}/Things?$expand=Locations,Datastreams($expand=ObservedProperty),
   following @iot.nextLink. Each Datastream is one sensor (dim_sensor): sensor_id is the
   Datastream's `sensor_id` property when the operator set one, else "<source>:<@iot.id>"
   (two services may both have a Datastream 1); kind from the ObservedProperty name or
   definition (salinity, water_level, pm25; any other property is quarantined by the
   loader with its reason); unit from unitOfMeasurement; threshold and area_code from the
   Datastream's, else the Thing's, properties; lat/lon from the Thing's GeoJSON point.
2. Readings: for each Datastream registered in dim_sensor, GET its Observations with
   phenomenonTime after its watermark minus OVERLAP (late observations from buffering
   gateways are caught; stored ones are skipped by the loader), oldest first, following
   @iot.nextLink. One batch for all Datastreams, committed with their watermarks
   ("<source>:<@iot.id>" in source_watermark).

A Datastream whose registry row was quarantined is not read: its observations stay on the
service and come in from the start once the registry row is fixed. A dry run rolls the
registry back, so it checks readings of already registered sensors only.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from ioc_app.clock import now_ict
from ioc_app.config import Settings
from pipelines import watermarks
from pipelines.batch import BatchReport
from pipelines.ingest import ingest_table
from pipelines.pulls.common import lake, newest, wire_time
from pipelines.pulls.http import HttpClient, PullError, endpoint, follow, json_text, redact

OVERLAP = timedelta(hours=1)
TOP = 1000
MAX_PAGES = 100_000
THINGS_EXPAND = "Locations,Datastreams($expand=ObservedProperty)"
REGISTRY_COLUMNS = ["sensor_id", "name", "kind", "unit", "threshold", "lat", "lon", "area_code"]
READING_COLUMNS = ["sensor_id", "observed_at", "value"]
# Normalised words (no diacritics, letters and digits only) that name each kind, English and Vietnamese.
KIND_WORDS = {
    "salinity": ("salinity", "doman", "psal"),
    "water_level": ("waterlevel", "mucnuoc", "gageheight", "gaugeheight", "waterstage"),
    "pm25": ("pm25", "particulatematter25", "bui25"),
}


def _normalised(text: object) -> str:
    if not isinstance(text, str):
        return ""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in plain.lower() if char.isalnum() and not unicodedata.combining(char))


def sensor_kind(observed_property: dict) -> str | None:
    """salinity / water_level / pm25 from the ObservedProperty's name or definition; None if none fits."""
    words = _normalised(observed_property.get("name")) + " " + _normalised(observed_property.get("definition"))
    for kind, names in KIND_WORDS.items():
        if any(name in words for name in names):
            return kind
    return None


def _pages(client: HttpClient, first: str) -> list[dict]:
    """The `value` items of a SensorThings collection, following @iot.nextLink."""
    items: list[dict] = []
    address: str | None = first
    seen: set[str] = set()
    while address is not None:
        if address in seen or len(seen) >= MAX_PAGES:
            raise PullError(f"GET {redact(address)}: @iot.nextLink goes round in circles")
        seen.add(address)
        body = client.get_json(address)
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise PullError(f"GET {redact(address)}: expected a SensorThings collection (an object with 'value')")
        items += [item for item in body["value"] if isinstance(item, dict)]
        link = body.get("@iot.nextLink")
        address = follow(address, link) if isinstance(link, str) and link else None
    return items


def _datastreams(client: HttpClient, thing: dict, url: str) -> list[dict]:
    streams = [item for item in thing.get("Datastreams") or [] if isinstance(item, dict)]
    link = thing.get("Datastreams@iot.nextLink")
    if isinstance(link, str) and link:
        streams += _pages(client, follow(url, link))
    return streams


def _point(thing: dict) -> tuple[object, object]:
    """lat, lon of the Thing's first GeoJSON Point location (a Feature or a bare geometry)."""
    for location in thing.get("Locations") or []:
        geometry = location.get("location") if isinstance(location, dict) else None
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coordinates = geometry.get("coordinates") or []
            if len(coordinates) >= 2:
                return coordinates[1], coordinates[0]
    return None, None


def _property(name: str, *holders: dict) -> object:
    for holder in holders:
        properties = holder.get("properties")
        if isinstance(properties, dict) and properties.get(name) not in (None, ""):
            return json_text(properties[name])
    return None


def _stream_key(source: str, stream: dict) -> str:
    return f"{source}:{stream.get('@iot.id')}"


def _sensor_id(source: str, stream: dict) -> str:
    own = _property("sensor_id", stream)
    return str(own).strip() if own is not None else _stream_key(source, stream)


def registry(things: list[dict], streams: dict[int, list[dict]], source: str) -> pd.DataFrame:
    """One registry row per Datastream (columns of the sensors loader), sorted by sensor_id."""
    rows = []
    for position, thing in enumerate(things):
        lat, lon = _point(thing)
        for stream in streams[position]:
            observed = stream.get("ObservedProperty") if isinstance(stream.get("ObservedProperty"), dict) else {}
            unit = stream.get("unitOfMeasurement") if isinstance(stream.get("unitOfMeasurement"), dict) else {}
            rows.append({
                "sensor_id": _sensor_id(source, stream),
                "name": stream.get("name") or thing.get("name"),
                "kind": sensor_kind(observed) or observed.get("name") or observed.get("definition"),
                "unit": unit.get("symbol") or unit.get("name"),
                "threshold": _property("threshold", stream, thing), "lat": lat, "lon": lon,
                "area_code": _property("area_code", stream, thing),
            })
    table = pd.DataFrame(rows, columns=REGISTRY_COLUMNS, dtype=object)
    return table.sort_values("sensor_id", kind="stable").reset_index(drop=True)


def _id_literal(value: object) -> str:
    """A SensorThings entity id in a resource path: 42 or 'text' (quotes doubled)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _observed_at(phenomenon_time: object) -> object:
    """An instant as given; an interval "start/end" is read as its start (what $filter compares)."""
    if isinstance(phenomenon_time, str) and "/" in phenomenon_time:
        return phenomenon_time.split("/", 1)[0]
    return phenomenon_time


def _observations(client: HttpClient, url: str, stream: dict, since: datetime | None, top: int) -> list[dict]:
    params = {"$filter": f"phenomenonTime gt {wire_time(since - OVERLAP)}" if since else None,
              "$orderby": "phenomenonTime asc", "$top": top, "$select": "phenomenonTime,result"}
    return _pages(client, endpoint(url, f"Datastreams({_id_literal(stream.get('@iot.id'))})/Observations", params))


def _registered(con: duckdb.DuckDBPyConnection, sensor_ids: list[str]) -> set[str]:
    rows = con.execute("SELECT sensor_id FROM lake.main.dim_sensor WHERE list_contains(?, sensor_id)",
                       [sensor_ids]).fetchall()
    return {row[0] for row in rows}


def _combined(first: BatchReport, second: BatchReport | None) -> BatchReport:
    if second is None:
        return first
    reasons = Counter(first.reasons) + Counter(second.reasons)
    return BatchReport(read=first.read + second.read, loaded=first.loaded + second.loaded,
                       quarantined=first.quarantined + second.quarantined, reasons=dict(reasons),
                       batch_id=second.batch_id, unchanged=first.unchanged and second.unchanged)


def pull(settings: Settings, url: str, source_name: str, dry_run: bool = False,
         con: duckdb.DuckDBPyConnection | None = None, *, client: HttpClient | None = None,
         top: int = TOP) -> BatchReport:
    """Pull the registry and the new observations; see the module docstring.

    Returns the two batches' figures added up (batch_id: the readings batch, or the registry
    batch when no reading was new). Raises PullError (nothing of the failing step stored, its
    watermarks unchanged) when the service cannot be used."""
    http = client or HttpClient()
    shown = redact(url)
    try:
        with lake(settings, con) as lake_con:
            started = now_ict().replace(microsecond=0)
            things = _pages(http, endpoint(url, "Things", {"$expand": THINGS_EXPAND}))
            streams = {position: _datastreams(http, thing, url) for position, thing in enumerate(things)}
            table = registry(things, streams, source_name)
            first = ingest_table(settings, "sensors", table, source_name, dry_run, lake_con,
                                 origin=f"{shown}/Things")
            known = _registered(lake_con, table["sensor_id"].tolist())
            marks = watermarks.read_prefix(lake_con, f"{source_name}:")
            readings: list[pd.DataFrame] = []
            new_marks: dict[str, datetime] = {}
            for stream in (stream for group in streams.values() for stream in group):
                sensor_id = _sensor_id(source_name, stream)
                if sensor_id not in known:
                    continue
                key = _stream_key(source_name, stream)
                observations = _observations(http, url, stream, marks.get(key), top)
                if not observations:
                    continue
                frame = pd.DataFrame({
                    "sensor_id": sensor_id,
                    "observed_at": [_observed_at(item.get("phenomenonTime")) for item in observations],
                    "value": [json_text(item.get("result")) for item in observations]}, dtype=object)
                readings.append(frame)
                mark = newest(frame["observed_at"])
                if mark is not None:
                    new_marks[key] = min(mark, started)  # a clock running ahead must not skip readings
            if not readings:
                return first
            second = ingest_table(settings, "sensors", pd.concat(readings, ignore_index=True), source_name,
                                  dry_run, lake_con, origin=f"{shown}/Observations", marks=new_marks)
            return _combined(first, second)
    finally:
        if client is None:
            http.close()
