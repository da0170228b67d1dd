"""Build geo/units_2025.csv, geo/units_legacy.csv and geo/crosswalk.csv from vietnamadminunits.

Build-time only: the app reads the committed CSV files, never the package.
Run: .venv/bin/python geo/build_units.py

Area model (the package gives official areas for current communes only): the official
area of a new commune is shared equally among the old communes that formed it; an old
commune's area is the sum of its shares, and crosswalk weights are those shares
normalised per old unit (so a divided old commune is split in proportion to the pieces).
"""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pandas as pd
import vietnamadminunits

GEO_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = Path(vietnamadminunits.__file__).resolve().parent / "data"


def load_source() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    with sqlite3.connect(PACKAGE_DATA / "dataset.db") as con:
        new = pd.read_sql("SELECT * FROM admin_units", con)
        old = pd.read_sql("SELECT * FROM admin_units_legacy", con)
    converter = json.loads((PACKAGE_DATA / "converter_2025.json").read_text(encoding="utf-8"))
    return new, old, converter


def parse_bounds(text: str | None) -> tuple[float, float, float, float] | tuple[None, None, None, None]:
    """'21.04,105.84 – 21.05,105.85' -> (min_lat, min_lon, max_lat, max_lon)."""
    if not isinstance(text, str) or "–" not in text:
        return (None, None, None, None)
    (lat1, lon1), (lat2, lon2) = (map(float, part.split(",")) for part in text.split("–"))
    return (min(lat1, lat2), min(lon1, lon2), max(lat1, lat2), max(lon1, lon2))


def old_key(row: pd.Series) -> str:
    return f"{row.provinceKey}_{row.districtKey}_{row.wardKey if isinstance(row.wardKey, str) else ''}"


def pieces(new: pd.DataFrame, old: pd.DataFrame, converter: dict) -> dict[tuple[str, str], float]:
    """(old converter key, new commune code) -> km2 of the new commune that came from it."""
    new_code = {(r.provinceKey, r.wardKey): r.wardCode for r in new.itertuples()}
    new_area = dict(zip(new.wardCode, new.wardAreaKm2.fillna(0.0)))
    contributors: dict[str, list[str]] = defaultdict(list)
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            contributors[new_code[(province_key, ward_key)]].extend(old_keys)
    for province_key, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for key, targets in divided.items():
            for target in targets:
                contributors[new_code[(province_key, target["newWardKey"])]].append(key)
    missing = set(new.wardCode) - set(contributors)
    if missing:
        raise SystemExit(f"converter: no old unit for new communes {sorted(missing)[:5]}")
    known = set(old.apply(old_key, axis=1))
    result: dict[tuple[str, str], float] = {}
    for code, keys in contributors.items():
        unknown = set(keys) - known
        if unknown:
            raise SystemExit(f"converter: old keys not in admin_units_legacy: {sorted(unknown)[:5]}")
        share = max(new_area[code], 0.01) / len(keys)
        for key in keys:
            result[(key, code)] = result.get((key, code), 0.0) + share
    return result


def build_current(new: pd.DataFrame) -> pd.DataFrame:
    provinces = new.groupby("provinceCode", sort=True).agg(
        name=("province", "first"),
        short_name=("provinceShort", "first"),
        lat=("provinceLat", "first"),
        lon=("provinceLon", "first"),
        area_km2=("wardAreaKm2", lambda s: round(s.sum(), 2)),
        aliases=("provinceAlias", "first"),
    )
    provinces["aliases"] = provinces.aliases.map(lambda a: ";".join(json.loads(a)) if isinstance(a, str) else "")
    provinces = provinces.reset_index().rename(columns={"provinceCode": "code"})
    provinces.insert(0, "level", "province")
    provinces["province_code"] = provinces.code
    provinces["ward_type"] = ""
    communes = pd.DataFrame(
        {
            "level": "commune",
            "code": new.wardCode,
            "name": new.ward,
            "short_name": new.wardShort,
            "lat": new.wardLat,
            "lon": new.wardLon,
            "area_km2": new.wardAreaKm2,
            "aliases": "",
            "province_code": new.provinceCode,
            "ward_type": new.wardType,
        }
    ).sort_values(["province_code", "code"])
    columns = ["level", "code", "name", "short_name", "ward_type", "province_code", "lat", "lon", "area_km2", "aliases"]
    return pd.concat([provinces[columns], communes[columns]], ignore_index=True)


