"""Shared fixtures: one demo installation and one gunicorn server per test session."""
from __future__ import annotations

import os
import re

import pytest
from hypothesis import settings as hypothesis_settings

from ioc_app.config import load_settings
from tests.demo_instance import Instance, Server, make_instance

# Property-based tests: the same examples on every CI run (a failure reproduces), random ones by hand.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")

LEADER = ("test_leader", "Lanh-dao-2026!")
ADMIN = ("test_admin", "Quan-tri-2026!")
# The password an administrator hands out; the person replaces it at the first sign-in.
ISSUED_PASSWORD = "Cap-moi-2026!"


def signed_in(app, name: str, password: str):
    """A Flask test client of `app` signed in through the login form (with its CSRF token)."""
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": name, "password": password}).status_code == 302
    return client


def callback_body(browser, first_output: str, values: dict) -> dict:
    """The request Dash sends for the callback whose outputs start with `first_output`."""
    callback = next(c for c in browser.get("/_dash-dependencies").get_json()
                    if c["output"].strip(".").startswith(first_output + "."))
    parts = [part.strip(".").rsplit(".", 1) for part in callback["output"].split("...")]
    outputs = [{"id": name, "property": prop} for name, prop in parts]

    def items(kind: str) -> list[dict]:
        return [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])} for i in callback.get(kind, [])]

    return {"output": callback["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": items("inputs"), "state": items("state"),
            "changedPropIds": [f"{callback['inputs'][0]['id']}.{callback['inputs'][0]['property']}"]}


def finish_first_login(database_url: str, name: str, issued: str, password: str) -> None:
    """What the person does at the first sign-in: prove the issued password, choose their own."""
    from ioc_app.opdb.session import engine_for, session_scope
    from ioc_app.opdb.users import authenticate, set_password

    engine = engine_for(database_url)
    try:
        with session_scope(engine) as db:
            user = authenticate(db, name, issued)
            assert user is not None and user.must_change_password
            set_password(db, user, password)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Instance:
    """`ioc demo --no-serve` at a tenth of the volume, plus leader and admin accounts for the tests."""
    instance = make_instance(tmp_path_factory.mktemp("ioc-demo"))
    instance.ioc("demo", "--no-serve")
    database_url = load_settings(instance.config).database_url
    for (name, password), role in ((LEADER, "leader"), (ADMIN, "admin")):
        instance.ioc("user", "create", name, "--role", role, "--password-stdin", stdin=ISSUED_PASSWORD + "\n")
        finish_first_login(database_url, name, ISSUED_PASSWORD, password)
    return instance


@pytest.fixture(scope="session")
def server(demo: Instance):
    running = Server(demo)
    yield running
    running.stop()
