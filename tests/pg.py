"""PostgreSQL for tests: a throw-away database per test session on 127.0.0.1:5432.

Without a reachable server the PostgreSQL variants skip with the reason; under CI
(CI=true) an unreachable server fails them instead.
"""
from __future__ import annotations

import os
import uuid

import psycopg
import pytest

PG_DSN = os.environ.get("IOC_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres")


def _admin() -> psycopg.Connection:
    return psycopg.connect(PG_DSN + " dbname=postgres", autocommit=True, connect_timeout=3)


def require_postgres() -> None:
    """Skip (or fail under CI) when PostgreSQL cannot be reached."""
    try:
        with _admin():
            return
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {PG_DSN}: {str(exc).strip().splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL tests may not skip)")
        pytest.skip(reason)


def create_database(prefix: str) -> str:
    """Create an empty database and return its name."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin() as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with _admin() as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlalchemy_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def libpq_dsn(name: str) -> str:
    return f"dbname={name} host=127.0.0.1 port=5432 user=postgres"
