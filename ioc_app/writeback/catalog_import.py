"""Import the write-back catalogs (catalog/writeback.json) into the operational DB.

The file is an object of sections named after the catalogs of `ioc_app.writeback.catalogs`
(plus `form_version`), each a list of rows given by their public fields. Runs after
`ioc_app.opdb.catalog.import_catalog` (units and indicators exist). Every row is checked
first, a row may refer to one created earlier in the same file; then rows are upserted
through the catalog services' routine, so a second import changes and records nothing.
A form version is matched by its form and valid_from: the same layout is left alone,
another layout for a date that already has a version is refused (a version never changes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ioc_app.errors import SourceError, WritebackError
from ioc_app.writeback import catalogs
from ioc_app.writeback.catalogs import CATALOGS, Invalid, Refs
from ioc_app.writeback.forms import add_version, codes, layout_problem, versions_of

SECTIONS = ("measure_unit", "report_group", "sector", "disaggregation", "category", "indicator",
            "indicator_target", "form", "form_version", "regime", "regime_unit", "indicator_assignment")


@dataclass(frozen=True)
class _Version:
    form_code: str
    valid_from: date
    rows: list[str]
    columns: list[str]


def _read(path: Path) -> dict[str, list[dict]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{path}: must hold an object of catalog sections")
    unknown = [name for name in data if name not in SECTIONS]
    if unknown:
        raise SourceError(f"{path}: unknown section {unknown[0]!r} (expected {', '.join(SECTIONS)})")
    for name, entries in data.items():
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise SourceError(f"{path}, section {name}: must be a list of objects")
    return data


def _codes(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise Invalid(field, "must be a list of codes")
    return [code.strip() for code in value]


def _version(session: Session, entry: dict, refs: Refs, planned: list[_Version]) -> _Version | None:
    """The version to create for `entry`; None when the same version is stored already."""
    unknown = [name for name in entry if name not in ("form_code", "valid_from", "rows", "columns")]
    if unknown:
        raise Invalid(unknown[0], "form_version has no such field")
    form_code = str(entry.get("form_code") or "").strip()
    if not form_code or not refs.has("form", form_code):
        raise Invalid("form_code", f"unknown form {form_code!r}")
    try:
        valid_from = date.fromisoformat(str(entry.get("valid_from")))
    except ValueError:
        raise Invalid("valid_from", f"{entry.get('valid_from')!r} is not a date (YYYY-MM-DD)") from None
    rows, columns = _codes(entry.get("rows"), "rows"), _codes(entry.get("columns"), "columns")
    problem = layout_problem(session, rows, columns, refs.pending)
    if problem is not None:
        raise Invalid(*problem)
    starts = {v.valid_from: codes(v) for v in versions_of(session, form_code)}
    starts.update({v.valid_from: (v.rows, v.columns) for v in planned if v.form_code == form_code})
    if valid_from in starts:
        if starts[valid_from] != (rows, columns):
            raise Invalid("rows", f"form {form_code!r} already has another version from {valid_from.isoformat()}")
        return None
    newest = max(starts, default=None)
    if newest is not None and valid_from < newest:
        raise Invalid("valid_from", f"{valid_from.isoformat()} is before the newest version ({newest.isoformat()})")
    return _Version(form_code, valid_from, rows, columns)


def _check(session: Session, path: Path, data: dict[str, list[dict]]) -> list[_Version]:
    """Check every row (against the DB and the rows above it); the form versions to create."""
    refs = Refs(session)
    versions: list[_Version] = []
    for section in SECTIONS:
        seen: set[str] = set()
        for number, entry in enumerate(data.get(section, []), start=1):
            where = f"{path}, {section} entry {number}"
            try:
                if section == "form_version":
                    version = _version(session, entry, refs, versions)
                    if version is not None:
                        versions.append(version)
                    continue
                spec = CATALOGS[section]
                key = "/".join(str(entry.get(name, "")).strip() for name in spec.key)
                if key in seen:
                    raise SourceError(f"{where}: {key!r} appears twice")
                seen.add(key)
                _, current = catalogs.stored_row(session, spec, entry, refs)
                catalogs.clean(spec, entry, refs, current)
                refs.pending.setdefault(section, set()).add(key)
            except Invalid as problem:
                raise SourceError(f"{where}, {problem}") from None
    return versions


def import_writeback_catalog(session: Session, path: Path, actor: str = "system") -> dict[str, int]:
    """Upsert the file's catalogs; how many rows of each catalog were created or changed."""
    path = Path(path)
    data = _read(path)
    versions = _check(session, path, data)
    counts: dict[str, int] = {}
    refs = Refs(session)
    try:
        for section in SECTIONS:
            if section == "form_version":
                for version in versions:
                    add_version(session, actor, version.form_code, version.rows, version.columns,
                                version.valid_from)
                    counts[section] = counts.get(section, 0) + 1
                continue
            for entry in data.get(section, []):
                _, changed = catalogs.upsert(session, actor, CATALOGS[section], entry, refs)
                if changed:
                    counts[section] = counts.get(section, 0) + 1
    except (Invalid, WritebackError) as problem:
        raise SourceError(f"{path}: {problem}") from None
    return counts
