"""Who may open which page: checked on the server for every page and every callback."""
from __future__ import annotations

from flask import abort
from flask_login import current_user


def has_role(*roles: str) -> bool:
    return bool(current_user.is_authenticated and current_user.role in roles)


def require_role(*roles: str) -> None:
    """Inside a request: 403 unless the signed-in user holds one of the roles."""
    if not has_role(*roles):
        abort(403)
