"""The operational DB as web callbacks see it: one engine per worker process, and the Actor
of the signed-in person."""
from __future__ import annotations

import os
from functools import cache

from flask_login import current_user
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ioc_app.opdb.session import engine_for
from ioc_app.writeback.actor import Actor, actor_for


@cache
def _engine(url: str, pid: int) -> Engine:
    return engine_for(url)


def opdb_engine(url: str) -> Engine:
    """The engine of this process (made after gunicorn forks, never shared across a fork)."""
    return _engine(url, os.getpid())


def current_actor(session: Session) -> Actor:
    """The signed-in person as stored now (a role or unit changed since sign-in counts at once)."""
    return actor_for(session, current_user.username)
