"""Administrative units of Vietnam before and after the 1 July 2025 reform, and their boundaries.

Everything is read from the files committed under geo/ (built by geo/build_units.py and
geo/build_boundaries.py); nothing here touches the network or the source package.
"""
from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ioc_app.errors import ConfigError, GeoError

GEO_DIR = Path(__file__).resolve().parent.parent / "geo"
BOUNDARY_DIR = GEO_DIR / "boundaries"
REFORM_DATE = pd.Timestamp("2025-07-01")
LAST_OLD_DATE = pd.Timestamp("2025-06-30")
AREA_COLUMNS = [
    "area_key", "code", "name", "short_name", "level", "parent_key", "province_code",
    "valid_from", "valid_to", "lat", "lon", "area_km2",
]
CROSSWALK_COLUMNS = ["old_key", "old_level", "new_key", "new_level", "weight"]
_CODE_COLUMNS = {"code": str, "province_code": str, "parent_code": str, "old_key": str, "new_key": str}
_PREFIXES = ("thanh pho ", "tinh ", "tp. ", "tp.", "tp ")


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    short_name: str


def _read_csv(name: str) -> pd.DataFrame:
    path = GEO_DIR / name
    try:
        table = pd.read_csv(path, dtype=_CODE_COLUMNS)
    except (OSError, ValueError) as exc:
        raise GeoError(f"{path}: cannot read geography data ({exc}); rebuild with geo/build_units.py") from None
    text_columns = table.select_dtypes(exclude="number").columns
    table[text_columns] = table[text_columns].fillna("")
    return table


@lru_cache(maxsize=1)
def _current() -> pd.DataFrame:
    return _read_csv("units_2025.csv")


@lru_cache(maxsize=1)
def _legacy() -> pd.DataFrame:
    return _read_csv("units_legacy.csv")


@lru_cache(maxsize=1)
def _crosswalk() -> pd.DataFrame:
    return _read_csv("crosswalk.csv")


def normalise_name(text: str) -> str:
    """Lower case, no diacritics (đ -> d), single spaces: 'Tỉnh  Vĩnh Long' -> 'tinh vinh long'."""
    text = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-]+", " ", text)


def _strip_prefix(text: str) -> str:
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix):].strip()
    return text


@lru_cache(maxsize=1)
def _province_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    table = _current()
    for row in table[table.level == "province"].itertuples():
        names = [row.code, str(int(row.code)), row.name, row.short_name, *filter(None, row.aliases.split(";"))]
        for name in names:
            key = normalise_name(name)
            lookup[key] = row.code
            lookup[_strip_prefix(key)] = row.code
            lookup[key.replace(" ", "")] = row.code
    return lookup


def _province_hint(key: str) -> str:
    legacy = _legacy()
    old = legacy[(legacy.level == "old_province") & (legacy.short_name.map(normalise_name) == key)]
    if len(old):
        merged_into = provinces().set_index("code").loc[old.province_code.iloc[0], "short_name"]
        return f"{old.short_name.iloc[0]} became part of {merged_into} on 1 July 2025; use {merged_into!r}"
    by_short = {normalise_name(name): name for name in provinces().short_name}
    close = difflib.get_close_matches(key, list(by_short), n=3, cutoff=0.5)
    if close:
        return f"did you mean {', '.join(repr(by_short[match]) for match in close)}?"
    return "use a code such as '86' or a name such as 'Vĩnh Long'"


def provinces() -> pd.DataFrame:
    """The 34 current provinces: code, name, short_name, lat, lon."""
    table = _current()
    return table.loc[table.level == "province", ["code", "name", "short_name", "lat", "lon"]].reset_index(drop=True)


def resolve_province(text: str) -> Province:
    """Accept a code ('86', '1'), a full or short name, with or without diacritics."""
    key = normalise_name(str(text))
    lookup = _province_lookup()
    code = lookup.get(key) or lookup.get(_strip_prefix(key)) or lookup.get(_strip_prefix(key).replace(" ", ""))
    if code is None:
        raise ConfigError(f"province {text!r} is not one of the 34 provinces: {_province_hint(_strip_prefix(key))}")
    row = provinces().set_index("code").loc[code]
    return Province(code=code, name=row["name"], short_name=row["short_name"])


