"""PLACEHOLDER: replaced by the audit page."""
from __future__ import annotations

from dash import html

ROLES = ("admin",)


def layout(lang: str) -> html.Div:
    return html.Div()


def register(app, settings, cache, lang_of) -> None:
    return None
