"""Read access to the analytical store for one web process.

Each gunicorn worker opens its own DuckDB connection on first use (after the fork) and
hands every request thread a cursor of it; DuckLake shows each new query the latest
committed snapshot, so no reconnect is needed when a pipeline commits.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from ioc_app.config import Settings


class LakeReader:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._pid: int | None = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None or self._pid != os.getpid():
                from ioc_app.lake import connect

                self._con = connect(self._settings, read_only=True)
                self._pid = os.getpid()
            return self._con

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._connection().cursor()
        cur.execute("USE lake")
        try:
            yield cur
        finally:
            cur.close()
