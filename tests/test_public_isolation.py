"""The public dashboard reveals published figures only, whatever a request asks for.

Every callback of the public Dash app is sent forged inputs (unpublished indicator codes, an
unpublished period, forged tile ids, both languages); no answer may name an unpublished
indicator or period. A control request proves the same oracle sees a published figure. The
signed-in app's endpoints answer nothing without a session."""
from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request

import pytest

from ioc_app.config import load_settings
from ioc_app.lake import connect
from ioc_app.queries import indicators as iq
from tests.public_fixtures import NEVER_PUBLISHED_PERIOD, PERIODS, PROPOSED, PUBLISHED, REJECTED, UNPUBLISHED, \
    publish_demo_sets

BROWSER_FLOW = "DS01"  # proposed, published and unpublished again by tests/test_browser_public.py


@pytest.fixture(scope="module")
def published(demo):
    return publish_demo_sets(demo)


@pytest.fixture(scope="module")
def catalog(demo):
    with connect(load_settings(demo.config), read_only=True) as con:
        con.execute("USE lake")
        return iq.catalog(con)


def _request(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _readable(text: str) -> str:
    """The answer with JSON escapes undone, so a Vietnamese name is found however it was encoded."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def _outputs(output: str) -> list[dict] | dict:
    def one(part: str) -> dict:
        name, _, prop = part.rpartition(".")
        return {"id": json.loads(name) if name.startswith("{") else name, "property": prop}

    if output.startswith(".."):
        return [one(part) for part in output.strip(".").split("...")]
    return one(output)


FORGED = {
    ("pub-url", "search"): ["?lang=vi", "?lang=en", "?lang=xx"],
    ("pub-lang", "data"): ["vi", "en"],
    ("pub-viewport", "data"): [1440, 390],
    ("pub-export", "n_clicks"): [1],
}


def _candidates(dep: dict, codes: list[str], periods: list[str]) -> list[list[dict]]:
    """Every combination of forged values for the callback's inputs and states."""
    slots = []
    for item in dep["inputs"] + dep["state"]:
        key = (item["id"], item["property"])
        if item["id"].startswith("{"):  # the tiles: forged ids naming any code
            slots.append([[{"id": {"type": "pub-tile", "code": code}, "property": item["property"], "value": 1}]
                          for code in codes])
        elif key == ("pub-code", "value"):
            slots.append([{**item, "value": code} for code in codes])
        elif key == ("pub-period", "value"):
            slots.append([{**item, "value": period} for period in periods])
        else:
            slots.append([{**item, "value": value} for value in FORGED.get(key, [None])])
    return [list(combo) for combo in itertools.product(*slots)]


def _call(server, dep: dict, values: list[dict]) -> tuple[int, str]:
    n_inputs = len(dep["inputs"])
    inputs, state = values[:n_inputs], values[n_inputs:]
    changed = [f"{json.dumps(v[0]['id']) if isinstance(v, list) else v['id']}.{dep['inputs'][i]['property']}"
               for i, v in enumerate(inputs)]
    body = {"output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": inputs, "state": state,
            "changedPropIds": changed}
    return _request(server.url + "/public/_dash-update-component", body)


def _forbidden(catalog) -> dict[str, list[str]]:
    hidden = catalog[~catalog["indicator_code"].isin([*PUBLISHED, BROWSER_FLOW])]
    return {row["indicator_code"]: [row["indicator_code"], row["name_vi"], row["name_en"]]
            for _, row in hidden.iterrows()}


def test_forged_public_callbacks_reveal_nothing_unpublished(server, published, catalog):
    status, text = _request(server.url + "/public/_dash-dependencies")
    assert status == 200
    deps = json.loads(text)
    assert {dep["output"].strip(".").split(".")[0] for dep in deps} >= {"pub-page", "pub-view", "pub-download"}
    forbidden = _forbidden(catalog)
    assert {PROPOSED, REJECTED, UNPUBLISHED} <= forbidden.keys()
    codes = [PROPOSED, REJECTED, UNPUBLISHED, "ZZ99", "'; DROP TABLE publications; --", *PUBLISHED]
    periods = [NEVER_PUBLISHED_PERIOD, PERIODS[-1], "2024", None]
    hidden_period = [NEVER_PUBLISHED_PERIOD, "Quý IV/2024", "Q4 2024", "2024-10-01"]
    answers = 0
    for dep in deps:
        if "function" in json.dumps(dep.get("clientside_function") or ""):
            continue
        for values in _candidates(dep, codes, periods):
            status, text = _call(server, dep, values)
            assert status in (200, 204), (dep["output"], values, status, text[:300])
            seen = _readable(text)
            for code, words in forbidden.items():
                leaked = [word for word in words if word in seen]
                assert not leaked, f"{dep['output']} with {values} revealed unpublished {code}: {leaked}"
            assert not [word for word in hidden_period if word in seen], (dep["output"], values)
            answers += 1
    assert answers > 50

    # the control: the same oracle finds a published figure, so the checks above can fail
    show = next(dep for dep in deps if dep["output"] == "pub-view.children")
    values = [{"id": "pub-code", "property": "value", "value": "NN01"},
              {"id": "pub-period", "property": "value", "value": "2026-Q3"},
              {"id": "pub-lang", "property": "data", "value": "vi"},
              {"id": "pub-viewport", "property": "data", "value": 1440}]
    status, text = _call(server, show, values)
    assert status == 200 and "Sản lượng lúa" in _readable(text) and "Quý III/2026" in _readable(text)


def test_public_app_cannot_run_the_signed_in_apps_callbacks(server, published):
    body = {"output": "..ind-crumb-province.children...ind-kpis.children..",
            "outputs": [{"id": "ind-crumb-province", "property": "children"},
                        {"id": "ind-kpis", "property": "children"}],
            "inputs": [{"id": "ind-code", "property": "value", "value": PROPOSED}], "state": [],
            "changedPropIds": ["ind-code.value"]}
    status, text = _request(server.url + "/public/_dash-update-component", body)
    assert status >= 400 and "Sản lượng" not in _readable(text)
    status, _ = _request(server.url + "/public/_dash-update-component", body, {"Content-Type": "text/plain"})
    assert status == 403


@pytest.mark.parametrize("path", ["/_dash-layout", "/_dash-dependencies"])
def test_signed_in_app_needs_a_session(server, path):
    assert _request(server.url + path)[0] == 401


def test_signed_in_callbacks_and_pages_need_a_session(server, published):
    body = {"output": "pm-list.children", "outputs": {"id": "pm-list", "property": "children"},
            "inputs": [{"id": "pm-changed", "property": "data", "value": 1},
                       {"id": "url", "property": "pathname", "value": "/publishing"}],
            "state": [], "changedPropIds": ["pm-changed.data"]}
    status, text = _request(server.url + "/_dash-update-component", body)
    assert status == 401 and PROPOSED not in text

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    for path in ("/", "/indicators", "/publishing", "/publicity"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(server.url + path, timeout=30)
        assert caught.value.code == 302 and caught.value.headers["Location"].startswith("/login")
    for path in ("/public", "/public/", "/public/?lang=en"):
        with urllib.request.urlopen(server.url + path, timeout=30) as response:
            assert response.status == 200 and response.url.startswith(server.url + "/public/")
