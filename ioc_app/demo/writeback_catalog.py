"""catalog/writeback.json: what the demo's write-back needs on top of units and indicators.

Measure units, report groups, disaggregations and categories, the two commune regimes
(`XA-QUY`, `XA-NAM`) with their forms and reporting units, and who answers for which
indicator. Sections are catalogs of `ioc_app.writeback.catalogs`, in the order they import.
"""
from __future__ import annotations

from datetime import date

from ioc_app.demo.categories import MALE, FEMALE, TOTAL, build_categories
from ioc_app.demo.context import REFORM_DATE, DemoContext
from ioc_app.demo.indicators import INDICATORS, SEX, Indicator
from ioc_app.demo.units import build_units, unit_code

# symbol used in Indicator.unit -> (Vietnamese name, English name)
MEASURE_UNITS: dict[str, tuple[str, str]] = {
    "%": ("Phần trăm", "Percent"),
    "‰": ("Phần nghìn", "Per thousand"),
    "tỷ đồng": ("Tỷ đồng", "Billion dong"),
    "triệu đồng": ("Triệu đồng", "Million dong"),
    "triệu USD": ("Triệu đô la Mỹ", "Million US dollars"),
    "doanh nghiệp": ("Doanh nghiệp", "Enterprises"),
    "lượt người": ("Lượt người", "Person-trips"),
    "nghìn lượt người": ("Nghìn lượt người", "Thousand person-trips"),
    "nghìn tấn": ("Nghìn tấn", "Thousand tonnes"),
    "tấn": ("Tấn", "Tonnes"),
    "triệu kWh": ("Triệu kWh", "Million kWh"),
    "ha": ("Héc-ta", "Hectares"),
    "người": ("Người", "Persons"),
    "hộ": ("Hộ", "Households"),
    "bé trai/100 bé gái": ("Bé trai trên 100 bé gái", "Boys per 100 girls"),
    "năm": ("Năm", "Years"),
    "giường": ("Giường bệnh", "Hospital beds"),
    "bác sĩ": ("Bác sĩ", "Doctors"),
    "vụ": ("Vụ", "Cases"),
}
COMMUNE_GROUP, PROVINCE_GROUP = "TK-XA", "KT-XH"
REPORT_GROUPS = (
    {"code": COMMUNE_GROUP, "name_vi": "Báo cáo thống kê cấp xã", "name_en": "Commune statistical reports"},
    {"code": PROVINCE_GROUP, "name_vi": "Báo cáo kinh tế - xã hội cấp tỉnh",
     "name_en": "Provincial socio-economic reports"},
)
# Yearly figures of 2025 are reported by the new communes, so the yearly form starts with that year.
YEARLY_FROM = date(REFORM_DATE.year, 1, 1)


def measure_units() -> list[dict]:
    symbols = dict.fromkeys(indicator.unit for indicator in INDICATORS)
    return [{"code": symbol, "name_vi": MEASURE_UNITS[symbol][0], "name_en": MEASURE_UNITS[symbol][1]}
            for symbol in symbols]


def _commune(frequency: str) -> list[Indicator]:
    return [i for i in INDICATORS if i.level == "commune" and i.frequency == frequency]


def yearly_rows() -> list[str]:
    """Commune yearly indicators the demo breaks down by sex and whose parts add up to the total."""
    return [i.code for i in _commune("year") if SEX in i.criteria and i.aggregation == "sum"
            and i.value_type != "percent"]


def _regime(ctx: DemoContext, code: str, names: tuple[str, str], period_type: str, form: str, receiver: str,
            deadline_days: int, start: date) -> dict:
    return {"code": code, "name_vi": names[0], "name_en": names[1], "kind": "periodic",
            "period_type": period_type, "form_code": form, "receiver_unit": unit_code(ctx, receiver),
            "report_group_code": COMMUNE_GROUP, "cutoff_day": 0, "deadline_days": deadline_days,
            "start_date": start.isoformat(), "end_date": None, "active": True}


def writeback_catalog(ctx: DemoContext) -> dict[str, list[dict]]:
    criteria = build_categories(ctx)
    units = build_units(ctx)
    communes = units[(units["kind"] == "commune") & (units["valid_to"] == "")]["unit_code"].tolist()
    regimes = [
        _regime(ctx, "XA-QUY", ("Báo cáo quý cấp xã", "Quarterly commune report"), "quarter", "BM-XA-QUY",
                "SNNMT", 15, REFORM_DATE),
        _regime(ctx, "XA-NAM", ("Báo cáo năm cấp xã", "Yearly commune report"), "year", "BM-XA-NAM", "TK", 45,
                YEARLY_FROM),
    ]
    return {
        "measure_unit": measure_units(),
        "report_group": list(REPORT_GROUPS),
        "disaggregation": [{"code": c["criterion"], "name_vi": c["name_vi"], "name_en": c["name_en"]}
                           for c in criteria],
        "category": [{**category, "disaggregation_code": c["criterion"], "sort": number}
                     for c in criteria for number, category in enumerate(c["categories"])],
        "indicator": [{"code": i.code, "report_group_code": COMMUNE_GROUP if i.level == "commune" else PROVINCE_GROUP}
                      for i in INDICATORS],
        "form": [
            {"code": "BM-XA-QUY", "name_vi": "Biểu báo cáo quý cấp xã", "name_en": "Quarterly commune form"},
            {"code": "BM-XA-NAM", "name_vi": "Biểu báo cáo năm cấp xã", "name_en": "Yearly commune form"},
        ],
        "form_version": [
            {"form_code": "BM-XA-QUY", "valid_from": REFORM_DATE.isoformat(),
             "rows": [i.code for i in _commune("quarter")], "columns": [TOTAL]},
            {"form_code": "BM-XA-NAM", "valid_from": YEARLY_FROM.isoformat(),
             "rows": yearly_rows(), "columns": [TOTAL, MALE, FEMALE]},
        ],
        "regime": regimes,
        "regime_unit": [{"regime_code": regime["code"], "unit": code} for regime in regimes for code in communes],
        "indicator_assignment": [{"indicator_code": i.code, "unit": unit_code(ctx, i.reporter)} for i in INDICATORS],
    }
