"""Response bodies of the API: pydantic models that serialise every answer and give the
OpenAPI document its schemas (ioc_app.api.openapi)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(Model):
    system: str = Field(description="the installation that answers: IOC of the province")
    province_code: str
    store: Literal["lake", "operational_db", "installation"] = Field(
        description="lake: the analytical store (approved figures, tickets); operational_db: the write-back "
                    "module (regimes, forms, report workflow); installation: its keys")
    tables: list[str] = Field(description="tables the answer was read from")


class AsOf(Model):
    snapshot_id: int = Field(description="DuckLake snapshot the lake was read at (the same for every row)")
    snapshot_time: AwareDatetime = Field(description="when that snapshot was committed")
    generated_at: AwareDatetime = Field(description="when this answer was made")


class PageInfo(Model):
    page: int
    page_size: int
    total: int = Field(description="rows matching the filters, all pages together")


class Packet(Model):
    standard: Literal["QCVN 125:2021/BTTTT"]
    name_vi: str = Field(description="the packet's name in the standard")
    structure: Literal["documented-json"] = Field(
        description="field names are this API's (docs/api.md): the standard's field tables were not available")


class Problem(Model):
    parameter: str
    reason: str


class ErrorBody(Model):
    error: str = Field(description="machine-readable code: invalid_parameter, unauthorized, forbidden, not_found, "
                                   "method_not_allowed, server_error")
    status: int
    message: str
    errors: list[Problem] = Field(default_factory=list, description="one entry per refused parameter")


class Figure(Model):
    indicator_code: str
    indicator_name_vi: str
    indicator_name_en: str
    unit: str | None
    area_key: str
    area_code: str
    area_name: str
    level: Literal["province", "commune"]
    period: str
    period_type: str
    period_start: date
    category_code: str
    value: float | None


class FigureSource(Model):
    submission_id: str
    unit_code: str | None
    original_area_code: str | None
    value: float | None
    approved_at: AwareDatetime | None
    source: str | None
    loaded_at: AwareDatetime | None


class Target(Model):
    year: int
    target: float | None


class Indicator(Model):
    indicator_code: str
    name_vi: str
    name_en: str
    unit: str | None
    sector: str | None
    frequency: str | None
    aggregation: str | None
    direction: str | None
    value_type: str | None
    level: str | None
    targets: list[Target]


class Sector(Model):
    sector: str
    indicators: int


class Category(Model):
    criterion: str
    category_code: str
    name_vi: str
    name_en: str


class Area(Model):
    area_key: str
    code: str
    name: str
    level: Literal["province", "commune"]
    parent_key: str | None
    lat: float | None
    lon: float | None
    area_km2: float | None


class TicketStat(Model):
    key: str | None = Field(description="commune area key, service code, status or YYYY-MM, after group_by")
    label: str | None
    received: int
    closed: int
    on_time: int = Field(description="closed by their expected time")
    on_time_rate: float | None = Field(description="on_time / closed, 0..1 (null when none closed)")
    mean_handling_days: float | None = Field(description="mean days from request to closing, closed tickets")
    open: int
    overdue: int = Field(description="not closed and past their expected time at the newest ticket update")
    satisfaction: float | None = Field(description="mean rating 1..5 of rated tickets")


class SigningKey(Model):
    algorithm: Literal["Ed25519"]
    key_id: str = Field(description="hex SHA-256 of the raw public key; the X-IOC-Key-Id header names it")
    public_key_pem: str
    signature_header: Literal["X-IOC-Signature"]
    key_id_header: Literal["X-IOC-Key-Id"]


# QCVN 125:2021 packets (documented JSON, docs/api.md) --------------------------------------

class Regime(Model):
    regime_code: str
    name_vi: str
    name_en: str
    kind: Literal["periodic", "thematic", "adhoc"]
    period_type: str | None
    form_code: str
    receiver_unit_code: str | None
    report_group_code: str | None
    cutoff_day: int = Field(description="data cut-off day of the period's last month (0: its last day)")
    deadline_days: int = Field(description="days after the cut-off the report is due")
    start_date: date | None
    end_date: date | None
    active: bool
    reporting_units: list[str]


class FormVersion(Model):
    version: int
    valid_from: date
    rows: list[str] = Field(description="indicator codes, in order")
    columns: list[str] = Field(description="category codes, in order")


class Form(Model):
    form_code: str
    name_vi: str
    name_en: str
    versions: list[FormVersion]


class OutlineItem(Model):
    number: str = Field(description="numbering in the outline, e.g. 'I.2'")
    indicator_code: str
    name_vi: str
    name_en: str
    unit: str | None


class OutlineSection(Model):
    number: str
    sector_code: str
    name_vi: str
    name_en: str
    items: list[OutlineItem]


class Outline(Model):
    form_code: str
    version: int
    sections: list[OutlineSection]


class ReportValue(Model):
    indicator_code: str
    area_key: str
    category_code: str
    value: float | None


class ReportData(Model):
    report_id: str = Field(description="the approved submission's id")
    unit_code: str | None
    period: str
    approved_at: AwareDatetime | None
    source: str | None
    values: list[ReportValue]


class ReportStatus(Model):
    report_id: int
    unit_code: str
    regime_code: str | None
    period: str
    status: Literal["draft", "submitted", "returned", "approved"]
    version: int
    submitted_at: AwareDatetime | None
    approved_at: AwareDatetime | None
    returned_at: AwareDatetime | None
    digest: str | None = Field(description="hex SHA-256 of the report's content (signed at submission)")
    signed_by: str | None
    signature: str | None = Field(description="base64 Ed25519 signature of the digest")


class ReportPeriod(Model):
    period: str
    period_type: str
    start_date: date
    end_date: date


class KpiGroup(Model):
    group_code: str
    name_vi: str
    name_en: str
    indicators: list[str]


class KpiSet(Model):
    set_code: str
    name_vi: str
    name_en: str
    indicators: list[str]


class Disaggregation(Model):
    criterion: str
    categories: list[Category]


class KpiValue(Model):
    kpi_code: str
    area_key: str
    level: Literal["province", "commune"]
    period: str
    category_code: str
    value: float | None
    target: float | None = Field(description="the year's target (province figures only)")


# Open311 GeoReport v2 ---------------------------------------------------------------------

class Open311Service(Model):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class Open311Request(Model):
    service_request_id: str
    status: Literal["open", "closed"]
    service_code: str
    service_name: str | None
    requested_datetime: AwareDatetime
    updated_datetime: AwareDatetime | None
    expected_datetime: AwareDatetime | None
    agency_responsible: str | None
    address: str | None = Field(description="the commune only: street addresses are personal data")
    lat: float | None = Field(description="rounded to 3 decimals (about 100 m)")
    long: float | None = Field(description="rounded to 3 decimals (about 100 m)")


class Open311Error(Model):
    code: int
    description: str


def envelope(item: type[Model], name: str, paged: bool, packet: bool) -> type[Model]:
    """The body of one route's 200 answer: source, as-of, (page), (packet), data."""
    fields: dict = {"api_version": (Literal["v1"], ...), "source": (Source, ...), "as_of": (AsOf, ...)}
    if packet:
        fields["packet"] = (Packet, ...)
    if paged:
        fields["page"] = (PageInfo, ...)
    fields["data"] = (list[item], ...)
    return create_model(name, __base__=Model, **fields)
