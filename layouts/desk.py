"""Building blocks shared by the desk views: titled panels, the page head with its breadcrumb,
and the chart settings (local topojson, PNG export)."""
from __future__ import annotations

from dash import html
from dash.development.base_component import Component

from ioc_app.clock import today_ict
from layouts.figures import TOPOJSON_URL

GRAPH_CONFIG = {"displaylogo": False, "topojsonURL": TOPOJSON_URL,
                "toImageButtonOptions": {"format": "png", "scale": 2}}
MAP_CONFIG = {**GRAPH_CONFIG, "scrollZoom": False}


def graph_config(name: str, base: dict = GRAPH_CONFIG) -> dict:
    """`base` with the PNG download (the modebar's camera, offline) named after the chart and the
    day, e.g. ioc_ind-series_2026-12-01.png instead of plotly's newplot.png."""
    return {**base, "toImageButtonOptions": {**base["toImageButtonOptions"],
                                             "filename": f"ioc_{name}_{today_ict():%Y-%m-%d}"}}


def panel(title: str | Component, *children, extra: str = "", actions: Component | None = None) -> html.Section:
    """A panel headed by `title` (a text, or a heading component built by the caller), with
    `actions` (e.g. its export buttons) at the right of the title."""
    heading = html.H2(title, className="ioc-panel-title") if isinstance(title, str) else title
    if actions is not None:
        heading = html.Div([heading, actions], className="ioc-panel-head")
    return html.Section([heading, *children], className=f"ioc-panel {extra}".strip())


def page_head(title: str, crumb_label: str, root_id: str, leaf_id: str, root_text: str | None = None) -> html.Div:
    """The page title and a two-step breadcrumb: a button back to the whole (`root_id`) and the
    chosen place (`leaf_id`), both filled by the page's callbacks."""
    return html.Div([
        html.H1(title, className="ioc-page-title"),
        html.Nav([html.Button(root_text, id=root_id, className="ioc-crumb"),
                  html.Span(id=leaf_id, className="ioc-crumb active")],
                 className="ioc-crumbs", **{"aria-label": crumb_label}),
    ], className="ioc-panel-head")
