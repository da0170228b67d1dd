"""Who may open which page and see which areas: checked on the server for every page and every callback."""
from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from ioc_app.config import Settings
from ioc_app.queries.scope import Scope


def has_role(*roles: str) -> bool:
    return bool(current_user.is_authenticated and current_user.role in roles)


def require_role(*roles: str) -> None:
    """Inside a request: 403 unless the signed-in user holds one of the roles."""
    if not has_role(*roles):
        abort(403)


def current_scope(settings: Settings) -> Scope:
    """Inside a request: the part of the province the signed-in user may read (ioc_app.opdb.reach),
    from the account as stored now; nothing for a request without a user."""
    if not current_user.is_authenticated:
        return Scope(settings.province_code, frozenset())
    if "ioc_scope" not in g:
        from ioc_app.opdb.reach import read_scope
        from ioc_app.opdb.session import session_scope
        from ioc_app.opdb.users import find_user
        from ioc_app.web.opdb import opdb_engine

        with session_scope(opdb_engine(settings.database_url)) as session:
            user = find_user(session, current_user.username)
            g.ioc_scope = (Scope(settings.province_code, frozenset()) if user is None or not user.is_active
                           else read_scope(session, settings.province_code, user.role_code, user.unit_id))
    return g.ioc_scope
