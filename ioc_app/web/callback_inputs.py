"""Refuse a forged callback request before the callback runs.

Each callback's parameters are annotated with what its component properties send (a store's
`str | None`, a click count's `int | None`, a map's click `dict | None`). The page's own
components never send anything else, so a value of another type comes from a forged request:
it is answered 400 naming the component property, the type expected and the type sent, instead
of a 500 from deep inside the callback. A refusal that only the domain can make (a forged
regime or report code) is raised by the callback as a WritebackError and answered 400 with its
message. Parameters named with a leading underscore are triggers whose value is never read.
"""
from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from dash import Dash
from flask import Flask, Response, request
from pydantic import TypeAdapter, ValidationError
from werkzeug.exceptions import BadRequest

from ioc_app.errors import WritebackError

DISPATCH_PATH = "/_dash-update-component"


class ForgedInput(BadRequest):
    """A callback input whose value cannot have come from the page."""


@dataclass(frozen=True)
class _Slot:
    name: str
    declared: str  # the annotation as written, for the message
    adapter: TypeAdapter | None  # None: a trigger (`_name`), never read, or no type declared (refused)
    variadic: bool


def _slots(func: Callable[..., Any]) -> list[_Slot]:
    hints = typing.get_type_hints(func)
    slots = []
    for p in inspect.signature(func).parameters.values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL):
            continue
        checked = not p.name.startswith("_") and p.name in hints
        slots.append(_Slot(p.name, str(p.annotation), _adapter(hints[p.name]) if checked else None,
                           p.kind is p.VAR_POSITIONAL))
    return slots


def checker(func: Callable[..., Any]) -> Callable[[Sequence[Any], Sequence[str]], None]:
    """A check of positional values, named by `labels`, against `func`'s annotations; raises ForgedInput.
    A parameter whose value is read but whose type is not declared is a TypeError here, at start-up."""
    slots = _slots(func)
    untyped = [s.name for s in slots if s.adapter is None and not s.name.startswith("_")]
    if untyped:
        raise TypeError(f"{func.__module__}.{func.__qualname__}: no type declared for {', '.join(untyped)}")

    def check(values: Sequence[Any], labels: Sequence[str]) -> None:
        for index, value in enumerate(values):
            slot = slots[min(index, len(slots) - 1)] if slots else None
            if slot is None or (index >= len(slots) and not slot.variadic):
                raise ForgedInput(f"{func.__name__}: {len(values)} inputs sent, {len(slots)} expected")
            if slot.adapter is None:
                continue
            _refuse_unless(slot.adapter, value, labels[index] if index < len(labels) else slot.name, slot.declared)
    return check


def _refuse_unless(adapter: TypeAdapter, value: Any, label: str, declared: str) -> None:
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError:
        raise ForgedInput(f"{label}: expected {declared}, got {type(value).__name__}") from None


@lru_cache
def _adapter(annotation: Any) -> TypeAdapter:
    return TypeAdapter(annotation)


def check_value(value: Any, annotation: Any, label: str) -> None:
    """Raise ForgedInput unless `value` (of the component property `label`) is of type `annotation`."""
    _refuse_unless(_adapter(annotation), value, label, getattr(annotation, "__name__", str(annotation)))


def _guarded(dispatch: Callable[..., Any], labels: list[str]) -> Callable[..., Any]:
    check = checker(dispatch.__wrapped__)

    @wraps(dispatch)
    def run(*values: Any, **context: Any) -> Any:
        check(values, labels)
        return dispatch(*values, **context)
    return run


def install_callback_inputs(server: Flask, *apps: Dash) -> None:
    """Check the inputs of every server-side callback of `apps` (call it once all are registered);
    a callback request refused (ForgedInput, or a WritebackError from the callback) is answered 400
    with the reason as plain text."""
    for app in apps:
        for entry in app.callback_map.values():
            if "callback" not in entry:  # clientside
                continue
            labels = [f"{d['id']}.{d['property']}" for d in [*entry["inputs"], *entry["state"]]]
            entry["callback"] = _guarded(entry["callback"], labels)

    def refused(exc: Exception) -> Response:
        if not request.path.endswith(DISPATCH_PATH):
            raise exc
        message = exc.description if isinstance(exc, ForgedInput) else str(exc)
        return Response(message, status=400, mimetype="text/plain")

    server.register_error_handler(ForgedInput, refused)
    server.register_error_handler(WritebackError, refused)
