"""Packets of QCVN 125:2021/BTTTT (data exchange between reporting systems of the national
reporting system), as far as this installation holds their content.

The standard names thirteen packets; its field tables could not be consulted here, so each
packet below is a documented JSON of the same elements (docs/api.md lists which packet is
which and what is ours). Catalog packets need `catalogs:read`, data and status packets
`indicators:read`; every packet is scoped like the rest of the API.
"""
from __future__ import annotations

import json
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ioc_app.api import schemas as s
from ioc_app.api import v1
from ioc_app.api.core import Answer, Ctx, Route, ict, records
from ioc_app.api.params import (FiguresQuery, IndicatorsQuery, NoParams, Paged, ReportDataQuery,
                                ReportStatusQuery)
from ioc_app.opdb.models import (Form, Indicator, Period, Regime, RegimeUnit, ReportGroup, Sector, Submission,
                                 Unit)
from ioc_app.queries import api as q

BASE = f"{v1.BASE}/qcvn125"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV")


def _roman(n: int) -> str:
    return ROMAN[n - 1] if n <= len(ROMAN) else str(n)


def regimes(ctx: Ctx, p: NoParams) -> Answer:
    units = {}
    for regime_code, unit_code in ctx.db.execute(
            select(RegimeUnit.regime_code, Unit.code).join(Unit, Unit.id == RegimeUnit.unit_id).order_by(Unit.code)):
        units.setdefault(regime_code, []).append(unit_code)
    data = [{"regime_code": r.code, "name_vi": r.name_vi, "name_en": r.name_en, "kind": r.kind,
             "period_type": r.period_type, "form_code": r.form_code,
             "receiver_unit_code": r.receiver.code if r.receiver else None, "report_group_code": r.report_group_code,
             "cutoff_day": r.cutoff_day, "deadline_days": r.deadline_days, "start_date": r.start_date,
             "end_date": r.end_date, "active": r.active, "reporting_units": units.get(r.code, [])}
            for r in ctx.db.scalars(select(Regime).options(selectinload(Regime.receiver)).order_by(Regime.code))]
    return Answer(data)


def _forms(ctx: Ctx) -> list[Form]:
    return list(ctx.db.scalars(select(Form).options(selectinload(Form.versions)).order_by(Form.code)))


def forms(ctx: Ctx, p: NoParams) -> Answer:
    return Answer([{"form_code": form.code, "name_vi": form.name_vi, "name_en": form.name_en,
                    "versions": [{"version": v.version, "valid_from": v.valid_from, "rows": json.loads(v.rows),
                                  "columns": json.loads(v.columns)} for v in form.versions]}
                   for form in _forms(ctx)])


def outlines(ctx: Ctx, p: NoParams) -> Answer:
    """Each form's newest version as an outline: one numbered section per sector, its indicators as items."""
    catalog = {i.code: i for i in ctx.db.scalars(select(Indicator))}
    sectors = {sector.code: sector for sector in ctx.db.scalars(select(Sector))}
    data = []
    for form in _forms(ctx):
        if not form.versions:
            continue
        newest = form.versions[-1]
        rows = [catalog[code] for code in json.loads(newest.rows) if code in catalog]
        sections = []
        for n, (sector_code, items) in enumerate(groupby(rows, key=lambda i: i.sector_code), start=1):
            sector = sectors.get(sector_code)
            sections.append({
                "number": _roman(n), "sector_code": sector_code,
                "name_vi": sector.name_vi if sector else sector_code,
                "name_en": sector.name_en if sector else sector_code,
                "items": [{"number": f"{_roman(n)}.{k}", "indicator_code": i.code, "name_vi": i.name_vi,
                           "name_en": i.name_en, "unit": i.unit} for k, i in enumerate(items, start=1)]})
        data.append({"form_code": form.code, "version": newest.version, "sections": sections})
    return Answer(data)


