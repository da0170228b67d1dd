"""Plain accessible HTML tables for the desk views.

Dash 4's renderer takes time that grows with the square of the number of components an answer
holds: a table of 100 rows x 7 cells took 3 s to appear, 400 rows 50 s (`python -m bench.table_render`,
docs/performance.md). A table whose cells hold only text and plain markup is therefore sent as
one `dcc.Markdown` of escaped HTML, which appears in under a second; a table with something to
click or type in (a component with an id, a button, a link Dash routes) stays components.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from dash import dcc, html
from dash.development.base_component import Component
from plotly.utils import PlotlyJSONEncoder

Cell = Callable[[Any], Any]

_ATTRIBUTES = {"className": "class", "title": "title", "scope": "scope", "colSpan": "colspan",
               "rowSpan": "rowspan", "lang": "lang", "dir": "dir", "role": "role", "headers": "headers"}
_VOID = {"br", "hr", "wbr"}
_TAGS = {"Table", "Thead", "Tbody", "Tr", "Th", "Td", "Span", "Code", "Strong", "Em", "B", "I", "Small", "Abbr",
         "Time", "Div", "P", "Ul", "Ol", "Li", "Br", "Wbr", "Sup", "Sub", "Mark", "S", "Del", "Ins", "Bdi"}


TABLE_CLASS = "table table-sm ioc-table"


class _NotStatic(Exception):
    """The value holds something the browser must handle as a Dash component."""


def _scalar(value: Any) -> str:
    """A value as the Dash renderer would print it (it goes through JSON, then React)."""
    if type(value) is str:  # most cells: already what JSON would give back
        return escape(value)
    value = json.loads(json.dumps(value, cls=PlotlyJSONEncoder))
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        return escape(str(value))
    raise _NotStatic


def _markup(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "".join(_markup(item) for item in value)
    if not isinstance(value, Component):
        return _scalar(value)
    if value._namespace != "dash_html_components" or value._type not in _TAGS:
        raise _NotStatic
    props = value.to_plotly_json()["props"]
    attributes = []
    for name, prop in props.items():
        if name == "children" or prop is None:
            continue
        attribute = _ATTRIBUTES.get(name) or (name if name.startswith(("aria-", "data-")) else None)
        if attribute is None:
            raise _NotStatic
        attributes.append(f' {attribute}="{escape(str(prop), quote=True)}"')
    tag = value._type.lower()
    if tag in _VOID:
        return f"<{tag}{''.join(attributes)}>"
    return f"<{tag}{''.join(attributes)}>{_markup(props.get('children'))}</{tag}>"


def table(rows: Sequence[dict], columns: Sequence[tuple[str, str, Cell | None]], table_id: str,
          empty: str, row_class: Callable[[dict], str] | None = None) -> html.Table | html.P | dcc.Markdown:
    """columns: (key, header, formatter or None); rows: dicts keyed like the columns."""
    if not rows:
        return html.P(empty, className="ioc-note", id=table_id)
    cells = [[fmt(row[key]) if fmt else row[key] for key, _, fmt in columns] for row in rows]
    classes = [row_class(row) if row_class else None for row in rows]
    try:
        markup = _table_markup([header for _, header, _ in columns], cells, classes)
    except _NotStatic:
        head = html.Thead(html.Tr([html.Th(header, scope="col") for _, header, _ in columns]))
        body = html.Tbody([html.Tr([html.Td(cell) for cell in row], className=cls) for row, cls in zip(cells, classes)])
        return html.Table([head, body], className=TABLE_CLASS, id=table_id)
    return dcc.Markdown(markup, dangerously_allow_html=True, id=table_id, className="ioc-table-wrap")


def _table_markup(headers: list[str], cells: list[list[Any]], classes: list[str | None]) -> str:
    """The table as escaped HTML, written directly: building a component per cell first took most
    of a big table's time (500 rows x 7 cells: about 0.1 s)."""
    head = "".join(f'<th scope="col">{_markup(header)}</th>' for header in headers)
    body = "".join(
        (f'<tr class="{escape(cls, quote=True)}">' if cls else "<tr>")
        + "".join(f"<td>{_markup(cell)}</td>" for cell in row) + "</tr>"
        for row, cls in zip(cells, classes))
    return f'<table class="{TABLE_CLASS}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
