"""Dimension loaders: areas (from ioc_app.geo), reporting units, indicators with targets, categories."""
from __future__ import annotations

import pandas as pd

from ioc_app import geo
from pipelines.areas import REFORM, AreaIndex
from pipelines.batch import Batch, LoadResult
from pipelines.checks import Checker
from pipelines.readers import ROW, require_columns
from pipelines.store import replace_all, stage, upsert

UNIT_KINDS = ("province_office", "department", "former_district", "commune")
FREQUENCIES = ("month", "quarter", "year")
AGGREGATIONS = ("sum", "avg", "ratio", "latest")
DIRECTIONS = ("up", "down")
VALUE_TYPES = ("number", "percent", "integer")
INDICATOR_LEVELS = ("province", "commune")


def load_areas(batch: Batch, _table: pd.DataFrame | None) -> LoadResult:
    """dim_area and dim_area_crosswalk replaced by the geography of the configured province."""
    code = batch.settings.province_code
    areas, crosswalk = geo.areas(code), geo.crosswalk(code)
    loaded = replace_all(batch.con, "dim_area", stage(batch.con, "stage_area", "dim_area", areas))
    loaded += replace_all(batch.con, "dim_area_crosswalk",
                          stage(batch.con, "stage_crosswalk", "dim_area_crosswalk", crosswalk))
    return LoadResult(read=len(areas) + len(crosswalk), loaded=loaded)


def load_units(batch: Batch, table: pd.DataFrame) -> LoadResult:
    require_columns(table, batch.path, ["unit_code", "name", "kind"])
    check = Checker(table)
    unit_code = check.required("unit_code")
    name = check.required("name")
    kind = check.choice(check.required("kind"), "kind", UNIT_KINDS)
    parent = check.optional("parent_code")
    area_code = check.optional("area_code")
    valid_from = check.timestamp("valid_from", required=False)
    valid_to = check.timestamp("valid_to", required=False)
    # a unit that ended before the reform refers to an old area; any other to a current one
    area_key = AreaIndex(batch.con, batch.settings).dated(area_code, valid_to.fillna(REFORM))
    check.flag(area_code.notna() & area_key.isna(), "area_code", "unknown area_code")
    known_units = set(unit_code.dropna()) | {
        row[0] for row in batch.con.execute("SELECT unit_code FROM lake.main.dim_unit").fetchall()}
    check.known(parent, "parent_code", known_units, "parent_code")
    check.duplicates([unit_code], "unit_code")
    units = pd.DataFrame({"unit_code": unit_code, "name": name, "kind": kind, "parent_code": parent,
                          "area_key": area_key, "valid_from": valid_from, "valid_to": valid_to})[check.valid()]
    loaded = upsert(batch.con, "dim_unit", stage(batch.con, "stage_unit", "dim_unit", units), ["unit_code"])
    return LoadResult(read=len(table), loaded=loaded, problems=check.problems())


def _targets(check: Checker, codes: pd.Series) -> pd.DataFrame:
    """One row per (indicator, year) from the `targets` mapping {"2025": value, ...}."""
    if "targets" not in check.table.columns:
        return pd.DataFrame(columns=["indicator_code", "year", "target"])
    cells = check.table["targets"]
    is_mapping = cells.map(lambda cell: isinstance(cell, dict))
    check.flag(cells.notna() & ~is_mapping, "targets", "targets is not a mapping of year to value")
    pairs = [(index, year, value) for index, cell in cells[is_mapping].items() for year, value in cell.items()]
    targets = pd.DataFrame(pairs, columns=["index", "year", "target"]).set_index("index")
    year = pd.to_numeric(targets["year"], errors="coerce")
    target = pd.to_numeric(targets["target"], errors="coerce")
    bad = year.isna() | (year % 1 != 0) | target.isna()
    check.flag(pd.Series(check.table.index.isin(targets.index[bad]), index=check.table.index),
               "targets", "targets has a year or value that is not a number")
    return pd.DataFrame({"indicator_code": codes.reindex(targets.index), "year": year, "target": target})[~bad]


def load_indicators(batch: Batch, table: pd.DataFrame) -> LoadResult:
    required = ["code", "name_vi", "unit", "frequency", "aggregation"]
    require_columns(table, batch.path, required)
    check = Checker(table)
    code = check.required("code")
    indicators = pd.DataFrame({
        "indicator_code": code,
        "name_vi": check.required("name_vi"),
        "name_en": check.optional("name_en"),
        "unit": check.required("unit"),
        "sector": check.optional("sector"),
        "frequency": check.choice(check.required("frequency"), "frequency", FREQUENCIES),
        "aggregation": check.choice(check.required("aggregation"), "aggregation", AGGREGATIONS),
        "direction": check.choice(check.optional("direction").fillna("up"), "direction", DIRECTIONS),
        "value_type": check.choice(check.optional("value_type").fillna("number"), "value_type", VALUE_TYPES),
        "level": check.choice(check.optional("level").fillna("commune"), "level", INDICATOR_LEVELS),
    })
    targets = _targets(check, code)
    check.duplicates([code], "code")
    valid = check.valid()
    targets = targets[targets.index.isin(table.index[valid])]
    con = batch.con
    loaded = upsert(con, "dim_indicator", stage(con, "stage_indicator", "dim_indicator", indicators[valid]),
                    ["indicator_code"])
    loaded += upsert(con, "dim_indicator_target", stage(con, "stage_target", "dim_indicator_target", targets),
                     ["indicator_code", "year"])
    return LoadResult(read=len(table), loaded=loaded, problems=check.problems())


def _flatten_categories(table: pd.DataFrame, path) -> pd.DataFrame:
    """The nested form [{criterion, categories: [{code, name_vi, name_en}]}] as one row per category."""
    require_columns(table, path, ["criterion", "categories"])
    rows = []
    for record in table.to_dict("records"):
        items = record["categories"] if isinstance(record["categories"], list) else [None]
        for item in items:
            item = item if isinstance(item, dict) else {}
            rows.append({"criterion": record["criterion"], "category_code": item.get("code"),
                         "name_vi": item.get("name_vi"), "name_en": item.get("name_en"), ROW: record[ROW]})
    return pd.DataFrame(rows, columns=["criterion", "category_code", "name_vi", "name_en", ROW])


def load_categories(batch: Batch, table: pd.DataFrame) -> LoadResult:
    if "categories" in table.columns:
        table = _flatten_categories(table, batch.path)
    else:
        require_columns(table, batch.path, ["criterion", "category_code", "name_vi"])
    check = Checker(table)
    criterion = check.required("criterion")
    code = check.required("category_code")
    categories = pd.DataFrame({"category_code": code, "criterion": criterion,
                               "name_vi": check.required("name_vi"), "name_en": check.optional("name_en")})
    check.duplicates([criterion, code], "category_code")
    staged = stage(batch.con, "stage_category", "dim_category", categories[check.valid()])
    loaded = upsert(batch.con, "dim_category", staged, ["criterion", "category_code"])
    return LoadResult(read=len(table), loaded=loaded, problems=check.problems())

