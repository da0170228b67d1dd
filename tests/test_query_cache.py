"""The query cache (ioc_app.web.query_cache) on the session demo's lake: askers of a query that is
already running wait for its answer instead of running it again; a failure is not shared."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ioc_app.config import load_settings
from ioc_app.web.lake_reader import LakeReader
from ioc_app.web.query_cache import QueryCache


@pytest.fixture
def cache(demo) -> QueryCache:
    return QueryCache(LakeReader(load_settings(demo.config)))


def test_concurrent_askers_of_one_query_run_it_once(cache):
    calls = []

    def communes(con, level: str) -> int:
        calls.append(level)
        time.sleep(0.3)  # long enough for every asker to arrive while it runs
        return con.execute("SELECT count(*) FROM dim_area WHERE level = ?", [level]).fetchone()[0]

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: cache.run(communes, "commune"), range(6)))
    assert calls == ["commune"] and len(set(answers)) == 1 and answers[0] > 0
    assert cache.run(communes, "commune") == answers[0] and calls == ["commune"]  # kept
    cache.run(communes, "province")
    assert calls == ["commune", "province"]


def test_a_failed_first_asker_leaves_the_others_to_run_it(cache):
    lock, calls = threading.Lock(), []

    def flaky(con) -> int:
        with lock:
            calls.append(len(calls) + 1)
            mine = calls[-1]
        time.sleep(0.3)
        if mine == 1:
            raise RuntimeError("the first run fails")
        return con.execute("SELECT count(*) FROM dim_area").fetchone()[0]

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(cache.run, flaky) for _ in range(3)]
    errors = [f.exception() for f in futures if f.exception() is not None]
    assert len(errors) == 1 and "first run fails" in str(errors[0])
    assert len({f.result() for f in futures if f.exception() is None}) == 1