def build_legacy(
    new: pd.DataFrame, old: pd.DataFrame, converter: dict, share: dict[tuple[str, str], float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    province_of_new_key = {r.provinceKey: r.provinceCode for r in new.drop_duplicates("provinceKey").itertuples()}
    new_province_of_old = {
        old_province: province_of_new_key[new_key]
        for new_key, old_keys in converter["DICT_PROVINCE"].items()
        for old_province in old_keys
    }
    new_province_of_commune = dict(zip(new.wardCode, new.provinceCode))
    old = old.assign(key=old.apply(old_key, axis=1), new_province=old.provinceKey.map(new_province_of_old))
    if old.new_province.isna().any():
        raise SystemExit(f"converter: old provinces without a new one: {old[old.new_province.isna()].province.unique()}")

    by_old: dict[str, dict[str, float]] = defaultdict(dict)
    for (key, code), km2 in share.items():
        by_old[key][code] = km2
    unit_rows: list[dict] = []
    links: list[dict] = []

    def add_links(old_key_: str, level: str, targets: dict[str, float], province: str) -> None:
        total = sum(targets.values())
        for code, km2 in sorted(targets.items()):
            if new_province_of_commune[code] != province:
                raise SystemExit(f"converter: {old_key_} maps outside new province {province}")
            links.append(
                {"province_code": province, "old_key": old_key_, "old_level": level,
                 "new_key": code, "new_level": "commune", "weight": km2 / total}
            )

    for code, group in old.groupby("provinceCode", sort=True):
        first = group.iloc[0]
        province = first.new_province
        bounds = parse_bounds(first.provinceBounds)
        unit_rows.append(
            {"level": "old_province", "code": code, "name": first.province, "short_name": first.provinceShort,
             "parent_code": "", "province_code": province, "lat": first.provinceLat, "lon": first.provinceLon,
             "area_km2": sum(sum(by_old[k].values()) for k in group.key), "bounds": bounds}
        )
        links.append({"province_code": province, "old_key": f"old:{code}", "old_level": "old_province",
                      "new_key": province, "new_level": "province", "weight": 1.0})
    for code, group in old.groupby("districtCode", sort=True):
        first = group.iloc[0]
        targets: dict[str, float] = defaultdict(float)
        for key in group.key:
            for new_code, km2 in by_old[key].items():
                targets[new_code] += km2
        unit_rows.append(
            {"level": "old_district", "code": code, "name": first.district, "short_name": first.districtShort,
             "parent_code": first.provinceCode, "province_code": first.new_province, "lat": first.districtLat,
             "lon": first.districtLon, "area_km2": sum(targets.values()), "bounds": parse_bounds(first.districtBounds)}
        )
        add_links(f"old:{code}", "old_district", targets, first.new_province)
    for row in old[old.wardCode.notna()].sort_values("wardCode").itertuples():
        targets = by_old[row.key]
        unit_rows.append(
            {"level": "old_commune", "code": row.wardCode, "name": row.ward, "short_name": row.wardShort,
             "parent_code": row.districtCode, "province_code": row.new_province, "lat": row.wardLat,
             "lon": row.wardLon, "area_km2": sum(targets.values()), "bounds": parse_bounds(row.wardBounds)}
        )
        add_links(f"old:{row.wardCode}", "old_commune", targets, row.new_province)

    units = pd.DataFrame(unit_rows)
    units[["min_lat", "min_lon", "max_lat", "max_lon"]] = pd.DataFrame(units.pop("bounds").tolist(), index=units.index)
    units["area_km2"] = units.area_km2.round(3)
    crosswalk = pd.DataFrame(links)
    crosswalk["weight"] = crosswalk.weight.round(6)
    return units, crosswalk


def main() -> None:
    new, old, converter = load_source()
    current = build_current(new)
    legacy, crosswalk = build_legacy(new, old, converter, pieces(new, old, converter))
    current.to_csv(GEO_DIR / "units_2025.csv", index=False, encoding="utf-8")
    legacy.to_csv(GEO_DIR / "units_legacy.csv", index=False, encoding="utf-8")
    crosswalk.to_csv(GEO_DIR / "crosswalk.csv", index=False, encoding="utf-8")
    print(f"units_2025.csv: {len(current)} rows; units_legacy.csv: {len(legacy)} rows; crosswalk.csv: {len(crosswalk)} rows")


if __name__ == "__main__":
    main()
