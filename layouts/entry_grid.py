"""The figures grid shared by the entry and approvals pages: one row per indicator, per category
an entered value beside the previous period and the same period last year, cells marked
with the approver's comments, unusual-value flags or changes since the last submission."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import dash_ag_grid as dag
from dash import html

from ioc_app.web.i18n import number, t
from layouts.tables import table

if TYPE_CHECKING:
    from ioc_app.writeback.forms import FormLayout
    from ioc_app.writeback.problems import Problem

Cell = tuple[str, str]
MARK_KINDS = ("problem", "returned", "unusual", "changed")


@dataclass(frozen=True)
class Mark:
    """Why a cell is highlighted: kind is one of MARK_KINDS; text is shown as its tooltip."""

    kind: str
    text: str


def name_of(item, lang: str) -> str:
    """The Vietnamese or English name of a catalog row (indicator, category, regime, form)."""
    return (item.name_en if lang == "en" else item.name_vi) or item.name_vi


def day(value: date | None, lang: str) -> str:
    if value is None:
        return "–"
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.strftime("%d %b %Y")


def cell_label(layout: FormLayout, cell: Cell, lang: str) -> str:
    """'CODE Indicator name · Category' as a person reads it in the grid."""
    indicators = {row.code: row for row in layout.rows}
    categories = {column.code: column for column in layout.columns}
    row, column = cell
    indicator = indicators.get(row)
    category = categories.get(column)
    row_text = f"{row} {name_of(indicator, lang)}" if indicator else row
    column_text = name_of(category, lang) if category else column
    return f"{row_text} · {column_text}"


def figure_text(value: float | None, lang: str) -> str:
    """A figure as typed: whole numbers without decimals, others with two; empty as '–'."""
    return "–" if value is None else number(value, lang, 0 if float(value).is_integer() else 2)


def row_data(layout: FormLayout, values: Mapping[Cell, float | None], lang: str, *,
             history: Mapping[Cell, tuple[float | None, float | None]] | None = None,
             marks: Mapping[Cell, Sequence[Mark]] | None = None) -> list[dict]:
    """Rows of the grid; per category i the fields v{i} (value), p{i}/y{i} (previous period /
    same period last year, formatted), k{i} (css classes) and t{i} (tooltip)."""
    history, marks = history or {}, marks or {}
    rows = []
    for indicator in layout.rows:
        row = {"code": indicator.code, "name": name_of(indicator, lang), "uom": indicator.unit}
        for i, category in enumerate(layout.columns):
            cell = (indicator.code, category.code)
            previous, last_year = history.get(cell, (None, None))
            cell_marks = marks.get(cell, ())
            row[f"v{i}"] = values.get(cell)
            row[f"p{i}"] = "" if previous is None else figure_text(previous, lang)
            row[f"y{i}"] = "" if last_year is None else figure_text(last_year, lang)
            row[f"k{i}"] = " ".join(["entry-cell", "ag-right-aligned-cell"] + [f"entry-cell-{mark.kind}" for mark in cell_marks])
            row[f"t{i}"] = "\n".join(mark.text for mark in cell_marks)
        rows.append(row)
    return rows


def column_defs(layout: FormLayout, lang: str, editable: bool) -> list[dict]:
    columns: list[dict] = [
        {"headerName": t("entry_col_code", lang), "field": "code", "pinned": "left", "width": 110},
        {"headerName": t("entry_col_indicator", lang), "field": "name", "pinned": "left", "width": 300,
         "wrapText": True, "autoHeight": True, "cellClass": "entry-name"},
        {"headerName": t("entry_col_uom", lang), "field": "uom", "width": 95},
    ]
    for i, category in enumerate(layout.columns):
        columns.append({"headerName": name_of(category, lang), "marryChildren": True, "children": [
            {"headerName": t("entry_col_value", lang), "field": f"v{i}", "colId": f"v{i}", "editable": editable,
             "cellDataType": "number", "type": "rightAligned", "width": 130,
             "cellClass": {"function": f"params.data.k{i}"}, "tooltipField": f"t{i}"},
            {"headerName": t("entry_col_previous", lang), "field": f"p{i}", "type": "rightAligned",
             "width": 110, "cellClass": ["entry-history", "ag-right-aligned-cell"]},
            {"headerName": t("entry_col_last_year", lang), "field": f"y{i}", "type": "rightAligned",
             "width": 120, "cellClass": ["entry-history", "ag-right-aligned-cell"]},
        ]})
    return columns


def figures_grid(grid_id: str, layout: FormLayout, values: Mapping[Cell, float | None], lang: str, *,
                 editable: bool, history: Mapping[Cell, tuple[float | None, float | None]] | None = None,
                 marks: Mapping[Cell, Sequence[Mark]] | None = None) -> dag.AgGrid:
    """The grid; the page reads typed figures back from its `rowData` (values_from_rows)."""
    return dag.AgGrid(
        id=grid_id,
        columnDefs=column_defs(layout, lang, editable),
        rowData=row_data(layout, values, lang, history=history, marks=marks),
        getRowId="params.data.code",
        defaultColDef={"sortable": False, "resizable": True, "suppressMovable": True,
                       "suppressHeaderMenuButton": True, "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True,
                         "enterNavigatesVerticallyAfterEdit": True, "enableBrowserTooltips": True,
                         "domLayout": "autoHeight", "animateRows": False},
        className="entry-grid" + ("" if editable else " entry-grid-readonly"),
        style={"width": "100%"},
    )


def values_from_rows(layout: FormLayout, rows: Sequence[dict] | None) -> dict[Cell, float | None]:
    """The figures as the grid holds them now; an emptied cell is None, text that is not a
    number is passed on as it is so that validation names it."""
    by_code = {row.get("code"): row for row in rows or ()}
    values: dict[Cell, float | None] = {}
    for indicator in layout.rows:
        row = by_code.get(indicator.code, {})
        for i, category in enumerate(layout.columns):
            value = row.get(f"v{i}")
            values[(indicator.code, category.code)] = None if value in (None, "") else value
    return values


def problems_list(problems: Sequence[Problem], layout: FormLayout, lang: str, list_id: str) -> html.Div:
    """Blocking problems of typed figures, each naming its cell."""
    items = []
    for problem in problems:
        where = (cell_label(layout, (str(problem.row), str(problem.column)), lang)
                 if problem.row is not None and problem.column else str(problem.row or ""))
        items.append(html.Li([html.Strong(where + ": ") if where else None, problem.reason]))
    return html.Div([html.P(t("entry_problems_title", lang), className="entry-problems-title"),
                     html.Ul(items)], className="entry-problems", id=list_id, role="alert")


def upload_errors_table(problems: Sequence[Problem], lang: str, table_id: str) -> html.Div:
    """Every reason an uploaded file was refused, as file / sheet / row / column / reason."""
    rows = [{"file": p.file or "", "sheet": p.sheet or "", "row": "" if p.row is None else str(p.row),
             "column": p.column or "", "reason": p.reason} for p in problems]
    return html.Div([
        html.P(t("entry_upload_refused", lang, n=len(rows)), className="entry-problems-title", role="alert"),
        table(rows, [(key, t(f"entry_col_{key}", lang), None) for key in ("file", "sheet", "row", "column", "reason")],
              table_id, t("none", lang)),
    ], className="entry-problems")
