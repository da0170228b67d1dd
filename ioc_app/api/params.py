"""Query parameters of every API route, validated with pydantic before anything is read.

A parameter that is unknown, repeated, of the wrong shape or out of bounds is a 400 whose
body names the parameter and the reason. The same models produce the OpenAPI parameters
(ioc_app.api.openapi), so the document and the checks cannot drift apart.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, WithJsonSchema
from werkzeug.datastructures import MultiDict

from ioc_app.clock import ICT
from pipelines.reports import parse_periods

MAX_PAGE_SIZE = 500
MAX_PAGE = 100_000
OPEN311_MAX_PAGE_SIZE = 200
MAX_IDS = 50
MAX_TICKET_DAYS = 1830

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
PERIOD = r"^(19|20|21)[0-9]{2}(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12])?$"
Code = Annotated[str, StringConstraints(pattern=CODE)]
PeriodCode = Annotated[str, StringConstraints(pattern=PERIOD)]
# What a refused pattern means, in words (the pattern itself is in the OpenAPI document).
PATTERN_WORDS = {
    CODE: "a code of letters, digits and _ . : - (at most 64 characters)",
    PERIOD: "a period such as 2025, 2025-03, 2025-Q1 or 2025-H1 (years 1900 to 2199)",
}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a calendar date (YYYY-MM-DD)") from None


def _instant(text: str) -> datetime:
    """An RFC 3339 date-time with its offset, as naive ICT (the stores' time)."""
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError("not an ISO 8601 date-time such as 2026-01-31T08:00:00+07:00") from None
    if moment.tzinfo is None:
        raise ValueError("needs a time zone offset (Z or +07:00)")
    if not 1900 <= moment.year <= 9998:
        raise ValueError("year out of range")
    return moment.astimezone(ICT).replace(tzinfo=None)


DateParam = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), AfterValidator(_date),
                      WithJsonSchema({"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})]
InstantParam = Annotated[
    str, StringConstraints(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"),
    AfterValidator(_instant), WithJsonSchema({"type": "string", "format": "date-time"})]


def _code_list(limit: int):
    def split(text: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(part.strip() for part in text.split(",")))
        if len(items) > limit:
            raise ValueError(f"at most {limit} values")
        return items
    return split


CodeList = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}(,[A-Za-z0-9_.:-]{1,64})*$",
                                            max_length=MAX_IDS * 65),
                     AfterValidator(_code_list(MAX_IDS))]
StatusList = Annotated[str, StringConstraints(pattern=r"^(open|closed)(,(open|closed))?$"),
                       AfterValidator(_code_list(2))]


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paged(Query):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="page number, from 1")
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE, description=f"rows per page (at most {MAX_PAGE_SIZE})")


class NoParams(Query):
    pass


class FiguresQuery(Paged):
    indicator: Code | None = Field(None, description="indicator code (see /api/v1/indicators)")
    period: PeriodCode | None = Field(None, description="one period: 2025-03, 2025-Q1, 2025-H1 or 2025")
    period_from: PeriodCode | None = Field(None, description="periods starting on or after this period's start")
    period_to: PeriodCode | None = Field(None, description="figures of periods starting on or before this period's end")
    area: Code | None = Field(None, description="area key: a commune code, or the province code")
    level: Literal["province", "commune"] | None = Field(None, description="area level")
    category: Code | None = Field(None, description="disaggregation category code ('total' for the whole)")
    sector: Code | None = Field(None, description="sector code of the indicator")


class SourcesQuery(Query):
    indicator: Code = Field(description="indicator code")
    period: PeriodCode = Field(description="period code")
    area: Code = Field(description="area key")
    category: Code = Field("total", description="category code")


class IndicatorsQuery(Paged):
    sector: Code | None = Field(None, description="only this sector's indicators")


class AreasQuery(Paged):
    level: Literal["province", "commune"] | None = Field(None, description="only this level")


class TicketStatsQuery(Paged):
    group_by: Literal["commune", "category", "status", "month"] = Field("commune", description="grouping")
    start_date: DateParam | None = Field(None, description="first request day (default: 29 days before end_date)")
    end_date: DateParam | None = Field(None, description="last request day (default: the newest ticket update's)")
    commune: Code | None = Field(None, description="only this commune (area key)")
    category: Code | None = Field(None, description="only this ticket category (service code)")


class ReportDataQuery(Paged):
    indicator: Code | None = Field(None, description="only reports with this indicator")
    period: PeriodCode | None = Field(None, description="only this period")
    unit: Code | None = Field(None, description="only this reporting unit")


class ReportStatusQuery(Paged):
    period: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,16}$")] | None = Field(
        None, description="only this period code")
    status: Literal["draft", "submitted", "returned", "approved"] | None = Field(None, description="only this status")
    unit: Code | None = Field(None, description="only this reporting unit")


class Open311RequestsQuery(Query):
    service_request_id: CodeList | None = Field(None, description=f"comma-separated ids (at most {MAX_IDS}); "
                                                                  "other filters are then ignored, as the standard says")
    service_code: CodeList | None = Field(None, description="comma-separated service codes")
    start_date: InstantParam | None = Field(None, description="requested at or after (default: 90 days before end_date)")
    end_date: InstantParam | None = Field(None, description="requested at or before (default: no bound; without "
                                                            "either date the 90 days up to the newest ticket update)")
    status: StatusList | None = Field(None, description="open, closed, or both comma-separated")
    page: int = Field(1, ge=1, le=MAX_PAGE, description="page number, from 1 (extension)")
    page_size: int = Field(50, ge=1, le=OPEN311_MAX_PAGE_SIZE,
                           description=f"requests per page (extension, at most {OPEN311_MAX_PAGE_SIZE})")


class ParameterProblem(Exception):
    """One or more parameters were refused: [(parameter, reason), ...]."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))
        self.problems = problems


def parse(model: type[Query], args: MultiDict, path: dict[str, str] | None = None) -> Query:
    """The validated parameters of a request, or ParameterProblem naming every bad one."""
    repeated = [(name, "given more than once") for name in args if len(args.getlist(name)) > 1]
    if repeated:
        raise ParameterProblem(repeated)
    values = {**args.to_dict(), **(path or {})}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ParameterProblem([(_name(error), _reason(error)) for error in exc.errors()]) from None


def _name(error) -> str:
    return ".".join(str(part) for part in error["loc"]) or "query"


def _reason(error) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown parameter"
    if error["type"] == "string_pattern_mismatch":
        pattern = error["ctx"]["pattern"]
        return "expected " + PATTERN_WORDS.get(pattern, f"the form {pattern}")
    return error["msg"].removeprefix("Value error, ")


def period_bounds(code: str) -> tuple[date, date]:
    """First and last day of a period code (already of the right form)."""
    row = parse_periods(pd.Series([code])).iloc[0]
    return row["period_start"].date(), row["period_end"].date()
