"""What a citizen sees of published figures: key-figure tiles, the trend across the reform, the
commune map, the table, and under each the publication date, the data date and the source (R-30).

Built from rows of published values only (ioc_app.publishing.public_store, or one proposal's
values for the editor's preview), so the preview and the public page cannot differ."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_date, get_month_names
from dash import dcc, html

from ioc_app.queries.overview import REFORM_DATE
from ioc_app.web.i18n import LOCALES, number, percent, t
from layouts.desk import graph_config
from layouts.figures import MAP_SCALE, base_layout, geo_frame, series_layout

INK, MUTED_INK, GRID_LIGHT = "#1b2a41", "#4a5a75", "#dde3ec"
LINE, REFORM = "#0072b2", "#d55e00"  # Okabe-Ito blue and vermillion: readable on white
ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def period_label(period: str, lang: str) -> str:
    """'2025-Q3' -> 'Quý III/2025' / 'Q3 2025'; '2025-03' -> 'Tháng 3/2025' / 'March 2025'."""
    year, _, part = period.partition("-")
    if not part:
        return t("pub_year", lang, y=year)
    if part.startswith("Q"):
        return t("pub_quarter", lang, q=ROMAN.get(part[1:], part[1:]), n=part[1:], y=year)
    if part.startswith("H"):
        return t("pub_half", lang, h=t(f"pub_half_{part[1:]}", lang), n=part[1:], y=year)
    if part.isdigit():
        month = int(part)
        return t("pub_month", lang, m=month, y=year, month=get_month_names(locale=LOCALES[lang])[month])
    return period


def day(value: date | datetime | None, lang: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    return format_date(value, "dd/MM/yyyy" if lang == "vi" else "d MMM yyyy", locale=LOCALES[lang])


def indicator_name(row: dict | pd.Series, lang: str) -> str:
    return row["name_vi"] if lang == "vi" else row["name_en"]


def _value(row: dict | pd.Series, lang: str) -> str:
    return number(row["value"], lang, int(row["digits"]))


def source_line(row: dict | pd.Series, lang: str, province: str) -> str:
    """'Published on … · data as of … · Source: units (approved reports, compiled by the IOC)'."""
    named = row["source_units"] or "–"
    others = int(row["source_count"]) - len([u for u in str(row["source_units"]).split("; ") if u])
    units = t("pub_source_more", lang, units=named, n=number(others, lang)) if others > 0 else named
    published = row.get("published_at")
    when = t("pub_published_on", lang, day=day(published, lang)) if published is not None and not pd.isna(published) \
        else t("pubm_status_proposed", lang)
    return " · ".join([when, t("pub_as_of", lang, day=day(row["approved_at"], lang)),
                       t("pub_source", lang, units=units) + f" ({t('pub_source_tail', lang, province=province)})"])


def _year_before(rows: pd.DataFrame, row: pd.Series) -> pd.Series | None:
    start = pd.Timestamp(row["period_start"]) - pd.DateOffset(years=1)
    found = rows[(rows["period_type"] == row["period_type"]) & (pd.to_datetime(rows["period_start"]) == start)]
    return None if found.empty else found.iloc[0]


def tiles(province_rows: pd.DataFrame, selected: str | None, lang: str, province: str) -> list:
    """One button per published indicator: its newest province figure against a year earlier."""
    buttons = []
    for code, rows in province_rows.groupby("indicator_code", sort=True):
        rows = rows.sort_values("period_start")
        latest = rows.iloc[-1]
        before = _year_before(rows, latest)
        if before is None or not before["value"]:
            change = t("pub_no_last_year", lang)
        else:
            change = t("pub_same_last_year", lang, change=percent(latest["value"] / before["value"] - 1, lang,
                                                                  signed=True))
        buttons.append(html.Button([
            html.Span(indicator_name(latest, lang), className="pub-tile-name"),
            html.Span([_value(latest, lang), html.Span(latest["unit"], className="pub-tile-unit")],
                      className="pub-tile-value"),
            html.Span(f"{period_label(latest['period'], lang)} · {change}", className="pub-tile-sub"),
        ], id={"type": "pub-tile", "code": code}, className="pub-tile" + (" active" if code == selected else ""),
            title=source_line(latest, lang, province), **{"aria-pressed": "true" if code == selected else "false"}))
    return buttons


def trend_figure(province_rows: pd.DataFrame, lang: str, size: int) -> go.Figure:
    rows = province_rows.sort_values("period_start")
    labels = [period_label(p, lang) for p in rows["period"]]
    unit = rows["unit"].iloc[0] if len(rows) else ""
    digits = int(rows["digits"].iloc[0]) if len(rows) else 0
    figure = go.Figure(go.Scatter(
        x=pd.to_datetime(rows["period_start"]), y=rows["value"], mode="lines+markers", customdata=labels,
        line=dict(color=LINE, width=3), marker=dict(size=8),
        hovertemplate="%{customdata}: %{y:,." + str(digits) + "f} " + unit + "<extra></extra>"))
    figure.add_vline(x=pd.Timestamp(REFORM_DATE).timestamp() * 1000, line_dash="dot", line_color=REFORM,
                     annotation_text=t("pub_reform", lang), annotation_font_color=REFORM,
                     annotation_position="top left")
    return light(series_layout(figure, lang, size, "%m/%Y" if lang == "vi" else "%b %Y"))


def map_figure(geojson: dict, commune_rows: pd.DataFrame, lang: str, size: int) -> go.Figure:
    unit = commune_rows["unit"].iloc[0]
    digits = int(commune_rows["digits"].iloc[0])
    figure = go.Figure(go.Choropleth(
        geojson=geojson, featureidkey="id", locations=commune_rows["area_code"], z=commune_rows["value"],
        text=commune_rows["area_name"], colorscale=MAP_SCALE, marker_line_color="#ffffff", marker_line_width=0.5,
        hovertemplate="<b>%{text}</b><br>%{z:,." + str(digits) + "f} " + unit + "<extra></extra>",
        colorbar=dict(thickness=size, len=0.8, outlinewidth=0, tickformat=",~r", title=dict(text=unit))))
    geo_frame(figure)
    figure.update_layout(margin=dict(l=0, r=0, t=0, b=0))
    return light(base_layout(figure, lang, size))


def light(figure: go.Figure) -> go.Figure:
    """The public page is light: dark ink, light grid."""
    figure.update_layout(font_color=INK)
    figure.update_xaxes(gridcolor=GRID_LIGHT, linecolor=GRID_LIGHT)
    figure.update_yaxes(gridcolor=GRID_LIGHT, linecolor=GRID_LIGHT)
    return figure


def table_rows(rows: pd.DataFrame, period: str, lang: str) -> pd.DataFrame:
    """The table under the charts: in a period with commune figures, the province first and then its
    communes by name; for an indicator published for the province only, its figure in every period."""
    in_period = rows[rows["period"] == period]
    if (in_period["level"] == "commune").any():
        ordered = in_period.assign(_p=in_period["level"] != "province").sort_values(["_p", "area_name"])
        first = [t("pub_whole", lang) if level == "province" else name
                 for level, name in zip(ordered["level"], ordered["area_name"])]
        head = t("pub_area", lang)
    else:
        ordered = rows[rows["level"] == "province"].sort_values("period_start", ascending=False)
        first, head = [period_label(p, lang) for p in ordered["period"]], t("pub_period", lang)
    return pd.DataFrame({head: first, t("pub_value", lang): ordered["value"].tolist()})


def values_table(rows: pd.DataFrame, period: str, lang: str, table_id: str) -> html.Table:
    frame = table_rows(rows, period, lang)
    digits, unit = int(rows["digits"].iloc[0]), rows["unit"].iloc[0]
    head = html.Thead(html.Tr([html.Th(frame.columns[0], scope="col"),
                               html.Th(f"{t('pub_value', lang)} ({unit})", scope="col", className="pub-num")]))
    body = html.Tbody([html.Tr([html.Td(first), html.Td(number(value, lang, digits), className="pub-num")])
                       for first, value in frame.itertuples(index=False)])
    return html.Table([head, body], className="pub-table", id=table_id)


def figure_view(rows: pd.DataFrame, period: str, lang: str, size: int, geojson: dict, approximate: bool,
                province: str, prefix: str) -> list:
    """Trend, map (when communes are published for the period) and table of one indicator, each
    with its source line; `rows` are that indicator's published rows (all periods, all levels)."""
    province_rows = rows[rows["level"] == "province"]
    in_period = rows[rows["period"] == period]
    if province_rows.empty or in_period.empty:
        return [html.P(t("pub_nothing", lang), className="pub-note")]
    latest = in_period.iloc[0]
    name = indicator_name(latest, lang)
    code = latest["indicator_code"]
    communes = in_period[in_period["level"] == "commune"]

    def config(what: str) -> dict:
        return graph_config(f"{code}_{period}_{what}")

    def panel(title: str, body, note: str, extra: str = "") -> html.Section:
        return html.Section([html.H3(title, className="pub-panel-title"), body,
                             html.P(note, className="pub-note")], className=f"pub-panel {extra}".strip())

    trend_note = source_line(province_rows.sort_values("period_start").iloc[-1], lang, province)
    parts = [html.H2([name, html.Span(f" · {period_label(period, lang)}", className="pub-muted")],
                     className="pub-view-title", id=f"{prefix}-view-title"),
             panel(t("pub_trend", lang), dcc.Graph(id=f"{prefix}-trend", figure=trend_figure(province_rows, lang, size),
                                                   config=config("trend"), className="pub-chart"), trend_note)]
    table_title = t("pub_table", lang)
    if communes.empty:
        parts[-1].className += " pub-wide"
        table_title += " · " + t("pub_map_none", lang)
    else:
        note = source_line(latest, lang, province) + (" · " + t("pub_approximate", lang) if approximate else "")
        parts.append(panel(t("pub_map", lang, period=period_label(period, lang)),
                           dcc.Graph(id=f"{prefix}-map", figure=map_figure(geojson, communes, lang, size),
                                     config={**config("map"), "scrollZoom": False}, className="pub-map"), note))
        table_title += f" · {period_label(period, lang)}"
    parts.append(panel(table_title, html.Div(values_table(rows, period, lang, f"{prefix}-table"), className="pub-scroll"),
                       source_line(latest, lang, province), "pub-panel-table"))
    return parts
