"""catalog/units.csv: the reporting units of the province, before and after 1 July 2025."""
from __future__ import annotations

from datetime import date

import pandas as pd

from ioc_app.demo.context import LAST_OLD_DAY, REFORM_DATE, DemoContext

UNIT_COLUMNS = ["unit_code", "name", "kind", "parent_code", "area_code", "valid_from", "valid_to"]
OFFICE = "VPUBND"

# abbreviation -> name; "{lvl}" becomes "tỉnh" or "thành phố" (post-2025 department names).
DEPARTMENTS: dict[str, str] = {
    "STC": "Sở Tài chính",
    "SCT": "Sở Công Thương",
    "SYT": "Sở Y tế",
    "SGDDT": "Sở Giáo dục và Đào tạo",
    "SNNMT": "Sở Nông nghiệp và Môi trường",
    "SXD": "Sở Xây dựng",
    "SNV": "Sở Nội vụ",
    "SKHCN": "Sở Khoa học và Công nghệ",
    "SVHTTDL": "Sở Văn hóa, Thể thao và Du lịch",
    "STP": "Sở Tư pháp",
    "SDTTG": "Sở Dân tộc và Tôn giáo",
    "TTR": "Thanh tra {lvl}",
    "CA": "Công an {lvl}",
    "TK": "Thống kê {lvl}",
    "THUE": "Thuế {lvl}",
    "BHXH": "Bảo hiểm xã hội {lvl}",
    "BQLKCN": "Ban Quản lý các khu công nghiệp {lvl}",
}


def unit_code(ctx: DemoContext, abbreviation: str) -> str:
    return f"{ctx.province_code}.{abbreviation}"


def old_office_code(old_province: str) -> str:
    return f"CTK.{old_province}"


def district_unit_code(district: str) -> str:
    return f"H.{district}"


def commune_unit_code(commune: str) -> str:
    return f"X.{commune}"


def department_name(ctx: DemoContext, abbreviation: str) -> str:
    return DEPARTMENTS[abbreviation].format(lvl=ctx.level_word)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def old_valid_from(ctx: DemoContext) -> date:
    return min(date(2020, 1, 1), date(ctx.report_start.year, 1, 1))


def build_units(ctx: DemoContext) -> pd.DataFrame:
    pc = ctx.province_code
    office = unit_code(ctx, OFFICE)
    new_from, old_from = REFORM_DATE.isoformat(), old_valid_from(ctx).isoformat()
    rows = [(office, f"Văn phòng Ủy ban nhân dân {ctx.level_word} {ctx.short_name}", "province_office", "", pc,
             new_from, "")]
    rows += [(unit_code(ctx, abbr), department_name(ctx, abbr), "department", office, pc, new_from, "")
             for abbr in DEPARTMENTS]
    old_provinces = ctx.level("old_province")
    merged = len(old_provinces) > 1
    short_of = dict(zip(old_provinces["code"], old_provinces["short_name"]))
    rows += [(old_office_code(code), f"Cục Thống kê {_lower_first(name)} (cũ)", "department", office, code,
              old_from, LAST_OLD_DAY.isoformat())
             for code, name in zip(old_provinces["code"], old_provinces["name"])]
    for code, name, parent in ctx.level("old_district")[["code", "name", "parent_key"]].itertuples(index=False):
        suffix = f" ({short_of.get(str(parent).removeprefix('old:'), '')} cũ)" if merged else " (cũ)"
        rows.append((district_unit_code(code), f"UBND {_lower_first(name)}{suffix}", "former_district", office,
                     code, old_from, LAST_OLD_DAY.isoformat()))
    rows += [(commune_unit_code(code), f"UBND {_lower_first(name)}", "commune", office, code, new_from, "")
             for code, name in ctx.communes[["code", "name"]].itertuples(index=False)]
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)
