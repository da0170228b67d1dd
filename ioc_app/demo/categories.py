"""catalog/categories.json: the disaggregation criteria (tiêu thức phân tổ) and their categories."""
from __future__ import annotations

from ioc_app.demo.context import DemoContext

TOTAL = "total"
MALE, FEMALE = "male", "female"
URBAN, RURAL = "urban", "rural"


def ethnic_code(group: str) -> str:
    return f"eth_{group}"


def build_categories(ctx: DemoContext) -> list[dict]:
    ethnic = [{"code": ethnic_code(code), "name_vi": vi, "name_en": en} for code, vi, en, _ in ctx.profile.ethnic]
    return [
        {"criterion": "total", "name_vi": "Tổng số", "name_en": "Total",
         "categories": [{"code": TOTAL, "name_vi": "Tổng số", "name_en": "Total"}]},
        {"criterion": "sex", "name_vi": "Giới tính", "name_en": "Sex",
         "categories": [{"code": MALE, "name_vi": "Nam", "name_en": "Male"},
                        {"code": FEMALE, "name_vi": "Nữ", "name_en": "Female"}]},
        {"criterion": "residence", "name_vi": "Thành thị/nông thôn", "name_en": "Urban/rural",
         "categories": [{"code": URBAN, "name_vi": "Thành thị", "name_en": "Urban"},
                        {"code": RURAL, "name_vi": "Nông thôn", "name_en": "Rural"}]},
        {"criterion": "ethnicity", "name_vi": "Dân tộc", "name_en": "Ethnic group", "categories": ethnic},
    ]
