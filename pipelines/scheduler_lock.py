"""One scheduler per installation, even across machines.

- Always: an exclusive lock on `<data_dir>/scheduler.lock` (one machine, one data folder).
- When the operational DB is PostgreSQL (the several-machine setup, where each machine has its
  own data folder): also a PostgreSQL advisory lock in that database, held by one connection
  for the scheduler's whole life. PostgreSQL releases it when that session ends, so a
  scheduler that dies (kill -9, power loss) frees it at once; a scheduler whose connection
  was cut stops at its next check instead of running beside the one that took over.
"""
from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ioc_app.config import Settings
from ioc_app.errors import IocError, StoreError
from ioc_app.opdb.session import engine_for, parse_url, shown

# Any constant shared by every scheduler of one installation; advisory locks are per database.
PG_SCHEDULER_LOCK = 0x10C05C01
_HOLDER = text(
    "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :key "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")


@contextmanager
def _file_lock(settings: Settings) -> Iterator[None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "scheduler.lock"
    handle: IO[str] = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise IocError(f"another scheduler is running on {settings.data_dir} (pid {holder}); "
                           "stop it first") from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def _holder(connection: Connection) -> str:
    row = connection.execute(_HOLDER, {"key": PG_SCHEDULER_LOCK}).first()
    if row is None:
        return "holder not visible to this database role"
    name, address, since = row
    return f"{name or 'unnamed'} from {address or 'local socket'}, since {since:%Y-%m-%d %H:%M:%S}"


class _Held:
    """Whether the lock's session is still there; once it is gone the lock is lost for good."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.lost = False

    def __call__(self) -> bool:
        if not self.lost:
            try:
                self.connection.execute(text("SELECT 1"))
            except SQLAlchemyError:
                self.lost = True
        return not self.lost


@contextmanager
def _postgres_lock(url: str) -> Iterator[Callable[[], bool]]:
    """The advisory lock on a connection of its own; yields a check that the lock is still held."""
    where = shown(parse_url(url))
    engine = engine_for(url)
    try:
        try:
            # Autocommit: an idle lock session must not sit "idle in transaction" (servers may end those).
            connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            # Named after its machine and process, so a refused scheduler can say who holds the lock.
            connection.execute(text("SELECT set_config('application_name', :name, false)"),
                               {"name": f"ioc scheduler {socket.gethostname()} pid {os.getpid()}"[:63]})
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_SCHEDULER_LOCK}).scalar()
        except DBAPIError as exc:
            raise StoreError(f"operational DB {where}: cannot take the scheduler lock "
                             f"({str(exc.orig).strip().splitlines()[0]})") from None
        if not taken:
            holder = _holder(connection)
            connection.close()
            raise IocError(f"another scheduler is running against the operational DB {where} ({holder}); "
                           "stop it first")
        held = _Held(connection)
        try:
            yield held
        finally:
            if held():
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_SCHEDULER_LOCK})
            connection.close()
    finally:
        engine.dispose()


@contextmanager
def only_scheduler(settings: Settings) -> Iterator[Callable[[], bool]]:
    """Hold the scheduler's locks while the block runs; yields `held()`, False once a lock is lost."""
    with _file_lock(settings):
        if parse_url(settings.database_url).get_backend_name() != "postgresql":
            yield lambda: True
            return
        with _postgres_lock(settings.database_url) as held:
            yield held
