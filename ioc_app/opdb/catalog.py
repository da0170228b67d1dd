"""Import the catalogs (areas, reporting units, sectors, indicators, targets) into the operational DB.

Everything is read and checked before anything is written; a bad row raises SourceError
naming the file, the row and the column. Rows are upserted and every change goes to the
audit log, so a second import of the same files changes nothing and records nothing.
"""

from __future__ import annotations

import csv
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.errors import SourceError
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import Area, Base, Indicator, IndicatorTarget, Sector, Unit

UNIT_COLUMNS = ("unit_code", "name", "kind", "parent_code", "area_code", "valid_from", "valid_to")
AREA_COLUMNS = ("area_key", "code", "name", "level", "parent_key", "valid_from", "valid_to")
INDICATOR_CHOICES = {
    "frequency": ("month", "quarter", "year"),
    "aggregation": ("sum", "avg", "ratio", "latest"),
    "direction": ("up", "down"),
    "value_type": ("number", "percent", "integer"),
    "level": ("province", "commune"),
}
INDICATOR_TEXT = ("code", "name_vi", "name_en", "unit", "sector")


@dataclass(frozen=True)
class _AreaSpan:
    key: str
    valid_from: date | None
    valid_to: date | None

    def covers(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


def sector_code(name: str) -> str:
    """A stable ASCII code for a sector name: 'Nông nghiệp' -> 'nong_nghiep'."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


def _date(value: Any, where: str) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise SourceError(f"{where}: {value!r} is not a date (write YYYY-MM-DD)") from None


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip() or None


def _read_areas(areas: pd.DataFrame) -> dict[str, dict]:
    missing = [c for c in AREA_COLUMNS if c not in areas.columns]
    if missing:
        raise SourceError(f"areas: missing column {missing[0]}")
    result: dict[str, dict] = {}
    for number, row in enumerate(areas[list(AREA_COLUMNS)].itertuples(index=False), start=1):
        where = f"areas row {number}"
        key = _text(row.area_key)
        for column in ("area_key", "code", "name", "level"):
            if _text(getattr(row, column)) is None:
                raise SourceError(f"{where}, column {column}: empty")
        if key in result:
            raise SourceError(f"{where}, column area_key: {key!r} appears twice")
        result[key] = {
            "key": key,
            "code": _text(row.code),
            "name": _text(row.name),
            "level": _text(row.level),
            "parent_key": _text(row.parent_key),
            "valid_from": _date(row.valid_from, f"{where}, column valid_from"),
            "valid_to": _date(row.valid_to, f"{where}, column valid_to"),
        }
    return result


def _pick_area(spans: list[_AreaSpan], valid_to: date | None) -> str | None:
    """The area a unit sits in: the one valid on the unit's last day (today if it still exists)."""
    day = valid_to or date.max
    covering = [span for span in spans if span.covers(day)]
    if covering:
        return max(covering, key=lambda span: span.valid_from or date.min).key
    return spans[0].key if len(spans) == 1 else None


def _area_spans(area_rows: dict[str, dict], session: Session) -> dict[str, list[_AreaSpan]]:
    """Official code -> the areas (old and current) that carried it, from the import and the DB."""
    spans = {key: _AreaSpan(key, row["valid_from"], row["valid_to"]) for key, row in area_rows.items()}
    codes = {key: row["code"] for key, row in area_rows.items()}
    for area in session.scalars(select(Area).where(Area.key.not_in(list(area_rows)))):
        spans[area.key] = _AreaSpan(area.key, area.valid_from, area.valid_to)
        codes[area.key] = area.code
    by_code: dict[str, list[_AreaSpan]] = {}
    for key, span in spans.items():
        by_code.setdefault(codes[key], []).append(span)
    return by_code


def _read_units(path: Path, area_rows: dict[str, dict], session: Session) -> dict[str, dict]:
    spans = _area_spans(area_rows, session)
    keys = {span.key for candidates in spans.values() for span in candidates}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in UNIT_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise SourceError(f"{path}: missing column {missing[0]}")
            raw_rows = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot be read ({exc})") from None
    units: dict[str, dict] = {}
    for number, raw in enumerate(raw_rows, start=2):
        where = f"{path} row {number}"
        code = _text(raw["unit_code"])
        for column in ("unit_code", "name", "kind"):
            if _text(raw[column]) is None:
                raise SourceError(f"{where}, column {column}: empty")
        if code in units:
            raise SourceError(f"{where}, column unit_code: {code!r} appears twice")
        valid_to = _date(raw["valid_to"], f"{where}, column valid_to")
        area_code = _text(raw["area_code"])
        area_key = None
        if area_code is not None:
            area_key = area_code if area_code in keys else _pick_area(spans.get(area_code, []), valid_to)
            if area_key is None:
                raise SourceError(
                    f"{where}, column area_code: no area with code {area_code!r} (load the areas first)"
                )
        units[code] = {
            "code": code,
            "name": _text(raw["name"]),
            "kind": _text(raw["kind"]),
            "parent_code": _text(raw["parent_code"]),
            "area_key": area_key,
            "valid_from": _date(raw["valid_from"], f"{where}, column valid_from"),
            "valid_to": valid_to,
            "_row": number,
        }
    return units


def _check_tree(path: Path, units: dict[str, dict], existing: dict[str, str | None]) -> None:
    """Every parent exists (in the file or the DB) and no unit is its own ancestor."""
    parents = {**existing, **{code: row["parent_code"] for code, row in units.items()}}
    for code, row in units.items():
        where = f"{path} row {row['_row']}, column parent_code"
        if row["parent_code"] is not None and row["parent_code"] not in parents:
            raise SourceError(f"{where}: unknown unit {row['parent_code']!r}")
        seen = {code}
        parent = row["parent_code"]
        while parent is not None:
            if parent in seen:
                raise SourceError(f"{where}: {code!r} would be its own ancestor")
            seen.add(parent)
            parent = parents.get(parent)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SourceError(f"{where}: {value!r} is not a number")
    return float(value)


def _read_indicators(path: Path) -> list[dict]:
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(items, list):
        raise SourceError(f"{path}: must hold a list of indicators")
    indicators: dict[str, dict] = {}
    for number, item in enumerate(items, start=1):
        where = f"{path} item {number}"
        if not isinstance(item, dict):
            raise SourceError(f"{where}: must be an object")
        for field in INDICATOR_TEXT:
            if not isinstance(item.get(field), str) or not item[field].strip():
                raise SourceError(f"{where}, field {field}: missing or empty")
        for field, allowed in INDICATOR_CHOICES.items():
            if item.get(field) not in allowed:
                raise SourceError(
                    f"{where}, field {field}: {item.get(field)!r} is not one of {', '.join(allowed)}"
                )
        if not sector_code(item["sector"]):
            raise SourceError(f"{where}, field sector: {item['sector']!r} needs at least one letter or digit")
        code = item["code"].strip()
        if code in indicators:
            raise SourceError(f"{where}, field code: {code!r} appears twice")
        targets = item.get("targets") or {}
        if not isinstance(targets, dict):
            raise SourceError(f"{where}, field targets: must be an object of year: value")
        parsed_targets = {}
        for year, value in targets.items():
            if not str(year).isdigit():
                raise SourceError(f"{where}, field targets: {year!r} is not a year")
            parsed_targets[int(year)] = _number(value, f"{where}, field targets[{year}]")
        indicators[code] = {
            **{field: item[field].strip() for field in INDICATOR_TEXT},
            **{field: item[field] for field in INDICATOR_CHOICES},
            "code": code,
            "targets": parsed_targets,
        }
    return list(indicators.values())


class _Changes:
    """Writes the rows that differ from what is stored, then audits each change."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor
        self.counts: dict[str, int] = {}
        self._pending: list[tuple[str, str, dict | None, dict]] = []

    def upsert(
        self, entity: str, model: type[Base], stored: Base | None, values: dict, current: dict | None = None
    ) -> tuple[Base, bool]:
        """Insert when nothing is stored, else copy the values that differ.

        `current` is what is stored, when reading it from `stored` is not enough.
        """
        columns = {k: v for k, v in values.items() if k in model.__table__.columns}
        if stored is None:
            stored = model(**columns)
            self.session.add(stored)
            self._note(entity, values, None, values)
            return stored, True
        if current is None:
            current = {name: getattr(stored, name) for name in values}
        old = {k: v for k, v in current.items() if values[k] != v}
        if not old:
            return stored, False
        for name, value in columns.items():
            setattr(stored, name, value)
        self._note(entity, values, old, {k: values[k] for k in old})
        return stored, True

    def _note(self, entity: str, values: dict, old: dict | None, new: dict) -> None:
        self.counts[entity] = self.counts.get(entity, 0) + 1
        entity_id = values.get("code") or values.get("key") or f"{values['indicator_code']}/{values['year']}"
        self._pending.append((entity, entity_id, old, new))

    def audit(self) -> None:
        """Flush the writes so far, then record them (in the order they were made)."""
        self.session.flush()
        for entity, entity_id, old, new in self._pending:
            action = "catalog_create" if old is None else "catalog_update"
            record(self.session, self.actor, action, entity, entity_id, old, new)
        self._pending.clear()


def import_catalog(
    session: Session,
    units_csv: Path,
    indicators_json: Path,
    areas: pd.DataFrame,
    *,
    actor: str = "system",
) -> dict[str, int]:
    """Upsert areas, units (a tree by parent_code), sectors, indicators and targets.

    Returns how many rows of each entity were created or changed (empty on a re-run).
    """
    units_csv, indicators_json = Path(units_csv), Path(indicators_json)
    area_rows = _read_areas(areas)
    units = _read_units(units_csv, area_rows, session)
    stored_units = {unit.code: unit for unit in session.scalars(select(Unit))}
    code_of = {unit.id: unit.code for unit in stored_units.values()}
    _check_tree(units_csv, units, {code: code_of.get(unit.parent_id) for code, unit in stored_units.items()})
    indicators = _read_indicators(indicators_json)

    changes = _Changes(session, actor)
    stored_areas = {area.key: area for area in session.scalars(select(Area))}
    for key, values in area_rows.items():
        changes.upsert("area", Area, stored_areas.get(key), values)
    changes.audit()

    stored_sectors = {sector.code: sector for sector in session.scalars(select(Sector))}
    sector_names: dict[str, str] = {}
    for item in indicators:
        sector_names.setdefault(sector_code(item["sector"]), item["sector"])
    for code, name in sector_names.items():
        stored = stored_sectors.get(code)
        # name_en is only a first guess: an English name set later by an admin is kept.
        values = (
            {"code": code, "name_vi": name} if stored else {"code": code, "name_vi": name, "name_en": name}
        )
        changes.upsert("sector", Sector, stored, values)
    changes.audit()

    stored_indicators = {ind.code: ind for ind in session.scalars(select(Indicator))}
    for item in indicators:
        values = {k: v for k, v in item.items() if k not in ("sector", "targets")}
        changes.upsert(
            "indicator",
            Indicator,
            stored_indicators.get(item["code"]),
            {**values, "sector_code": sector_code(item["sector"])},
        )
    changes.audit()

    stored_targets = {(t.indicator_code, t.year): t for t in session.scalars(select(IndicatorTarget))}
    for item in indicators:
        for year, target in item["targets"].items():
            changes.upsert(
                "indicator_target",
                IndicatorTarget,
                stored_targets.get((item["code"], year)),
                {"indicator_code": item["code"], "year": year, "target": target},
            )
    changes.audit()

    linked: list[tuple[Unit, str | None]] = []
    for code, row in units.items():
        values = {k: v for k, v in row.items() if k != "_row"}
        stored = stored_units.get(code)
        current = (
            None
            if stored is None
            else {
                **{name: getattr(stored, name) for name in values if name != "parent_code"},
                "parent_code": code_of.get(stored.parent_id),
            }
        )
        unit, changed = changes.upsert("unit", Unit, stored, values, current)
        stored_units[code] = unit
        if changed:
            linked.append((unit, values["parent_code"]))
    session.flush()
    for unit, parent_code in linked:
        unit.parent_id = stored_units[parent_code].id if parent_code else None
    changes.audit()
    return changes.counts
