"""Shared fixtures: one demo installation and one gunicorn server per test session."""
from __future__ import annotations

import pytest

from tests.demo_instance import Instance, Server, make_instance

LEADER = ("test_leader", "Lanh-dao-2026!")
ADMIN = ("test_admin", "Quan-tri-2026!")


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Instance:
    """`ioc demo --no-serve` at a tenth of the volume, plus leader and admin accounts for the tests."""
    instance = make_instance(tmp_path_factory.mktemp("ioc-demo"))
    instance.ioc("demo", "--no-serve")
    for (name, password), role in ((LEADER, "leader"), (ADMIN, "admin")):
        instance.ioc("user", "create", name, "--role", role, "--password-stdin", stdin=password + "\n")
    return instance


@pytest.fixture(scope="session")
def server(demo: Instance):
    running = Server(demo)
    yield running
    running.stop()
