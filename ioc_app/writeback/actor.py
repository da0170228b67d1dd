"""Who is acting: what every write-back service checks its permissions against."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ioc_app.errors import WritebackError
from ioc_app.opdb.models import Unit, User
from ioc_app.opdb.users import find_user


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    unit_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def actor_for(session: Session, username: str) -> Actor:
    """The active account `username` as an Actor; WritebackError when it does not exist or is closed."""
    user: User | None = find_user(session, username)
    if user is None or not user.is_active:
        raise WritebackError(f"no active account {username!r}")
    return Actor(user.username, user.role_code, user.unit_id)


def unit_by_code(session: Session, code: str) -> Unit:
    unit = session.query(Unit).filter_by(code=code).one_or_none()
    if unit is None:
        raise WritebackError(f"no reporting unit with code {code!r}")
    return unit