def report_data(ctx: Ctx, p: ReportDataQuery) -> Answer:
    v1.check_known(ctx, "indicator", "indicator", p.indicator)
    v1.check_known(ctx, "unit", "unit", p.unit)
    heads, values, total = q.reports(ctx.con, ctx.scope, q.ReportFilter(p.indicator, p.period, p.unit), v1.page_of(p))
    by_report: dict[str, list[dict]] = {}
    for row in records(values):
        by_report.setdefault(row.pop("submission_id"), []).append(row)
    data = [{"report_id": head["submission_id"], "unit_code": head["unit_code"], "period": head["period"],
             "approved_at": head["approved_at"], "source": head["source"],
             "values": by_report.get(head["submission_id"], [])} for head in records(heads)]
    return Answer(data, total)


def report_status(ctx: Ctx, p: ReportStatusQuery) -> Answer:
    """The workflow state of each report with its digest and signature (the signing list)."""
    query = select(Submission).join(Unit, Unit.id == Submission.unit_id).options(selectinload(Submission.unit))
    if ctx.scope.area_keys is not None:
        query = query.where(Unit.area_key.in_(sorted(ctx.scope.area_keys)))
    for column, value in ((Submission.period_code, p.period), (Submission.status, p.status), (Unit.code, p.unit)):
        if value is not None:
            query = query.where(column == value)
    total = _count(ctx, query)
    rows = ctx.db.scalars(query.order_by(Submission.id).limit(p.page_size).offset((p.page - 1) * p.page_size))
    return Answer([{"report_id": r.id, "unit_code": r.unit.code, "regime_code": r.regime_code, "period": r.period_code,
                    "status": r.status, "version": r.version, "submitted_at": ict(r.submitted_at),
                    "approved_at": ict(r.approved_at), "returned_at": ict(r.returned_at), "digest": r.digest,
                    "signed_by": r.signed_by, "signature": r.signature} for r in rows], total)


def _count(ctx: Ctx, query) -> int:
    return ctx.db.scalar(select(func.count()).select_from(query.subquery()))


def report_periods(ctx: Ctx, p: Paged) -> Answer:
    query = select(Period).order_by(Period.start_date, Period.code)
    total = _count(ctx, query)
    rows = ctx.db.scalars(query.limit(p.page_size).offset((p.page - 1) * p.page_size))
    return Answer([{"period": r.code, "period_type": r.type, "start_date": r.start_date, "end_date": r.end_date}
                   for r in rows], total)


def _indicator_groups(ctx: Ctx, key) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for indicator in ctx.db.scalars(select(Indicator).order_by(Indicator.code)):
        if key(indicator):
            groups.setdefault(key(indicator), []).append(indicator.code)
    return groups


def kpi_groups(ctx: Ctx, p: NoParams) -> Answer:
    members = _indicator_groups(ctx, lambda i: i.sector_code)
    return Answer([{"group_code": sector.code, "name_vi": sector.name_vi, "name_en": sector.name_en,
                    "indicators": members.get(sector.code, [])}
                   for sector in ctx.db.scalars(select(Sector).order_by(Sector.code))])


def kpi_sets(ctx: Ctx, p: NoParams) -> Answer:
    """The headline set of the overview (config ui.headline_indicators), then one set per report group."""
    data = [{"set_code": "headline", "name_vi": "Chỉ số điều hành chính", "name_en": "Headline indicators",
             "indicators": list(ctx.settings.ui.headline_indicators)}]
    members = _indicator_groups(ctx, lambda i: i.report_group_code)
    data += [{"set_code": group.code, "name_vi": group.name_vi, "name_en": group.name_en,
              "indicators": members.get(group.code, [])}
             for group in ctx.db.scalars(select(ReportGroup).order_by(ReportGroup.code))]
    return Answer(data)


def kpi_disaggregations(ctx: Ctx, p: NoParams) -> Answer:
    rows = records(q.categories(ctx.con))
    return Answer([{"criterion": criterion, "categories": list(items)}
                   for criterion, items in groupby(rows, key=lambda row: row["criterion"])])


