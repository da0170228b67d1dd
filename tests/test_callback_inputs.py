"""Forged callback inputs are refused before the callback runs (ioc_app.web.callback_inputs): a
value of a type the page never sends gets 400 naming the component property, a forged regime
code gets 400 with the write-back's refusal, and every callback declares what it reads."""
from __future__ import annotations

import re

import pytest
from typing_extensions import TypedDict

from ioc_app.config import load_settings
from ioc_app.web.app import create_app
from ioc_app.web.callback_inputs import ForgedInput, checker
from tests.conftest import ADMIN, LEADER, callback_body, signed_in


class Target(TypedDict):
    unit: str
    period: str


def _picked(_clicks, camera: str | None, rows: list[int] | None, target: Target | None, *rest: int):
    return camera, rows, target, rest


def test_a_value_of_another_type_is_refused_naming_the_property():
    check = checker(_picked)
    labels = ["b.n_clicks", "dv-camera.data", "grid.rowData", "entry-target.data"]
    check([{"forged": "trigger values are never read"}, "cam-1", [1, 2], {"unit": "X", "period": "Q3"}, 4, 5],
          labels)
    check([None, None, None, None], labels)
    for values, message in [
        ([1, {"id": 1}, None, None], "dv-camera.data: expected str | None, got dict"),
        ([1, None, ["1"], None], "grid.rowData: expected list[int] | None, got list"),
        ([1, None, None, "X|Q3"], "entry-target.data: expected Target | None, got str"),
        ([1, None, None, {"unit": "X"}], "entry-target.data: expected Target | None, got dict"),
        ([1, None, None, None, 4, "5"], "rest: expected int, got str"),
    ]:
        with pytest.raises(ForgedInput, match=re.escape(message)):
            check(values, labels)


def test_more_values_than_parameters_are_refused():
    def show(camera: str | None):
        return camera

    with pytest.raises(ForgedInput, match="2 inputs sent, 1 expected"):
        checker(show)(["a", "b"], ["dv-camera.data"])


def test_a_callback_that_reads_an_untyped_value_does_not_start():
    def show(_trigger, camera):
        return camera

    with pytest.raises(TypeError, match="no type declared for camera"):
        checker(show)


@pytest.fixture(scope="module")
def site(demo):
    """The demo's app in-process: made at all, every callback declares the types it reads."""
    return create_app(load_settings(demo.config))


def _send(browser, first_output: str, values: dict):
    return browser.post("/_dash-update-component", headers={"Origin": "http://localhost"},
                        json=callback_body(browser, first_output, values))


def test_the_server_answers_a_forged_store_with_400_and_a_real_one_with_200(site):
    app = site
    browser = signed_in(app, *LEADER)
    forged = _send(browser, "dv-crumb-camera", {"dv-camera": {"unit": "X"}, "dv-viewport": 1440})
    assert forged.status_code == 400
    assert "dv-camera.data: expected str | None, got dict" in forged.get_data(as_text=True)
    real = _send(browser, "dv-crumb-camera", {"dv-camera": None, "dv-viewport": 1440})
    assert real.status_code == 200


def test_a_forged_regime_gets_the_write_back_refusal_as_400(site):
    app = site
    browser = signed_in(app, *ADMIN)
    answer = _send(browser, "cp-period", {"cp-regime": "NO-SUCH"})
    assert answer.status_code == 400
    assert "no report regime with code 'NO-SUCH'" in answer.get_data(as_text=True)
