"""Plain accessible HTML tables for the desk views."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dash import html

Cell = Callable[[Any], Any]


def table(rows: Sequence[dict], columns: Sequence[tuple[str, str, Cell | None]], table_id: str,
          empty: str, row_class: Callable[[dict], str] | None = None) -> html.Table | html.P:
    """columns: (key, header, formatter or None); rows: dicts keyed like the columns."""
    if not rows:
        return html.P(empty, className="ioc-note", id=table_id)
    head = html.Thead(html.Tr([html.Th(header, scope="col") for _, header, _ in columns]))
    body = html.Tbody([
        html.Tr([html.Td(fmt(row[key]) if fmt else row[key]) for key, _, fmt in columns],
                className=row_class(row) if row_class else None)
        for row in rows
    ])
    return html.Table([head, body], className="table table-sm ioc-table", id=table_id)
