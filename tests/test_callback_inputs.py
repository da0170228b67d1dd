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
from tests.conftest import ADMIN, LEADER, signed_in


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


def _send(browser, output: str, inputs: list[tuple[str, str, object]], state: list[tuple[str, str, object]]):
    def items(listed):
        return [{"id": name, "property": prop, "value": value} for name, prop, value in listed]
    parts = [part.strip(".").rsplit(".", 1) for part in output.split("...")]
    outputs = [{"id": name, "property": prop} for name, prop in parts]
    return browser.post("/_dash-update-component", headers={"Origin": "http://localhost"}, json={
        "output": output, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": items(inputs),
        "state": items(state), "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"]})


def _output_of(browser, first: str) -> str:
    return next(c["output"] for c in browser.get("/_dash-dependencies").get_json()
                if c["output"].strip(".").startswith(first + "."))


def test_the_server_answers_a_forged_store_with_400_and_a_real_one_with_200(site):
    app = site
    browser = signed_in(app, *LEADER)
    output = _output_of(browser, "dv-crumb-camera")
    forged = _send(browser, output, [("dv-camera", "data", {"unit": "X"}), ("dv-viewport", "data", 1440)], [])
    assert forged.status_code == 400
    assert "dv-camera.data: expected str | None, got dict" in forged.get_data(as_text=True)
    real = _send(browser, output, [("dv-camera", "data", None), ("dv-viewport", "data", 1440)], [])
    assert real.status_code == 200


def test_a_forged_regime_gets_the_write_back_refusal_as_400(site):
    app = site
    browser = signed_in(app, *ADMIN)
    answer = _send(browser, "..cp-period.options...cp-period.value..", [("cp-regime", "value", "NO-SUCH")], [])
    assert answer.status_code == 400
    assert "no report regime with code 'NO-SUCH'" in answer.get_data(as_text=True)
