"""Routes of /api/v1: approved figures and their submissions, catalogs, ticket statistics."""
from __future__ import annotations

from datetime import timedelta

from ioc_app.api import schemas as s
from ioc_app.api.core import Answer, Ctx, Route, bad_parameter, forbidden, records
from ioc_app.api.params import (MAX_TICKET_DAYS, AreasQuery, FiguresQuery, IndicatorsQuery, NoParams, Paged,
                                SourcesQuery, TicketStatsQuery, period_bounds)
from ioc_app.queries import api as q
from ioc_app.queries import indicators as indicator_queries

BASE = "/api/v1"


def page_of(params: Paged) -> q.Page:
    return q.Page(params.page_size, (params.page - 1) * params.page_size)


def check_known(ctx: Ctx, kind: str, name: str, code: str | None) -> None:
    if code is not None and not q.known(ctx.con, kind, code):
        raise bad_parameter(name, f"unknown {kind} code {code!r}")


def check_area(ctx: Ctx, name: str, area_key: str | None) -> None:
    """400 for an area that is not a current area of the province, 403 for one outside the caller's scope."""
    if area_key is None:
        return
    if q.area_level(ctx.con, ctx.scope.province_code, area_key) is None:
        raise bad_parameter(name, f"unknown area {area_key!r} (a current commune or the province, see {BASE}/areas)")
    if ctx.scope.area_keys is not None and area_key not in ctx.scope.area_keys:
        raise forbidden(f"area {area_key!r} is outside the areas this token's user may read")


def figures(ctx: Ctx, p: FiguresQuery) -> Answer:
    if p.period and (p.period_from or p.period_to):
        raise bad_parameter("period", "give either period or period_from/period_to")
    start = period_bounds(p.period_from)[0] if p.period_from else None
    end = period_bounds(p.period_to)[1] if p.period_to else None
    if start and end and start > end:
        raise bad_parameter("period_from", f"starts after period_to ends ({end})")
    check_known(ctx, "indicator", "indicator", p.indicator)
    check_known(ctx, "category", "category", p.category)
    check_known(ctx, "sector", "sector", p.sector)
    check_area(ctx, "area", p.area)
    if p.level == "province" and ctx.scope.area_keys is not None:
        raise forbidden("province figures are outside the areas this token's user may read")
    rows, total = q.figures(ctx.con, ctx.scope, q.FigureFilter(p.indicator, p.period, start, end, p.area, p.level,
                                                               p.category, p.sector), page_of(p))
    return Answer(records(rows), total)


def figure_sources(ctx: Ctx, p: SourcesQuery) -> Answer:
    check_known(ctx, "indicator", "indicator", p.indicator)
    check_known(ctx, "category", "category", p.category)
    check_area(ctx, "area", p.area)
    return Answer(records(indicator_queries.sources(ctx.con, ctx.scope, p.area, p.indicator, p.period, p.category)))


def indicators(ctx: Ctx, p: IndicatorsQuery) -> Answer:
    check_known(ctx, "sector", "sector", p.sector)
    rows, total = q.indicators(ctx.con, page_of(p), p.sector)
    return Answer(records(rows), total)


def sectors(ctx: Ctx, p: NoParams) -> Answer:
    return Answer(records(q.sectors(ctx.con)))


def categories(ctx: Ctx, p: NoParams) -> Answer:
    return Answer(records(q.categories(ctx.con)))


def areas(ctx: Ctx, p: AreasQuery) -> Answer:
    rows, total = q.areas(ctx.con, ctx.scope, page_of(p), p.level)
    return Answer(records(rows), total)


def ticket_stats(ctx: Ctx, p: TicketStatsQuery) -> Answer:
    check_known(ctx, "service", "category", p.category)
    check_area(ctx, "commune", p.commune)
    as_of = q.ticket_as_of(ctx.con, ctx.scope)
    end = p.end_date or (as_of.date() if as_of else None)
    if end is None:
        return Answer([], 0)
    start = p.start_date or end - timedelta(days=29)
    if start > end:
        raise bad_parameter("start_date", f"after end_date ({end})")
    if (end - start).days >= MAX_TICKET_DAYS:
        raise bad_parameter("start_date", f"the period spans more than {MAX_TICKET_DAYS} days")
    stats = q.TicketStatsFilter(p.group_by, start, end, p.commune, p.category, as_of)
    rows, total = q.ticket_stats(ctx.con, ctx.scope, stats, page_of(p))
    return Answer(records(rows), total)


def routes() -> list[Route]:
    env = s.envelope
    return [
        Route(f"{BASE}/figures", "listFigures", "Approved indicator figures (current units, continuous across the "
              "July 2025 reform)", "figures", FiguresQuery, env(s.Figure, "FiguresResponse", True, False), figures,
              "indicators:read", tables=("agg_indicator_area", "dim_indicator", "dim_area"), paged=True),
        Route(f"{BASE}/figures/sources", "listFigureSources", "The approved submissions behind one figure",
              "figures", SourcesQuery, env(s.FigureSource, "FigureSourcesResponse", False, False), figure_sources,
              "indicators:read", tables=("fact_indicator_value", "dim_area_crosswalk")),
        Route(f"{BASE}/indicators", "listIndicators", "Indicator catalog with yearly targets", "catalogs",
              IndicatorsQuery, env(s.Indicator, "IndicatorsResponse", True, False), indicators, "catalogs:read",
              tables=("dim_indicator", "dim_indicator_target"), paged=True),
        Route(f"{BASE}/sectors", "listSectors", "Sectors of the indicator catalog", "catalogs", NoParams,
              env(s.Sector, "SectorsResponse", False, False), sectors, "catalogs:read", tables=("dim_indicator",)),
        Route(f"{BASE}/categories", "listCategories", "Disaggregation criteria and their categories", "catalogs",
              NoParams, env(s.Category, "CategoriesResponse", False, False), categories, "catalogs:read",
              tables=("dim_category",)),
        Route(f"{BASE}/areas", "listAreas", "The province and its current communes (within the token's areas)",
              "catalogs", AreasQuery, env(s.Area, "AreasResponse", True, False), areas, "catalogs:read",
              tables=("dim_area",), paged=True),
        Route(f"{BASE}/tickets/stats", "ticketStats", "Citizen feedback statistics by commune, category, status or "
              "month", "tickets", TicketStatsQuery, env(s.TicketStat, "TicketStatsResponse", True, False),
              ticket_stats, "tickets:read", tables=("fact_ticket", "dim_area"), paged=True),
    ]
