"""Account management by administrators and unit admins (R-07, R-16, R-34).

An administrator manages every account. A unit admin manages the accounts of their own unit
and of the units below it, and grants only the unit-bound roles (officer, approver,
unit_admin): provincial roles (leader, dept_head, wall) and admin are granted by an
administrator. Every action is audited by the services it calls (users.create_user,
set_password, close_user) or here (handovers, role changes).

An issued password (a new account, a reset, a handover) is shown once and must be changed
at the next sign-in; setting it changes the account's password stamp, which ends every
session opened before (ioc_app.web.auth).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.bootstrap import demo_password
from ioc_app.clock import now_ict
from ioc_app.errors import IocError
from ioc_app.opdb import throttle
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import ROLE_CODES, AccountHandover, Unit, User
from ioc_app.opdb.reach import unit_subtree
from ioc_app.opdb.users import public_view, close_user, create_user, find_user, normalize_username, set_password
from ioc_app.writeback.actor import Actor

MANAGER_ROLES = ("admin", "unit_admin")
UNIT_ADMIN_GRANTS = ("officer", "approver", "unit_admin")
MAX_NAME = 200
MAX_REASON = 2000


class AccountError(IocError):
    """An account action that the actor may not take, or with bad input."""


@dataclass(frozen=True)
class Issued:
    """An account with the password just issued for it (shown once, never stored in clear)."""

    username: str
    password: str


def _require_manager(actor: Actor) -> None:
    if actor.role not in MANAGER_ROLES:
        raise AccountError(f"{actor.username} may not manage accounts: administrators and unit admins only")


def managed_units(session: Session, actor: Actor) -> set[int] | None:
    """Ids of the units whose accounts `actor` manages; None: every account (administrators)."""
    _require_manager(actor)
    if actor.is_admin:
        return None
    if actor.unit_id is None:
        return set()
    return unit_subtree(session, actor.unit_id)


def grantable_roles(actor: Actor) -> tuple[str, ...]:
    """The roles `actor` may give (an administrator: every role)."""
    _require_manager(actor)
    return ROLE_CODES if actor.is_admin else UNIT_ADMIN_GRANTS


def _check_grant(session: Session, actor: Actor, role: str, unit_code: str | None) -> Unit | None:
    if role not in grantable_roles(actor):
        raise AccountError(f"{actor.username} may not grant the role {role!r}: unit admins grant only "
                           f"{', '.join(UNIT_ADMIN_GRANTS)}")
    unit = None
    if unit_code:
        unit = session.scalars(select(Unit).where(Unit.code == unit_code)).one_or_none()
        if unit is None:
            raise AccountError(f"unknown unit {unit_code!r}")
    units = managed_units(session, actor)
    if units is not None and (unit is None or unit.id not in units):
        raise AccountError(f"{actor.username} may not give accounts of unit {unit_code or '(none)'}: "
                           f"only of their own unit and the units below it")
    return unit


def _target(session: Session, actor: Actor, username: str) -> User:
    """The account `username`, when `actor` manages it; else AccountError."""
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"unknown user {username!r}")
    units = managed_units(session, actor)
    if units is not None and (user.unit_id not in units or user.role_code not in UNIT_ADMIN_GRANTS):
        raise AccountError(f"{actor.username} may not manage the account {user.username!r}: "
                           f"it is outside their unit or holds a role they cannot grant")
    if user.username == normalize_username(actor.username):
        raise AccountError(f"{actor.username} may not manage their own account here: ask another administrator")
    return user


def accounts(session: Session, actor: Actor) -> list[User]:
    """The accounts `actor` manages, by unit and name (closed ones too: they stay for the record)."""
    units = managed_units(session, actor)
    query = select(User).order_by(User.unit_id.is_(None), User.unit_id, User.username)
    if units is not None:
        query = query.where(User.unit_id.in_(units), User.role_code.in_(UNIT_ADMIN_GRANTS))
    return list(session.scalars(query))


def units_for(session: Session, actor: Actor) -> list[Unit]:
    """The units `actor` may give accounts in, by name."""
    units = managed_units(session, actor)
    query = select(Unit).order_by(Unit.name)
    if units is not None:
        query = query.where(Unit.id.in_(units))
    return list(session.scalars(query))


def _clean(text: str | None, what: str, limit: int, required: bool = True) -> str | None:
    cleaned = " ".join((text or "").split())
    if required and not cleaned:
        raise AccountError(f"{what} is required")
    if len(cleaned) > limit:
        raise AccountError(f"{what} is longer than {limit} characters")
    return cleaned or None


def open_account(session: Session, actor: Actor, username: str, role: str, unit_code: str | None,
                 full_name: str | None, password: str | None = None) -> Issued:
    """A new account in a unit `actor` manages, with an issued password to change at first sign-in."""
    unit = _check_grant(session, actor, role, unit_code)
    issued = demo_password() if password is None else password
    user = create_user(session, username, role, issued, unit_code=unit.code if unit else None,
                       full_name=_clean(full_name, "the full name", MAX_NAME, required=False), actor=actor.username)
    return Issued(user.username, issued)


def close_account(session: Session, actor: Actor, username: str) -> User:
    """Close an account for good (never deleted: its data keep their author)."""
    return close_user(session, _target(session, actor, username).username, actor=actor.username)


def grant_role(session: Session, actor: Actor, username: str, role: str) -> User:
    """Give a managed account another role that `actor` may grant (in the same unit)."""
    user = _target(session, actor, username)
    _check_grant(session, actor, role, user.unit.code if user.unit else None)
    if user.role_code != role:
        before = public_view(user)
        user.role_code = role
        session.flush()
        record(session, actor.username, "grant_role", "user", user.id, before, public_view(user))
    return user


def _issue(session: Session, actor: Actor, user: User, password: str | None) -> str:
    if not user.is_active:
        raise AccountError(f"user {user.username!r} is closed: closed accounts cannot sign in again")
    issued = demo_password() if password is None else password
    set_password(session, user, issued, actor=actor.username)
    throttle.clear(session, throttle.ACCOUNT, user.username)
    return issued


def reset_account(session: Session, actor: Actor, username: str, password: str | None = None) -> Issued:
    """A new issued password (to change at the next sign-in); the lockout ends, old sessions end."""
    user = _target(session, actor, username)
    return Issued(user.username, _issue(session, actor, user, password))


def hand_over(session: Session, actor: Actor, username: str, to_name: str, reason: str,
              on: date | None = None, password: str | None = None) -> Issued:
    """Record that the account now belongs to another person (R-34): the handover row, the new
    full name, a new issued password to change at first sign-in, every old session ended."""
    user = _target(session, actor, username)
    to_clean = _clean(to_name, "the new person's full name", MAX_NAME)
    why = _clean(reason, "the reason", MAX_REASON)
    handover = AccountHandover(user_id=user.id, from_name=user.full_name, to_name=to_clean,
                               handed_over_on=on or now_ict().date(), reason=why, recorded_by=actor.username,
                               recorded_at=now_ict())
    session.add(handover)
    user.full_name = to_clean
    issued = _issue(session, actor, user, password)
    record(session, actor.username, "handover", "user", user.id, {"full_name": handover.from_name},
           {"full_name": to_clean, "on": handover.handed_over_on.isoformat(), "reason": why})
    return Issued(user.username, issued)


def handovers(session: Session, actor: Actor) -> list[tuple[AccountHandover, User]]:
    """Handovers of the accounts `actor` manages, newest first."""
    managed = {user.id: user for user in accounts(session, actor)}
    rows = session.scalars(select(AccountHandover).where(AccountHandover.user_id.in_(managed))
                           .order_by(AccountHandover.recorded_at.desc(), AccountHandover.id.desc()))
    return [(row, managed[row.user_id]) for row in rows]