@lru_cache(maxsize=64)
def _areas(code: str) -> pd.DataFrame:
    current = _current()
    current = current[current.province_code == code]
    legacy = _legacy()
    legacy = legacy[legacy.province_code == code]
    new = pd.DataFrame(
        {
            "area_key": current.code,
            "code": current.code,
            "name": current.name,
            "short_name": current.short_name,
            "level": current.level,
            "parent_key": current.level.map({"province": None, "commune": code}),
            "province_code": code,
            "valid_from": REFORM_DATE,
            "valid_to": pd.NaT,
            "lat": current.lat,
            "lon": current.lon,
            "area_km2": current.area_km2,
        }
    )
    old = pd.DataFrame(
        {
            "area_key": "old:" + legacy.code,
            "code": legacy.code,
            "name": legacy.name,
            "short_name": legacy.short_name,
            "level": legacy.level,
            "parent_key": legacy.parent_code.map(lambda parent: f"old:{parent}" if parent else None),
            "province_code": code,
            "valid_from": pd.NaT,
            "valid_to": LAST_OLD_DATE,
            "lat": legacy.lat,
            "lon": legacy.lon,
            "area_km2": legacy.area_km2,
        }
    )
    table = pd.concat([new, old], ignore_index=True)[AREA_COLUMNS]
    table["valid_from"] = pd.to_datetime(table.valid_from)
    table["valid_to"] = pd.to_datetime(table.valid_to)
    return table


def areas(province_code: str) -> pd.DataFrame:
    """Current province and communes, and the old provinces/districts/communes now inside it."""
    return _areas(resolve_province(province_code).code).copy()


@lru_cache(maxsize=64)
def _crosswalk_for(code: str) -> pd.DataFrame:
    table = _crosswalk()
    return table.loc[table.province_code == code, CROSSWALK_COLUMNS].reset_index(drop=True)


def crosswalk(province_code: str) -> pd.DataFrame:
    """Old unit -> current unit with the share of the old unit that went to it."""
    return _crosswalk_for(resolve_province(province_code).code).copy()


