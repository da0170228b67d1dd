"""KPI tiles shared by the overview and the wall."""
from __future__ import annotations

from dash import html


def tile(label: str, value: str, sub: str, tone: str = "", tile_id: str = "", unit: str = "") -> html.Div:
    """A labelled figure with a line under it; tone: '', 'ioc-good', 'ioc-warn' or 'ioc-alert'."""
    return html.Div([
        html.Div(label, className="ioc-kpi-label"),
        html.Div([value, html.Span(unit, className="ioc-kpi-unit") if unit else None], className="ioc-kpi-value"),
        html.Div(sub, className="ioc-kpi-sub"),
    ], className=f"ioc-kpi {tone}".strip(), id=tile_id, role="group")
