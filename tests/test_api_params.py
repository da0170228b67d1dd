"""Fuzzing the API's parameter parsing (hypothesis): any text in any parameter of any route
is either accepted or refused with ParameterProblem naming the parameter; nothing else."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from ioc_app.api import open311, qcvn125, v1
from ioc_app.api.params import ParameterProblem, parse

MODELS = sorted({route.params for route in (*v1.routes(), *qcvn125.routes(), *open311.routes())},
                key=lambda model: model.__name__)
TEXT = st.text(st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    ["", "0", "-1", "1e400", "2025-Q5", "2026-02-30", "9999-12-31T23:59:59+14:00", "open,closed,open", "'; DROP",
     "\x00", "１２", "٣", "a" * 5000])


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_text_is_accepted_or_refused_by_name(model, data):
    names = [*model.model_fields, "unknown_extra"]
    chosen = data.draw(st.dictionaries(st.sampled_from(names), TEXT, max_size=4))
    try:
        parse(model, MultiDict(chosen))
    except ParameterProblem as problem:
        assert problem.problems and all(name in names and reason for name, reason in problem.problems)


def test_repeated_parameter_is_named():
    with pytest.raises(ParameterProblem) as refused:
        parse(MODELS[0], MultiDict([("page", "1"), ("page", "2")]))
    assert refused.value.problems == [("page", "given more than once")]