def _read_geojson(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GeoError(f"{path}: cannot read boundaries ({exc}); rebuild with geo/build_boundaries.py") from None


@lru_cache(maxsize=64)
def _approximate_communes(code: str) -> dict:
    return _read_geojson(BOUNDARY_DIR / f"communes_{code}.geojson")


@lru_cache(maxsize=64)
def _legacy_boundaries(code: str) -> dict:
    return _read_geojson(BOUNDARY_DIR / f"legacy_{code}.geojson")


@lru_cache(maxsize=1)
def _province_features() -> dict[str, dict]:
    collection = _read_geojson(BOUNDARY_DIR / "provinces.geojson")
    return {feature["id"]: feature for feature in collection["features"]}


def _copy(collection: dict) -> dict:
    return {**collection, "features": [dict(feature) for feature in collection["features"]]}


def boundaries(province_code: str, official: Path | None = None) -> dict:
    """Current communes as a GeoJSON FeatureCollection (feature id = commune code).

    With `official`, the communes found in that file replace the approximate polygons;
    communes missing from it keep their approximate polygon (`approximate: true`)."""
    code = resolve_province(province_code).code
    if official is None:
        return _copy(_approximate_communes(code))
    path = Path(official)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise GeoError(f"{path}: boundary file not found") from None
    return _copy(_official_boundaries(path.resolve(), stamp, code))


def legacy_boundaries(province_code: str) -> dict:
    """Approximate polygons of the old provinces, districts and communes now inside the province
    (feature id = `old:<code>`, properties name, level, parent_key, approximate)."""
    return _copy(_legacy_boundaries(resolve_province(province_code).code))


def province_outline(province_code: str) -> dict:
    """The province as one GeoJSON Feature (id = province code)."""
    return dict(_province_features()[resolve_province(province_code).code])


def load_official_boundaries(path: Path, province_code: str) -> dict:
    """Read an official GeoJSON/Shapefile/GeoPackage and key its features by commune code."""
    path = Path(path)
    if not path.is_file():
        raise GeoError(f"{path}: boundary file not found")
    return _official_boundaries(path.resolve(), path.stat().st_mtime_ns, resolve_province(province_code).code)


@lru_cache(maxsize=8)
def _official_boundaries(path: Path, stamp: int, code: str) -> dict:
    communes = _current()
    communes = communes[(communes.level == "commune") & (communes.province_code == code)]
    shapes = _match_official(path, _read_official(path), communes)
    approximate = {feature["id"]: feature for feature in _approximate_communes(code)["features"]}
    features = []
    for row in communes.itertuples():
        if row.code in shapes:
            features.append({"type": "Feature", "id": row.code, "geometry": shapes[row.code],
                             "properties": {"name": row.name, "approximate": False}})
        else:
            features.append(approximate[row.code])
    return {"type": "FeatureCollection", "features": features}


_CODE_FIELDS = ("ma_xa", "maxa", "ma_dvhc", "madvhc", "ma", "code", "ward_code", "wardcode", "commune_code",
                "communecode", "xa_code", "id")
_NAME_FIELDS = ("ten_xa", "tenxa", "ten_dvhc", "ten", "name", "ward", "ward_name", "wardname", "commune",
                "commune_name", "xa")
_UNIT_TYPES = ("dac khu ", "thi tran ", "phuong ", "xa ")


def _read_official(path: Path):  # -> geopandas.GeoDataFrame (imported lazily: heavy)
    import geopandas

    try:
        frame = geopandas.read_file(path)
    except Exception as exc:  # pyogrio raises several unrelated types for unreadable files
        reason = str(exc).splitlines()[0].split(";")[0]
        raise GeoError(f"{path}: cannot read boundaries ({reason})") from None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        raise GeoError(f"{path}: no features with a geometry")
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise GeoError(f"{path}: no coordinate reference system and coordinates are not longitude/latitude")
        frame = frame.set_crs("EPSG:4326")
    return frame.to_crs("EPSG:4326")


def _code_value(value: object) -> str:
    text = str(value).strip().removesuffix(".0")
    return text.zfill(5) if text.isdigit() else text


def _name_value(value: object) -> str:
    text = normalise_name(str(value))
    for prefix in _UNIT_TYPES:
        if text.startswith(prefix):
            return text[len(prefix):].strip()
    return text


def _match_official(path: Path, frame, communes: pd.DataFrame) -> dict[str, dict]:
    import shapely
    from shapely.geometry import mapping

    fields = {normalise_name(column).replace(" ", "_"): column for column in frame.columns if column != "geometry"}
    short = communes.assign(key=communes.short_name.map(_name_value)).drop_duplicates("key", keep=False)
    by_code = dict(zip(communes.code, communes.code))
    by_name = dict(zip(short.key, short.code))
    candidates = [(fields[f], _code_value, by_code) for f in _CODE_FIELDS if f in fields]
    candidates += [(fields[f], _name_value, by_name) for f in _NAME_FIELDS if f in fields]
    best: pd.Series | None = None
    for column, normalise, lookup in candidates:
        matched = frame[column].map(normalise).map(lookup)
        if best is None or matched.notna().sum() > best.notna().sum():
            best = matched
    if best is None or best.notna().sum() == 0:
        looked = ", ".join(column for column, _, _ in candidates) or "none of " + ", ".join(_CODE_FIELDS[:4])
        raise GeoError(f"{path}: no feature matches a commune code or name of province "
                       f"{communes.province_code.iloc[0]} (looked at columns: {looked})")
    shapes: dict[str, dict] = {}
    for code, geometries in frame.geometry[best.notna()].groupby(best[best.notna()]):
        geometry = shapely.make_valid(shapely.union_all(geometries.to_numpy()))
        polygons = [part for part in shapely.get_parts(geometry) if part.geom_type in ("Polygon", "MultiPolygon")]
        if polygons:
            shapes[code] = mapping(shapely.set_precision(shapely.union_all(polygons), 1e-6))
    if not shapes:
        raise GeoError(f"{path}: the matched features have no polygon geometry")
    return shapes
