"""/health (liveness: the process answers) and /ready (readiness: both stores usable), no session needed.

/ready answers 200 when the operational DB is reachable and at the migration head and the
lake is readable (with its snapshot id), otherwise 503 naming the failing part. Answers
never carry a URL, host, user or error text: the details go to the log (`ioc.web.health`).
"""
from __future__ import annotations

import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, jsonify
from sqlalchemy import Engine

from ioc_app.config import Settings
from ioc_app.lake import snapshot_id
from ioc_app.opdb.session import alembic_config
from ioc_app.web.lake_reader import LakeReader

log = logging.getLogger("ioc.web.health")


def _opdb_check(engine: Engine, heads: set[str]) -> dict:
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # any failure means "not ready"; the reason goes to the log only
        log.warning("readiness: operational DB unreachable: %s", str(exc).strip().splitlines()[0])
        return {"ok": False, "reason": "unreachable"}
    if current != heads:
        log.warning("readiness: operational DB at %s, the code needs %s", sorted(current), sorted(heads))
        return {"ok": False, "reason": "not at the migration head", "revision": sorted(current)}
    return {"ok": True, "revision": sorted(current)}


def _lake_check(reader: LakeReader) -> dict:
    try:
        with reader.cursor() as cur:
            return {"ok": True, "snapshot": snapshot_id(cur)}
    except Exception as exc:  # as above
        log.warning("readiness: lake unreadable: %s", str(exc).strip().splitlines()[0])
        return {"ok": False, "reason": "unreadable"}


def install_health(server: Flask, settings: Settings, engine: Engine, reader: LakeReader) -> None:
    with engine.connect() as connection:
        heads = set(ScriptDirectory.from_config(alembic_config(connection)).get_heads())

    @server.get("/health")
    def health():
        return jsonify(status="ok", province=settings.province_code)

    @server.get("/ready")
    def ready():
        checks = {"opdb": _opdb_check(engine, heads), "lake": _lake_check(reader)}
        failing = [name for name, check in checks.items() if not check["ok"]]
        body = {"status": "ready" if not failing else "unavailable", "failing": failing, "checks": checks}
        return jsonify(body), 200 if not failing else 503, {"Cache-Control": "no-store"}
