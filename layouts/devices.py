"""PLACEHOLDER: replaced by the devices page."""
from __future__ import annotations

from dash import html

ROLES = ("leader", "dept_head", "approver", "unit_admin", "admin")


def layout(lang: str) -> html.Div:
    return html.Div()


def register(app, settings, cache, lang_of) -> None:
    return None
