"""Accounts and tokens of the API tests, made on the session's demo installation with the CLI."""
from __future__ import annotations

from dataclasses import dataclass

import requests
from sqlalchemy import select

from ioc_app.config import load_settings
from ioc_app.opdb.models import Area, Unit
from ioc_app.opdb.session import engine_for, session_scope
from tests.conftest import ISSUED_PASSWORD
from tests.demo_instance import Instance

ALL_SCOPES = "indicators:read,catalogs:read,tickets:read"


def make_token(demo: Instance, user: str, scopes: str = ALL_SCOPES, days: int = 30) -> str:
    """`ioc token create`; the token is the last line it prints."""
    return demo.ioc("token", "create", "--user", user, "--scope", scopes, "--days", str(days)).stdout.split()[-1]


def make_user(demo: Instance, name: str, role: str, unit: str | None = None) -> None:
    demo.ioc("user", "create", name, "--role", role, "--password-stdin", *(["--unit", unit] if unit else []),
             stdin=ISSUED_PASSWORD + "\n")


def first_commune_unit(demo: Instance) -> tuple[str, str]:
    """(unit code, area key) of a commune reporting unit of the demo, placed at a current commune
    (other tests of the session add units of their own)."""
    engine = engine_for(load_settings(demo.config).database_url)
    try:
        with session_scope(engine) as db:
            communes = select(Area.key).where(Area.level == "commune", Area.valid_to.is_(None))
            unit = db.scalars(select(Unit).where(Unit.kind == "commune", Unit.valid_to.is_(None),
                                                 Unit.area_key.in_(communes)).order_by(Unit.code)).first()
            return unit.code, unit.area_key
    finally:
        engine.dispose()


@dataclass
class Api:
    url: str
    token: str

    def get(self, path: str, token: str | None = "", **params) -> requests.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token or self.token}"}
        return requests.get(self.url + path, params=params, headers=headers, timeout=60)
