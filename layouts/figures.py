"""Figure helpers shared by the desk pages and the wall: theme, text size, the commune map."""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

# Served by the app: plotly.js would otherwise fetch its base map from a CDN.
TOPOJSON_URL = "/assets/topojson/"
# Colour-blind safe: cividis for the map, Okabe-Ito colours for series.
MAP_SCALE = "Cividis"
BLUE, GREEN, ORANGE, VERMILLION, PURPLE = "#56b4e9", "#009e73", "#e69f00", "#d55e00", "#cc79a7"
BAND = "rgba(86, 180, 233, 0.25)"  # BLUE, translucent: the range of many stations' series
ALERT = "#ff7a3d"  # a brighter vermillion: outlines the places of alerts on the dark maps
ALERT_BAND = "rgba(255, 122, 61, 0.3)"  # ALERT, translucent
GRID = "#24324a"
TEXT = "#e6edf7"
MUTED = "#9fb0cc"
OUTLINE = "#0b1220"


def font_px(viewport_width: int | None) -> int:
    """Chart text size for the screen: 12 px on a laptop, 16 on 1920 wide, 33 on a 4K wall."""
    return max(12, min(40, round((viewport_width or 1440) * 0.0085)))


def base_layout(figure: go.Figure, lang: str, size: int) -> go.Figure:
    figure.update_layout(
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font=dict(family="Be Vietnam Pro, system-ui, sans-serif", color=TEXT, size=size),
        separators=",." if lang == "vi" else ".,",
    )
    return figure


def series_layout(figure: go.Figure, lang: str, size: int, date_format: str,
                  source: str | None = None) -> go.Figure:
    """A time series with one hover box per date; `source` (where the numbers come from, as of when)
    is printed once under the date at the head of that box."""
    figure.update_layout(margin=dict(l=4 * size, r=size, t=size // 2, b=2 * size), hovermode="x unified",
                         legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    figure.update_xaxes(gridcolor=GRID, zeroline=False, tickformat=date_format)
    if source:
        figure.update_xaxes(unifiedhovertitle_text=f"%{{x|{date_format}}}{_source_line(source)}")
    figure.update_yaxes(gridcolor=GRID, zeroline=False, tickformat=",~r")
    return base_layout(figure, lang, size)


def _source_line(source: str) -> str:
    """The line naming a number's source and as-of time, to end a hover text."""
    return f"<br><span style='font-size:0.85em'>{source}</span>"


def with_source(hovertemplate: str, source: str) -> str:
    """`hovertemplate` with the source line under the value (before plotly's <extra> part)."""
    extra = "<extra></extra>"
    return hovertemplate.removesuffix(extra) + _source_line(source) + (extra if hovertemplate.endswith(extra) else "")


def commune_outline(shapes: str | dict, codes: Iterable[str], line_color: str, width: float,
                    fill: str = "rgba(0,0,0,0)") -> go.Choropleth:
    """Communes drawn as outlines only (no colour scale): the base of point maps, or a highlight.
    `shapes` is the communes' GeoJSON or its URL (ioc_app.web.commune_shapes)."""
    codes = list(codes)
    return go.Choropleth(
        geojson=shapes, featureidkey="id", locations=codes, z=[0] * len(codes),
        colorscale=[[0, fill], [1, fill]], showscale=False, marker_line_color=line_color,
        marker_line_width=width, hoverinfo="skip",
    )


def map_figure(shapes: str | dict, data: pd.DataFrame, metric: str, lang: str, size: int,
               highlight: Iterable[str] = ()) -> go.Figure:
    """Choropleth of one metric per commune; `highlight` codes get a thick alert outline.
    `shapes` is the communes' GeoJSON or its URL (ioc_app.web.commune_shapes)."""
    figure = go.Figure(go.Choropleth(
        geojson=shapes, featureidkey="id", locations=data["code"], z=data[metric],
        text=data["name"], colorscale=MAP_SCALE, marker_line_color=OUTLINE, marker_line_width=0.6,
        hovertemplate="<b>%{text}</b><br>%{z:,}<extra></extra>",
        colorbar=dict(thickness=size, len=0.7, outlinewidth=0, tickformat=",d",
                      # small counts: one tick per whole number instead of repeated rounded labels
                      dtick=1 if data[metric].max() <= 6 else None),
    ))
    highlight = [code for code in highlight if code in set(data["code"])]
    if highlight:
        figure.add_trace(commune_outline(shapes, highlight, ALERT, max(2.0, size / 5)))
    geo_frame(figure)
    figure.update_layout(margin=dict(l=0, r=0, t=0, b=0), uirevision=metric)
    return base_layout(figure, lang, size)


def geo_frame(figure: go.Figure) -> go.Figure:
    """Our own GeoJSON on a hidden mercator projection: no base map, no tiles."""
    figure.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    return figure
