"""How far an account reaches: which areas it may read, which units it may write for or manage.

- leader, dept_head, admin, wall read the whole province (their work is provincial).
- officer, approver, unit_admin read the whole province when their unit is provincial (the
  province office or a department, which check and aggregate every commune's reports), and
  only their unit's areas (the unit and the units below it) when it is a commune or a
  former district. Without a unit they read nothing.
- Writing is narrower than reading and is checked by the services: officers enter figures
  of their own unit only, approvers act on reports that climb through their unit, unit
  admins manage accounts of their unit and the units below it (ioc_app.opdb.accounts).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.opdb.models import Unit
from ioc_app.queries.scope import Scope
from ioc_app.writeback.chain import descendants

PROVINCE_ROLES = frozenset({"leader", "dept_head", "admin", "wall"})
# Units whose people see only their own part of the province.
LOCAL_UNIT_KINDS = frozenset({"commune", "former_district"})


def unit_subtree(session: Session, unit_id: int) -> set[int]:
    """The unit and every unit below it."""
    return {unit_id} | descendants(session, unit_id)


def read_scope(session: Session, province_code: str, role: str, unit_id: int | None) -> Scope:
    """The Scope every query of this account gets."""
    if role in PROVINCE_ROLES:
        return Scope(province_code)
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None:
        return Scope(province_code, frozenset())
    if unit.kind not in LOCAL_UNIT_KINDS:
        return Scope(province_code)
    keys = session.scalars(select(Unit.area_key).where(Unit.id.in_(unit_subtree(session, unit.id)),
                                                       Unit.area_key.is_not(None))).all()
    return Scope(province_code, frozenset(keys), unit.area_key)
