"""Bearer tokens of the data-sharing API: made, listed and revoked from the CLI, checked on
every API request.

A token is `ioc_` + 43 url-safe characters (256 random bits); only its SHA-256 is stored,
with the first characters kept to recognise it in `ioc token list`. A token acts as its
user: the user's role must allow each scope (checked when it is made and at every request,
since roles change) and the user's unit sets the area scope. A closed account's tokens stop
at once. Audit: creation, revocation, and the first use of each token on each day (not
every request, which would drown the log).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc_app.clock import now_ict
from ioc_app.errors import IocError
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import ApiToken, User
from ioc_app.opdb.users import find_user

PREFIX = "ioc_"
TOKEN = re.compile(r"^ioc_[A-Za-z0-9_-]{43}$")
SHOWN = 8  # characters after the prefix that `ioc token list` shows
MAX_DAYS = 366
LAST_USED_EVERY = timedelta(minutes=1)

# Scope -> roles that may hold it: the roles of the desk views showing the same data.
DESK_ROLES = ("leader", "dept_head", "approver", "unit_admin", "admin")
SCOPES: dict[str, tuple[str, ...]] = {
    "indicators:read": DESK_ROLES,
    "tickets:read": DESK_ROLES,
    "catalogs:read": (*DESK_ROLES, "officer"),
}


class TokenError(IocError):
    """A token cannot be made or revoked as asked."""


class Refusal(Exception):
    """Why a request's token is not accepted (answered 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def parse_scopes(text: str | list[str]) -> list[str]:
    """Scopes from 'a,b' or 'a b' or a list; TokenError naming any unknown one."""
    items = text if isinstance(text, list) else [text]
    scopes = sorted({part for item in items for part in re.split(r"[,\s]+", item) if part})
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise TokenError(f"unknown scope {', '.join(unknown) or '(none given)'}: choose from {', '.join(SCOPES)}")
    return scopes


def _active_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise TokenError(f"no account {username!r}")
    if not user.is_active:
        raise TokenError(f"account {username!r} is closed: closed accounts get no tokens")
    return user


def create_token(session: Session, username: str, scopes: list[str], days: int, actor: str,
                 label: str | None = None) -> tuple[ApiToken, str]:
    """A new token for `username`; returns the row and the token text (shown once, never stored)."""
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"--days {days}: a token lives 1 to {MAX_DAYS} days")
    user = _active_user(session, username)
    refused = [scope for scope in scopes if user.role_code not in SCOPES[scope]]
    if refused:
        raise TokenError(f"role {user.role_code} of {user.username!r} may not hold {', '.join(refused)}")
    text = PREFIX + secrets.token_urlsafe(32)
    now = now_ict()
    token = ApiToken(user_id=user.id, token_hash=hash_token(text), prefix=text[len(PREFIX):][:SHOWN],
                     scopes=" ".join(scopes), label=label, created_at=now, created_by=actor,
                     expires_at=now + timedelta(days=days))
    session.add(token)
    session.flush()
    record(session, actor, "token_create", "api_token", token.id, None,
           {"user": user.username, "scopes": scopes, "expires_at": token.expires_at, "prefix": token.prefix})
    return token, text


def revoke_token(session: Session, token_id: int, actor: str) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"no API token {token_id} (see `ioc token list`)")
    if token.revoked_at is not None:
        raise TokenError(f"API token {token_id} was already revoked at {token.revoked_at:%Y-%m-%d %H:%M}")
    token.revoked_at = now_ict()
    token.revoked_by = actor
    record(session, actor, "token_revoke", "api_token", token.id, None,
           {"user": token.user.username, "prefix": token.prefix})
    return token


def list_tokens(session: Session, username: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if username is not None:
        query = query.where(ApiToken.user_id == _user_id(session, username))
    return list(session.scalars(query))


def _user_id(session: Session, username: str) -> int:
    user = find_user(session, username)
    if user is None:
        raise TokenError(f"no account {username!r}")
    return user.id


def token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if not token.user.is_active:
        return "user closed"
    return "expired" if token.expires_at <= now else "active"


def check_bearer(session: Session, header: str | None, now: datetime) -> ApiToken:
    """The token of an `Authorization: Bearer ...` header; Refusal(reason) when there is none,
    it is malformed, unknown, expired, revoked, or its user is closed. Records the use."""
    if not header:
        raise Refusal("missing bearer token (send Authorization: Bearer <token>)")
    scheme, _, text = header.partition(" ")
    if scheme.lower() != "bearer" or not text.strip():
        raise Refusal("malformed Authorization header (expected: Bearer <token>)")
    text = text.strip()
    if not TOKEN.fullmatch(text):
        raise Refusal("malformed token")
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(text))).first()
    if token is None:
        raise Refusal("unknown token")
    state = token_state(token, now)
    if state != "active":
        raise Refusal(f"token {state}")
    _note_use(session, token, now)
    return token


def _note_use(session: Session, token: ApiToken, now: datetime) -> None:
    last = token.last_used_at
    if last is None or last.date() != now.date():
        record(session, token.user.username, "token_use", "api_token", token.id, None,
               {"prefix": token.prefix, "first_use_on": now.date()})
    elif now - last < LAST_USED_EVERY:
        return
    token.last_used_at = now