def kpi_data(ctx: Ctx, p: FiguresQuery) -> Answer:
    figures = v1.figures(ctx, p)
    goals = q.targets(ctx.con, sorted({row["indicator_code"] for row in figures.data}))
    data = [{"kpi_code": row["indicator_code"], "area_key": row["area_key"], "level": row["level"],
             "period": row["period"], "category_code": row["category_code"], "value": row["value"],
             "target": goals.get((row["indicator_code"], row["period_start"].year))
             if row["level"] == "province" and row["category_code"] == "total" else None}
            for row in figures.data]
    return Answer(data, figures.total)


def routes() -> list[Route]:
    def packet(path, operation, name_vi, summary, params, item, handler, scope, store, tables, paged=False):
        body = s.envelope(item, operation[0].upper() + operation[1:] + "Response", paged, True)
        return Route(f"{BASE}/{path}", operation, summary, "qcvn125", params, body, handler, scope, store,
                     tables, name_vi, paged)

    opdb = "operational_db"
    return [
        packet("reporting-regimes", "qcvnRegimes", "Gói tin chế độ báo cáo", "Reporting regimes", NoParams,
               s.Regime, regimes, "catalogs:read", opdb, ("regimes", "regime_units")),
        packet("report-forms", "qcvnForms", "Gói tin biểu mẫu báo cáo", "Report forms and their versions",
               NoParams, s.Form, forms, "catalogs:read", opdb, ("forms", "form_versions")),
        packet("report-outlines", "qcvnOutlines", "Gói tin biểu mẫu báo cáo đề cương",
               "Report outlines (each form's newest version by sector)", NoParams, s.Outline, outlines,
               "catalogs:read", opdb, ("forms", "form_versions", "indicators", "sectors")),
        packet("report-data", "qcvnReportData", "Gói tin số liệu báo cáo", "Approved report data by submission",
               ReportDataQuery, s.ReportData, report_data, "indicators:read", "lake", ("fact_indicator_value",),
               paged=True),
        packet("report-status", "qcvnReportStatus", "Gói tin trạng thái báo cáo",
               "Report workflow status with digests and signatures", ReportStatusQuery, s.ReportStatus,
               report_status, "indicators:read", opdb, ("submissions", "units"), paged=True),
        packet("report-periods", "qcvnReportPeriods", "Gói tin danh mục kỳ báo cáo", "Reporting periods",
               Paged, s.ReportPeriod, report_periods, "catalogs:read", opdb, ("periods",), paged=True),
        packet("indicator-catalogue", "qcvnIndicatorCatalogue", "Gói tin danh mục chỉ tiêu báo cáo",
               "Indicator catalogue", IndicatorsQuery, s.Indicator, v1.indicators, "catalogs:read", "lake",
               ("dim_indicator", "dim_indicator_target"), paged=True),
        packet("kpi-sets", "qcvnKpiSets", "Gói tin bộ chỉ số (KPI)", "KPI sets", NoParams, s.KpiSet, kpi_sets,
               "catalogs:read", opdb, ("indicators", "report_groups")),
        packet("kpi-groups", "qcvnKpiGroups", "Gói tin danh mục nhóm chỉ số", "KPI groups (sectors)", NoParams,
               s.KpiGroup, kpi_groups, "catalogs:read", opdb, ("sectors", "indicators")),
        packet("kpi-disaggregations", "qcvnKpiDisaggregations", "Gói tin danh mục phân tổ chỉ số",
               "KPI disaggregations", NoParams, s.Disaggregation, kpi_disaggregations, "catalogs:read", "lake",
               ("dim_category",)),
        packet("kpi-data", "qcvnKpiData", "Gói tin dữ liệu chỉ số (KPI)", "KPI data with the year's target",
               FiguresQuery, s.KpiValue, kpi_data, "indicators:read", "lake",
               ("agg_indicator_area", "dim_indicator_target"), paged=True),
    ]
