"""Accounts: password policy, slow hashes, login checks, password changes, closing (never deleting)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ioc_app.errors import IocError
from ioc_app.opdb.audit import record
from ioc_app.clock import now_ict
from ioc_app.opdb.models import PasswordHistory, Role, Unit, User

HASH_METHOD = "scrypt"
MIN_LENGTH = 8
HISTORY_DEPTH = 5
PASSWORD_MAX_AGE = timedelta(days=183)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class WeakPasswordError(IocError):
    """The password breaks the policy; the message lists every rule it breaks."""


class ReusedPasswordError(WeakPasswordError):
    """The password is one of the account's last HISTORY_DEPTH passwords."""


# Rule code -> its wording; the web pages show their own translation of each code.
POLICY_RULES: dict[str, str] = {
    "length": f"at least {MIN_LENGTH} characters",
    "upper": "an upper-case letter",
    "lower": "a lower-case letter",
    "digit": "a digit",
    "special": "a special character such as ! @ # or %",
}


def broken_rules(password: str) -> list[str]:
    """The codes of POLICY_RULES that `password` breaks, in the order of POLICY_RULES."""
    kept = {
        "length": len(password) >= MIN_LENGTH,
        "upper": any(c.isupper() for c in password),
        "lower": any(c.islower() for c in password),
        "digit": any(c.isdigit() for c in password),
        "special": any(not c.isalnum() and not c.isspace() for c in password),
    }
    return [code for code in POLICY_RULES if not kept[code]]


def policy_problems(password: str) -> list[str]:
    """Every rule of the password policy that `password` breaks, in plain words."""
    return [POLICY_RULES[code] for code in broken_rules(password)]


def check_policy(password: str) -> None:
    problems = policy_problems(password)
    if problems:
        raise WeakPasswordError("password too weak: it needs " + ", ".join(problems))


def _hash(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check against when the username is unknown, so both cases take as long."""
    return _hash("decoy password that no account has")


def normalize_username(username: str) -> str:
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == normalize_username(username))).one_or_none()


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def name_of_role(session: Session, code: str, lang: str) -> str:
    """The role's name in `lang` ("vi" or "en"); its code when there is no such role."""
    role = session.get(Role, code)
    return (role.name_vi if lang == "vi" else role.name_en) if role else code


def _remember(session: Session, user: User) -> None:
    """Add the current hash to the history and keep only the newest HISTORY_DEPTH entries."""
    session.add(
        PasswordHistory(
            user_id=user.id, password_hash=user.password_hash, changed_at=user.password_changed_at
        )
    )
    session.flush()
    stale = session.scalars(
        select(PasswordHistory)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.changed_at.desc(), PasswordHistory.id.desc())
        .offset(HISTORY_DEPTH)
    ).all()
    for entry in stale:
        session.delete(entry)


def public_view(user: User) -> dict:
    """What the audit log keeps about an account (never the password hash)."""
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role_code,
        "unit_id": user.unit_id,
        "is_active": user.is_active,
        "must_change_password": user.must_change_password,
    }


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    unit_code: str | None = None,
    must_change_password: bool = True,
    full_name: str | None = None,
    *,
    actor: str = "system",
) -> User:
    """Create an account; bad input raises IocError (WeakPasswordError for the password)."""
    name = normalize_username(username)
    if not USERNAME.match(name):
        raise IocError(
            f"username {username!r} is not valid: use 2-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if session.get(Role, role) is None:
        known = ", ".join(session.scalars(select(Role.code).order_by(Role.code)))
        raise IocError(f"unknown role {role!r} (known roles: {known})")
    unit = None
    if unit_code is not None:
        unit = session.scalars(select(Unit).where(Unit.code == unit_code)).one_or_none()
        if unit is None:
            raise IocError(f"unknown unit {unit_code!r} (import the unit catalog first or fix the unit code)")
    if find_user(session, name) is not None:
        raise IocError(f"username {name!r} exists already (choose another name)")
    check_policy(password)
    now = now_ict()
    user = User(
        username=name,
        full_name=full_name,
        role_code=role,
        unit_id=unit.id if unit else None,
        password_hash=_hash(password),
        must_change_password=must_change_password,
        password_changed_at=now,
        failed_logins=0,
        is_active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    _remember(session, user)
    record(session, actor, "create", "user", user.id, None, public_view(user))
    return user


@dataclass(frozen=True)
class LoginCheck:
    """The outcome of one sign-in attempt: the user when it succeeded, else why it failed.

    `reason` is for the audit log only ("ok", "unknown_user", "wrong_password", "closed");
    the person signing in is told the same thing in every failed case.
    """

    user: User | None
    reason: str


def check_login(session: Session, username: str, password: str) -> LoginCheck:
    """Check a sign-in; a wrong password counts a failed login on the account."""
    user = find_user(session, username)
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return LoginCheck(None, "unknown_user")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        session.flush()
        return LoginCheck(None, "wrong_password")
    if not user.is_active:
        return LoginCheck(None, "closed")
    if user.failed_logins:
        user.failed_logins = 0
        session.flush()
    return LoginCheck(user, "ok")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None; a wrong password counts a failed login."""
    return check_login(session, username, password).user


def verify_password(user: User, password: str) -> bool:
    """True when `password` is the account's current password (one slow hash check)."""
    return check_password_hash(user.password_hash, password)


def password_change_due(
    user: User, now: datetime | None = None, max_age: timedelta = PASSWORD_MAX_AGE
) -> bool:
    """True when the user must pick a new password: first login, reset, or `max_age` (six months) old."""
    return user.must_change_password or (now or now_ict()) - user.password_changed_at >= max_age


def set_password(session: Session, user: User, new_password: str, *, actor: str | None = None) -> None:
    """Change the password; refuses weak ones and any of the last HISTORY_DEPTH passwords."""
    check_policy(new_password)
    recent = session.scalars(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.changed_at.desc(), PasswordHistory.id.desc())
        .limit(HISTORY_DEPTH)
    ).all()
    if any(check_password_hash(old, new_password) for old in {user.password_hash, *recent}):
        raise ReusedPasswordError(
            f"password was used recently: choose one that differs from the last {HISTORY_DEPTH}"
        )
    user.password_hash = _hash(new_password)
    user.password_changed_at = now_ict()
    user.must_change_password = actor is not None and actor != user.username
    user.failed_logins = 0
    session.flush()
    _remember(session, user)
    record(
        session, actor or user.username, "set_password", "user", user.id, None,
        {"username": user.username, "must_change_password": user.must_change_password},
    )


def reset_password(session: Session, username: str, temporary: str, *, actor: str) -> User:
    """An administrator sets a temporary password that the person must change at the next sign-in."""
    user = find_user(session, username)
    if user is None:
        raise IocError(f"unknown user {username!r}")
    if not user.is_active:
        raise IocError(f"user {user.username!r} is closed: closed accounts cannot sign in again")
    set_password(session, user, temporary, actor=actor)
    return user


def close_user(session: Session, username: str, *, actor: str = "system") -> User:
    """Deactivate an account for good; the row stays because its data must keep its author."""
    user = find_user(session, username)
    if user is None:
        raise IocError(f"unknown user {username!r}")
    if user.is_active:
        before = public_view(user)
        user.is_active = False
        user.closed_at = now_ict()
        session.flush()
        record(session, actor, "close", "user", user.id, before, public_view(user))
    return user
