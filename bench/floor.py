"""The engine floor: the query functions each callback runs, called straight on a DuckDB connection.

Which queries, with which arguments: the recorded callback bodies are replayed once through
the real app in this process (Flask test client), with `QueryCache.run` wrapped to note
every query it is asked for. The floor of a callback is the time of those queries on one
cursor of a direct read-only connection in one read transaction (as a web request reads them),
no cache, no HTTP, no Dash, no figure.
"""
from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from bench.capture import Callback
from ioc_app.config import Settings

Call = tuple[Callable[..., Any], tuple]


@contextmanager
def _recording(calls: list[Call]):
    from ioc_app.web.query_cache import QueryCache

    original = QueryCache.run

    def run(self, query, *args):
        calls.append((query, args))
        return original(self, query, *args)

    QueryCache.run = run
    try:
        yield
    finally:
        QueryCache.run = original


def queries_of(settings: Settings, callbacks: list[Callback], passwords: dict[str, str]) -> dict[str, list[Call]]:
    """callback name -> the distinct query calls its recorded bodies make."""
    from ioc_app.web.app import create_app

    calls: list[Call] = []
    with _recording(calls):
        server = create_app(settings)
        found: dict[str, list[Call]] = {}
        clients = {}
        for callback in callbacks:
            client = clients.get(callback.account)
            if client is None:
                client = clients[callback.account] = server.test_client()
                form = client.get("/login").get_data(as_text=True)
                token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
                client.post("/login", data={"csrf_token": token, "username": callback.account,
                                            "password": passwords[callback.account]})
            calls.clear()
            for body in callback.bodies:
                client.post(callback.path, json=body)
            unique = {(q.__module__, q.__qualname__, repr(a)): (q, a) for q, a in calls}
            found[callback.name] = list(unique.values())
    return found


def floor_times(settings: Settings, queries: dict[str, list[Call]], rounds: int) -> dict[str, list[float]]:
    """callback name -> milliseconds of its queries on a direct connection, `rounds` times."""
    from ioc_app.lake import connect

    samples: dict[str, list[float]] = defaultdict(list)
    with connect(settings, read_only=True) as con:
        for _ in range(rounds):
            for name, calls in queries.items():
                if not calls:
                    continue
                started = time.perf_counter()
                cur = con.cursor()
                cur.execute("USE lake")
                cur.execute("BEGIN TRANSACTION")  # as a web request reads: one cursor, one snapshot
                for query, args in calls:
                    query(cur, *args)
                cur.execute("ROLLBACK")
                cur.close()
                samples[name].append((time.perf_counter() - started) * 1000)
    return samples
