"""Connect to the operational DB, migrate it, and tell what is wrong with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

from ioc_app.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
# Any constant shared by every process that migrates the same PostgreSQL database.
PG_MIGRATION_LOCK = 0x10C0DB01
FIX_URL = "fix IOC_DATABASE_URL or database_url in config.yaml"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL of the operational DB; a bare postgresql:// URL uses psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"operational DB URL is not valid: {url!r} ({FIX_URL})") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"operational DB {shown(parsed)}: only SQLite and PostgreSQL are supported ({FIX_URL})"
        )
    return parsed


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory DB or another backend."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _problem(url: URL, exc: BaseException) -> str:
    """'<url>: <reason> (<fix>)' with the password hidden everywhere."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0].strip()
    if url.password:
        reason = reason.replace(str(url.password), "***")
    path = sqlite_path(url)
    if "locked" in reason:
        fix = "another process is writing to it: try again when it has finished"
    elif url.get_backend_name() == "sqlite":
        where = f"the folder {path.parent}" if path else "the database"
        fix = f"make sure {where} exists and is writable, or {FIX_URL}"
    elif "does not exist" in reason:
        fix = f"create the database or {FIX_URL}"
    else:
        fix = f"start PostgreSQL or {FIX_URL}"
    return f"{shown(url)}: {reason} ({fix})"


def _store_error(url: URL, exc: BaseException) -> StoreError:
    return StoreError(f"operational DB {_problem(url, exc)}")


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url)
    in_memory = sqlite_path(url) is None

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    return engine


def _probe(engine: Engine) -> None:
    """Open one connection (SQLite: take the write lock once) so problems surface here."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("ROLLBACK")
        else:
            connection.execute(text("SELECT 1"))


def _checked_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    try:
        _probe(engine)
    finally:
        # The probe's pooled connection must not be inherited by forked web workers.
        engine.dispose()
    return engine


def engine_for(url: str) -> Engine:
    """An engine for the operational DB, checked by one connection.

    SQLite gets WAL, foreign keys and a busy timeout on every connection; PostgreSQL
    goes through psycopg 3 with pre-ping. An unreachable server or an unusable file
    raises StoreError (one line: which DB, why, what to do).
    """
    parsed = parse_url(url)
    try:
        return _checked_engine(parsed)
    except DBAPIError as exc:
        raise _store_error(parsed, exc) from None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back when it raises.

    Objects stay loaded after the commit (expire_on_commit=False) so that callers can
    use a returned User once the block is closed.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(connection: Connection) -> Config:
    """Alembic settings built in code: the scripts inside this package, no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _serialize_migrations(connection: Connection) -> None:
    """Make concurrent migrate() calls wait for each other; on SQLite also makes the DDL atomic."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (`alembic upgrade head`); a no-op when it is there."""
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _store_error(parsed, exc) from None
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            _serialize_migrations(connection)
            command.upgrade(alembic_config(connection), "head")
            connection.commit()
    except DBAPIError as exc:
        raise _store_error(parsed, exc) from None
    finally:
        engine.dispose()


def check_database(url: str) -> list[str]:
    """Problems with the operational DB, one line each; an empty list means usable."""
    try:
        parsed = parse_url(url)
        path = sqlite_path(parsed)
        if path is not None and not path.is_file():
            return [f"{shown(parsed)}: the database file does not exist (run `ioc init`)"]
        engine = _checked_engine(parsed)
    except StoreError as exc:
        return [str(exc).removeprefix("operational DB ")]
    except DBAPIError as exc:
        return [_problem(parsed, exc)]
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
            heads = ScriptDirectory.from_config(alembic_config(connection)).get_heads()
    finally:
        engine.dispose()
    if not current:
        return [f"{shown(parsed)}: not migrated yet (run `ioc init`)"]
    if set(current) != set(heads):
        return [
            f"{shown(parsed)}: schema at revision {', '.join(current)}, the code needs "
            f"{', '.join(heads)} (run `ioc init` to migrate)"
        ]
    return []
