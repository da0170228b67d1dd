"""Shared fixtures: one demo installation and one gunicorn server per test session."""
from __future__ import annotations

import pytest

from tests.demo_instance import Instance, Server, make_instance

LEADER = ("test_leader", "Lanh-dao-2026!")


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Instance:
    """`ioc demo --no-serve` at a tenth of the volume, plus a leader account for the tests."""
    instance = make_instance(tmp_path_factory.mktemp("ioc-demo"))
    instance.ioc("demo", "--no-serve")
    instance.ioc("user", "create", LEADER[0], "--role", "leader", "--password-stdin", stdin=LEADER[1] + "\n")
    return instance


@pytest.fixture(scope="session")
def server(demo: Instance):
    running = Server(demo)
    yield running
    running.stop()
