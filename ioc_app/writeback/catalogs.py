"""Administrators' changes to the catalogs: one create/update/delete routine driven by a spec per catalog.

A catalog row is given and shown by its public fields (a unit reference by the unit's
code, never its id). `save` creates the row or updates the fields given, after checking
every field (type, choice, reference) and the catalog's own rules; `delete` refuses a row
still in use. Every change is one audit entry old -> new; a save that changes nothing
records nothing.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ioc_app.errors import WritebackError
from ioc_app.opdb.audit import record
from ioc_app.opdb.catalog import INDICATOR_CHOICES
from ioc_app.opdb.models import (
    PERIOD_TYPES,
    REGIME_KINDS,
    Area,
    Base,
    Category,
    Disaggregation,
    Form,
    FormVersion,
    Indicator,
    IndicatorAssignment,
    IndicatorTarget,
    MeasureUnit,
    Regime,
    RegimeUnit,
    ReportGroup,
    Sector,
    Submission,
    SubmissionValue,
    Unit,
)
from ioc_app.writeback.actor import Actor

UNIT_KINDS = ("province_office", "department", "former_district", "commune")
PERIODIC_TYPES = tuple(kind for kind in PERIOD_TYPES if kind != "adhoc")


class Invalid(Exception):
    """One field of one row is wrong."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"field {field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class Field:
    """One public field. kind: text, int, float, date, bool, choice, ref (a catalog's code), unit
    (a unit code, stored as its id in `attr`)."""

    name: str
    kind: str = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    ref: str | None = None
    low: float | None = None
    high: float | None = None
    default: Any = None
    attr_name: str | None = None

    @property
    def attr(self) -> str:
        return self.attr_name or self.name


class Refs:
    """Answers 'does this code exist?' for references; the import adds the codes of its file."""

    def __init__(self, session: Session, pending: dict[str, set] | None = None) -> None:
        self.session = session
        self.pending = {} if pending is None else pending

    def unit_id(self, code: str) -> int | None:
        return self.session.scalars(select(Unit.id).where(Unit.code == code)).first()

    def has(self, catalog: str, code: str) -> bool:
        if code in self.pending.get(catalog, ()):
            return True
        return self.session.get(spec_of(catalog).model, code) is not None


# (references, the row as it would be stored, the row as stored now or None when new)
Check = Callable[[Refs, dict, dict | None], None]
InUse = Callable[[Session, Base], str | None]


@dataclass(frozen=True)
class Spec:
    entity: str
    model: type[Base]
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    checks: tuple[Check, ...] = ()
    in_use: tuple[InUse, ...] = field(default=())

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _names(code_field: Field | None = None) -> tuple[Field, ...]:
    return (code_field or Field("code"), Field("name_vi"), Field("name_en"))


# --- catalog rules ------------------------------------------------------------------------


RATIO_FIELDS = ("aggregation", "numerator_code", "denominator_code")


def _indicator_rules(refs: Refs, row: dict, old: dict | None) -> None:
    # Ratios imported from indicators.json may lack their parts; they are asked for once an
    # administrator creates a ratio or touches its aggregation, numerator or denominator.
    touched = old is None or any(old[name] != row[name] for name in RATIO_FIELDS)
    if row["aggregation"] == "ratio" and touched:
        for name in ("numerator_code", "denominator_code"):
            if row[name] is None:
                raise Invalid(name, "required when aggregation is ratio")
    for name in ("numerator_code", "denominator_code"):
        if row[name] is not None and row[name] == row["code"]:
            raise Invalid(name, "an indicator cannot be its own numerator or denominator")
    if row["numerator_code"] is not None and row["numerator_code"] == row["denominator_code"]:
        raise Invalid("denominator_code", "must differ from the numerator")
    if row["min_value"] is not None and row["max_value"] is not None and row["min_value"] > row["max_value"]:
        raise Invalid("max_value", f"{row['max_value']} is below min_value {row['min_value']}")


def _regime_rules(refs: Refs, row: dict, old: dict | None) -> None:
    if row["kind"] == "periodic":
        if row["period_type"] not in PERIODIC_TYPES:
            raise Invalid("period_type", f"a periodic regime needs one of {', '.join(PERIODIC_TYPES)}")
    else:
        if row["period_type"] not in (None, "adhoc"):
            raise Invalid("period_type", f"a {row['kind']} regime has no period type (leave it empty)")
        for name in ("start_date", "end_date"):
            if row[name] is None:
                raise Invalid(name, f"required for a {row['kind']} regime")
    if row["start_date"] and row["end_date"] and row["start_date"] > row["end_date"]:
        raise Invalid("end_date", "is before start_date")


def _unit_rules(refs: Refs, row: dict, old: dict | None) -> None:
    if row["valid_from"] and row["valid_to"] and row["valid_from"] > row["valid_to"]:
        raise Invalid("valid_to", "is before valid_from")
    parent = row["parent"]
    seen = {row["code"]}
    while parent is not None:
        if parent in seen:
            raise Invalid("parent", f"{row['code']!r} would be its own ancestor")
        seen.add(parent)
        unit = refs.session.scalars(select(Unit).where(Unit.code == parent)).first()
        parent = unit.parent.code if unit is not None and unit.parent is not None else None


def _indicators_using_unit(session: Session, row: MeasureUnit) -> str | None:
    user = session.scalars(select(Indicator.code).where(Indicator.unit == row.code).limit(1)).first()
    return None if user is None else f"indicator {user!r} uses it"


def _in_forms(side: str) -> InUse:
    """A check that no form version has the row's code among its `side` (rows or columns)."""
    def used(session: Session, row: Base) -> str | None:
        for version in session.scalars(select(FormVersion)):
            if row.code in json.loads(getattr(version, side)):
                return f"form {version.form_code!r} version {version.version} has it in its {side}"
        return None
    return used


def _category_reported(session: Session, row: Category) -> str | None:
    if session.scalar(select(exists().where(SubmissionValue.category_code == row.code))):
        return "reported figures use it"
    return None


def _unit_reported(session: Session, row: Unit) -> str | None:
    if session.scalar(select(exists().where(Submission.unit_id == row.id))):
        return "it has submissions: set valid_to instead"
    return None


def _unit_has_children(session: Session, row: Unit) -> str | None:
    child = session.scalars(select(Unit.code).where(Unit.parent_id == row.id).limit(1)).first()
    return None if child is None else f"unit {child!r} sits below it"


CATALOGS: dict[str, Spec] = {
    "measure_unit": Spec("measure_unit", MeasureUnit, ("code",), _names(), in_use=(_indicators_using_unit,)),
    "report_group": Spec("report_group", ReportGroup, ("code",), _names()),
    "sector": Spec("sector", Sector, ("code",), _names()),
    "disaggregation": Spec("disaggregation", Disaggregation, ("code",), _names()),
    "category": Spec("category", Category, ("code",), (
        *_names(), Field("disaggregation_code", "ref", ref="disaggregation"),
        Field("sort", "int", required=False, default=0, low=-1_000_000, high=1_000_000),
    ), in_use=(_in_forms("columns"), _category_reported)),
    "indicator": Spec("indicator", Indicator, ("code",), (
        *_names(),
        Field("unit", "ref", ref="measure_unit"),
        Field("sector_code", "ref", ref="sector"),
        *(Field(name, "choice", choices=allowed) for name, allowed in INDICATOR_CHOICES.items()),
        Field("min_value", "float", required=False),
        Field("max_value", "float", required=False),
        Field("numerator_code", "ref", required=False, ref="indicator"),
        Field("denominator_code", "ref", required=False, ref="indicator"),
        Field("report_group_code", "ref", required=False, ref="report_group"),
    ), checks=(_indicator_rules,), in_use=(_in_forms("rows"),)),
    "indicator_target": Spec("indicator_target", IndicatorTarget, ("indicator_code", "year"), (
        Field("indicator_code", "ref", ref="indicator"),
        Field("year", "int", low=1900, high=2200),
        Field("target", "float"),
    )),
    "indicator_assignment": Spec("indicator_assignment", IndicatorAssignment, ("indicator_code", "unit"), (
        Field("indicator_code", "ref", ref="indicator"),
        Field("unit", "unit", attr_name="unit_id"),
    )),
    "form": Spec("form", Form, ("code",), _names()),
    "regime": Spec("regime", Regime, ("code",), (
        *_names(),
        Field("kind", "choice", choices=REGIME_KINDS),
        Field("period_type", "choice", required=False, choices=PERIOD_TYPES),
        Field("form_code", "ref", ref="form"),
        Field("receiver_unit", "unit", required=False, attr_name="receiver_unit_id"),
        Field("report_group_code", "ref", required=False, ref="report_group"),
        Field("cutoff_day", "int", required=False, default=0, low=0, high=31),
        Field("deadline_days", "int", required=False, default=5, low=0, high=366),
        Field("start_date", "date", required=False),
        Field("end_date", "date", required=False),
        Field("active", "bool", required=False, default=True),
    ), checks=(_regime_rules,)),
    "regime_unit": Spec("regime_unit", RegimeUnit, ("regime_code", "unit"), (
        Field("regime_code", "ref", ref="regime"),
        Field("unit", "unit", attr_name="unit_id"),
    )),
    "unit": Spec("unit", Unit, ("code",), (
        Field("code"), Field("name"),
        Field("kind", "choice", choices=UNIT_KINDS),
        Field("parent", "unit", required=False, attr_name="parent_id"),
        Field("area_key", "ref", required=False, ref="area"),
        Field("valid_from", "date", required=False),
        Field("valid_to", "date", required=False),
    ), checks=(_unit_rules,), in_use=(_unit_reported, _unit_has_children)),
}
# Areas come from the geography; they are only referenced here.
AREA = Spec("area", Area, ("key",), (Field("key"),))


def spec_of(catalog: str) -> Spec:
    if catalog == "area":
        return AREA
    if catalog not in CATALOGS:
        raise WritebackError(f"no catalog {catalog!r}")
    return CATALOGS[catalog]


# --- checking values ----------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any, kind: str) -> float | int:
    if isinstance(value, bool):
        raise ValueError
    number = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    if not math.isfinite(number):
        raise ValueError
    if kind == "int":
        if number != int(number):
            raise ValueError
        return int(number)
    return number


def _clean_field(spec: Spec, fld: Field, value: Any, refs: Refs) -> Any:
    if _blank(value):
        if fld.required:
            raise Invalid(fld.name, "required")
        return fld.default
    if fld.kind in ("text", "choice", "ref", "unit"):
        text = str(value).strip()
        length = getattr(spec.model.__table__.columns[fld.attr].type, "length", None)
        if fld.kind == "text" and length is not None and len(text) > length:
            raise Invalid(fld.name, f"longer than {length} characters")
        if fld.kind == "choice" and text not in fld.choices:
            raise Invalid(fld.name, f"{text!r} is not one of {', '.join(fld.choices)}")
        if fld.kind == "ref" and not refs.has(fld.ref, text):
            raise Invalid(fld.name, f"unknown {fld.ref.replace('_', ' ')} {text!r}")
        if fld.kind == "unit" and refs.unit_id(text) is None:
            raise Invalid(fld.name, f"unknown unit {text!r}")
        return text
    if fld.kind in ("int", "float"):
        try:
            number = _number(value, fld.kind)
        except (TypeError, ValueError):
            what = "a whole number" if fld.kind == "int" else "a number"
            raise Invalid(fld.name, f"{value!r} is not {what}") from None
        if (fld.low is not None and number < fld.low) or (fld.high is not None and number > fld.high):
            raise Invalid(fld.name, f"{number} is outside {fld.low:g}..{fld.high:g}")
        return number
    if fld.kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise Invalid(fld.name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "1", "yes"):
        return True
    if str(value).strip().lower() in ("false", "0", "no"):
        return False
    raise Invalid(fld.name, f"{value!r} is not true or false")


def clean(spec: Spec, values: Mapping[str, Any], refs: Refs, current: dict | None = None) -> dict:
    """The row's public values, checked and typed; Invalid names the first bad field.

    `current`: the row as stored now (None for a new row); fields not in `values` keep it."""
    unknown = [name for name in values if name not in {f.name for f in spec.fields}]
    if unknown:
        raise Invalid(unknown[0], f"{spec.entity} has no such field")
    merged = {**(current or {}), **values}
    row = {fld.name: _clean_field(spec, fld, merged.get(fld.name), refs) for fld in spec.fields}
    for check in spec.checks:
        check(refs, row, current)
    return row


# --- reading and writing ------------------------------------------------------------------


def public(session: Session, spec: Spec, stored: Base) -> dict:
    """A stored row as its public fields (unit references as codes)."""
    row = {}
    for fld in spec.fields:
        value = getattr(stored, fld.attr)
        if fld.kind == "unit" and value is not None:
            value = session.get(Unit, value).code
        row[fld.name] = value
    return row


def _key_id(spec: Spec, row: Mapping[str, Any]) -> str:
    return "/".join(str(row.get(name)) for name in spec.key)


def find(session: Session, spec: Spec, row: Mapping[str, Any], refs: Refs) -> Base | None:
    criteria = {}
    for name in spec.key:
        fld = spec.field(name)
        value = row.get(name)
        if _blank(value):
            raise Invalid(name, "required")
        if fld.kind == "unit":
            value = refs.unit_id(str(value).strip())
            if value is None:
                return None
        elif fld.kind == "int":
            value = _clean_field(spec, fld, value, refs)
        else:
            value = str(value).strip()
        criteria[fld.attr] = value
    return session.scalars(select(spec.model).filter_by(**criteria)).first()


def _require_admin(actor: Actor, spec: Spec) -> None:
    if not actor.is_admin:
        raise WritebackError(f"{actor.username} may not change the {spec.entity} catalog: administrators only")


def _refused(spec: Spec, values: Mapping[str, Any], problem: Invalid) -> WritebackError:
    return WritebackError(f"{spec.entity} {_key_id(spec, values)!r}, {problem}")


def stored_row(session: Session, spec: Spec, key: Mapping[str, Any], refs: Refs) -> tuple[Base | None, dict | None]:
    """The stored row with the key of `key` and its public fields; (None, None) when there is none."""
    stored = find(session, spec, key, refs)
    return stored, None if stored is None else public(session, spec, stored)


def upsert(session: Session, username: str, spec: Spec, values: Mapping[str, Any], refs: Refs) -> tuple[Base, bool]:
    """Create the row or update the fields given; (row, whether anything changed). Raises Invalid."""
    stored, current = stored_row(session, spec, values, refs)
    row = clean(spec, values, refs, current)
    old = None if current is None else {k: v for k, v in current.items() if row[k] != v}
    if old == {}:
        return stored, False
    stored_values = {
        fld.attr: refs.unit_id(row[fld.name]) if fld.kind == "unit" and row[fld.name] is not None else row[fld.name]
        for fld in spec.fields
    }
    if stored is None:
        stored = spec.model(**stored_values)
        session.add(stored)
    else:
        for attr, value in stored_values.items():
            setattr(stored, attr, value)
    session.flush()
    action = "catalog_create" if old is None else "catalog_update"
    new = row if old is None else {k: row[k] for k in old}
    record(session, username, action, spec.entity, _key_id(spec, row), old, new)
    return stored, True


def save(session: Session, actor: Actor, catalog: str, values: Mapping[str, Any]) -> bool:
    """Create or update one row of `catalog` (administrators only; audited when it changes).

    Fields not in `values` keep what is stored; True when anything changed."""
    spec = spec_of(catalog)
    _require_admin(actor, spec)
    try:
        _, changed = upsert(session, actor.username, spec, values, Refs(session))
    except Invalid as problem:
        raise _refused(spec, values, problem) from None
    return changed


def delete(session: Session, actor: Actor, catalog: str, key: Mapping[str, Any]) -> None:
    """Remove one row of `catalog`, unless something still uses it (administrators only; audited)."""
    spec = spec_of(catalog)
    _require_admin(actor, spec)
    try:
        stored = find(session, spec, key, Refs(session))
    except Invalid as problem:
        raise _refused(spec, key, problem) from None
    if stored is None:
        raise WritebackError(f"{spec.entity} {_key_id(spec, key)!r} does not exist")
    old = public(session, spec, stored)
    for in_use in spec.in_use:
        reason = in_use(session, stored)
        if reason:
            raise WritebackError(f"{spec.entity} {_key_id(spec, old)!r} cannot be deleted: {reason}")
    try:
        with session.begin_nested():
            session.delete(stored)
            session.flush()
    except IntegrityError:
        raise WritebackError(
            f"{spec.entity} {_key_id(spec, old)!r} cannot be deleted: other records still refer to it") from None
    record(session, actor.username, "catalog_delete", spec.entity, _key_id(spec, old), old, None)


def rows(session: Session, catalog: str, **where: Any) -> list[dict]:
    """Every row of `catalog` as public fields, ordered by key; `where` filters on public fields."""
    spec = spec_of(catalog)
    statement = select(spec.model).order_by(*(getattr(spec.model, spec.field(k).attr) for k in spec.key))
    found = [public(session, spec, stored) for stored in session.scalars(statement)]
    return [row for row in found if all(row.get(k) == v for k, v in where.items())]
