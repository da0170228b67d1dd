"""Form versions: which indicators (rows) and categories (columns) a period's report holds.

A period uses the newest version whose `valid_from` is on or before its first day, and a
submission keeps the version it was entered in, so a new version never changes old periods.
Versions only move forward: a new one must start after the newest one.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.errors import WritebackError
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import Category, Form, FormVersion, Indicator
from ioc_app.writeback.actor import Actor


@dataclass(frozen=True)
class FormLayout:
    rows: list[Indicator]
    columns: list[Category]


def form_by_code(session: Session, form_code: str) -> Form:
    form = session.get(Form, form_code)
    if form is None:
        raise WritebackError(f"no form with code {form_code!r}")
    return form


def versions_of(session: Session, form_code: str) -> list[FormVersion]:
    """The form's versions, oldest first."""
    return list(session.scalars(
        select(FormVersion).where(FormVersion.form_code == form_code).order_by(FormVersion.version)))


def version_for(session: Session, form_code: str, period_start: date) -> FormVersion:
    """The newest version of the form valid on `period_start`."""
    version = session.scalars(
        select(FormVersion)
        .where(FormVersion.form_code == form_code, FormVersion.valid_from <= period_start)
        .order_by(FormVersion.valid_from.desc(), FormVersion.version.desc())
        .limit(1)
    ).first()
    if version is None:
        raise WritebackError(f"form {form_code!r} has no version valid on {period_start.isoformat()}")
    return version


def codes(version: FormVersion) -> tuple[list[str], list[str]]:
    """The version's (row indicator codes, column category codes), in form order."""
    return json.loads(version.rows), json.loads(version.columns)


def layout_of(session: Session, version: FormVersion) -> FormLayout:
    row_codes, column_codes = codes(version)
    indicators = {i.code: i for i in session.scalars(select(Indicator).where(Indicator.code.in_(row_codes)))}
    categories = {c.code: c for c in session.scalars(select(Category).where(Category.code.in_(column_codes)))}
    missing = [code for code in row_codes if code not in indicators] + [
        code for code in column_codes if code not in categories]
    if missing:
        raise WritebackError(
            f"form {version.form_code!r} version {version.version} names {missing[0]!r}, which no longer exists")
    return FormLayout([indicators[code] for code in row_codes], [categories[code] for code in column_codes])


def layout_problem(session: Session, rows: list[str], columns: list[str],
                   pending: Mapping[str, set] | None = None) -> tuple[str, str] | None:
    """(field, reason) of the first thing wrong with a layout, None when it is usable.

    `pending`: codes about to be created ({"indicator": ..., "category": ...}), known as well."""
    pending = pending or {}
    for field, chosen, model, what in (("rows", rows, Indicator, "indicator"), ("columns", columns, Category,
                                                                               "category")):
        if not chosen:
            return field, f"choose at least one {what}"
        seen: set[str] = set()
        for code in chosen:
            if code in seen:
                return field, f"{code!r} appears twice"
            seen.add(code)
        known = set(session.scalars(select(model.code).where(model.code.in_(chosen)))) | pending.get(what, set())
        unknown = [code for code in chosen if code not in known]
        if unknown:
            return field, f"unknown {what} {unknown[0]!r}"
    return None


def add_version(session: Session, username: str, form_code: str, rows: list[str], columns: list[str],
                valid_from: date) -> FormVersion:
    """Check and store a new version (no permission check: for create_version and the catalog import)."""
    form_by_code(session, form_code)
    rows, columns = [str(code).strip() for code in rows], [str(code).strip() for code in columns]
    problem = layout_problem(session, rows, columns)
    if problem is not None:
        raise WritebackError(f"form {form_code!r}, field {problem[0]}: {problem[1]}")
    existing = versions_of(session, form_code)
    newest = max(existing, key=lambda v: v.valid_from, default=None)
    if newest is not None and valid_from <= newest.valid_from:
        raise WritebackError(
            f"form {form_code!r}, field valid_from: {valid_from.isoformat()} must be after "
            f"{newest.valid_from.isoformat()}, the start of version {newest.version}")
    version = FormVersion(form_code=form_code, version=max((v.version for v in existing), default=0) + 1,
                          valid_from=valid_from, rows=json.dumps(rows, ensure_ascii=False),
                          columns=json.dumps(columns, ensure_ascii=False), created_by=username)
    session.add(version)
    session.flush()
    record(session, username, "form_version_create", "form_version", f"{form_code}/v{version.version}", None,
           {"valid_from": valid_from, "rows": rows, "columns": columns})
    return version


def create_version(session: Session, actor: Actor, form_code: str, rows: list[str], columns: list[str],
                   valid_from: date) -> FormVersion:
    """A new version of the form from `valid_from` on (administrators only)."""
    if not actor.is_admin:
        raise WritebackError(f"{actor.username} may not change form {form_code!r}: administrators only")
    return add_version(session, actor.username, form_code, rows, columns, valid_from)


def changes(previous: FormVersion | None, version: FormVersion) -> dict[str, list[str]]:
    """What a version added and removed compared with the one before it."""
    rows, columns = codes(version)
    old_rows, old_columns = codes(previous) if previous is not None else ([], [])
    return {
        "rows_added": [c for c in rows if c not in old_rows],
        "rows_removed": [c for c in old_rows if c not in rows],
        "columns_added": [c for c in columns if c not in old_columns],
        "columns_removed": [c for c in old_columns if c not in columns],
    }
