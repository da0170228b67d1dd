"""Build approximate boundary polygons under geo/boundaries/ from the committed unit files.

Run once after geo/build_units.py:
    .venv/bin/python geo/build_boundaries.py [--natural-earth countries-10m.json]

Method: Voronoi cells of the old (pre-2025) commune centroids, clipped to the national
outline of Natural Earth 1:10m (public domain; read from the TopoJSON of the npm package
world-atlas 2.0.2 when --natural-earth is given, otherwise from the committed
vietnam_outline.geojson). Old districts and provinces are dissolved from these cells;
each current commune is the union of the old cells that formed it (an old commune divided
among several new ones is split by Voronoi of seeds inside its cell); current provinces
are dissolved from their communes. Bad centroids (far from the other communes of their
district, or duplicated) are moved first; islands lying outside the outline get a disk of
their official area.
"""
from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity, ops
from shapely.geometry import MultiPolygon, Point, Polygon, mapping

GEO_DIR = Path(__file__).resolve().parent
OUT_DIR = GEO_DIR / "boundaries"
OUTLINE_FILE = OUT_DIR / "vietnam_outline.geojson"
KM_PER_DEGREE = 111.32
OUTLINE_TOLERANCE = 0.002  # degrees, about 200 m
PRECISION = 1e-5  # degrees, about 1 m
ATTRIBUTION = "Made with Natural Earth (public domain), 1:10m admin-0 countries, via npm world-atlas 2.0.2"


def read_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    codes = {"code": str, "province_code": str, "parent_code": str, "new_key": str}
    current = pd.read_csv(GEO_DIR / "units_2025.csv", dtype=codes)
    legacy = pd.read_csv(GEO_DIR / "units_legacy.csv", dtype=codes)
    crosswalk = pd.read_csv(GEO_DIR / "crosswalk.csv", dtype=codes)
    return current, legacy, crosswalk


def load_outline(natural_earth: Path | None) -> shapely.Geometry:
    if natural_earth is not None:
        countries = gpd.read_file(natural_earth, layer="countries")
        vietnam = shapely.make_valid(countries.loc[countries["name"] == "Vietnam"].geometry.iloc[0])
        outline = shapely.simplify(vietnam, OUTLINE_TOLERANCE, preserve_topology=True)
        outline = shapely.set_precision(outline, PRECISION)
        feature = {
            "type": "Feature",
            "id": "VN",
            "properties": {"name": "Việt Nam", "source": ATTRIBUTION, "simplified_degrees": OUTLINE_TOLERANCE},
            "geometry": mapping(outline),
        }
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        OUTLINE_FILE.write_text(json.dumps(feature, ensure_ascii=False), encoding="utf-8")
    return shapely.geometry.shape(json.loads(OUTLINE_FILE.read_text(encoding="utf-8"))["geometry"])


def km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    scale = np.cos(np.radians((np.asarray(lat1) + np.asarray(lat2)) / 2))
    return KM_PER_DEGREE * np.hypot(np.asarray(lat1) - lat2, (np.asarray(lon1) - lon2) * scale)


def radius_km(area_km2: np.ndarray | float) -> np.ndarray:
    return np.sqrt(np.maximum(np.asarray(area_km2, dtype=float), 0.05) / math.pi)


def seeds(current: pd.DataFrame, legacy: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """One seed per old commune (and per old district that had no communes), with a checked position."""
    communes = current[current.level == "commune"].set_index("code")
    old_links = crosswalk[crosswalk.old_level.isin(["old_commune", "old_district"])]
    main_target = old_links.sort_values("weight").groupby("old_key").new_key.last()
    old = legacy[legacy.level == "old_commune"].copy()
    old["district"] = old.parent_code
    districts = legacy[legacy.level == "old_district"]
    empty = districts[~districts.code.isin(old.parent_code)].copy()
    empty["district"] = empty.code
    empty["target"] = main_target.loc["old:" + empty.code].to_numpy()
    empty["lat"] = communes.loc[empty.target, "lat"].to_numpy()
    empty["lon"] = communes.loc[empty.target, "lon"].to_numpy()
    empty["area_km2"] = communes.loc[empty.target, "area_km2"].to_numpy()
    old["target"] = main_target.loc["old:" + old.code].to_numpy()
    old = move_bad_points(old, communes, legacy)
    table = pd.concat([old, empty], ignore_index=True)
    table["key"] = "old:" + table.code
    return spread_duplicates(table)


def move_bad_points(old: pd.DataFrame, communes: pd.DataFrame, legacy: pd.DataFrame) -> pd.DataFrame:
    """A point far from its district's other communes is replaced by the best candidate:
    the centre of its bounding box, the centroid of the new commune it went to, or the
    district centre; candidates are judged by distance to the district's median point."""
    old = old.copy()
    district_area = legacy[legacy.level == "old_district"].set_index("code").area_km2
    centre = old.groupby("district")[["lat", "lon"]].median()
    c_lat = centre.lat.loc[old.district].to_numpy()
    c_lon = centre.lon.loc[old.district].to_numpy()
    tolerance = 2.0 * radius_km(district_area.loc[old.district].to_numpy()) + 3.0
    candidates = {
        "point": (old.lat.to_numpy(), old.lon.to_numpy()),
        "bounds": (((old.min_lat + old.max_lat) / 2).to_numpy(), ((old.min_lon + old.max_lon) / 2).to_numpy()),
        "new": (communes.loc[old.target, "lat"].to_numpy(), communes.loc[old.target, "lon"].to_numpy()),
        "district": (c_lat, c_lon),
    }
    distance = {name: km(lat, lon, c_lat, c_lon) for name, (lat, lon) in candidates.items()}
    choice = np.full(len(old), "district", dtype=object)
    for name in ("new", "bounds", "point"):
        ok = np.nan_to_num(distance[name], nan=np.inf) <= tolerance
        choice = np.where(ok, name, choice)
    for name, (lat, lon) in candidates.items():
        mask = choice == name
        old.loc[mask, "lat"] = lat[mask]
        old.loc[mask, "lon"] = lon[mask]
    print(f"district check moved {int((choice != 'point').sum())} of {len(old)} old commune centroids: "
          + ", ".join(f"{name} {int((choice == name).sum())}" for name in ("bounds", "new", "district")))
    return check_against_new_commune(old, communes)


def check_against_new_commune(old: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """The old communes merged into one new commune are neighbours: one far from the median
    of its fellows and the new centroid goes to its bounding-box centre or to that median."""
    old = old.copy()
    new_lat = communes.loc[old.target, "lat"].to_numpy()
    new_lon = communes.loc[old.target, "lon"].to_numpy()
    fellows = pd.DataFrame({"target": old.target.to_numpy(), "lat": old.lat.to_numpy(), "lon": old.lon.to_numpy()})
    extra = pd.DataFrame({"target": communes.index, "lat": communes.lat.to_numpy(), "lon": communes.lon.to_numpy()})
    reference = pd.concat([fellows, extra]).groupby("target")[["lat", "lon"]].median()
    r_lat = reference.lat.loc[old.target].to_numpy()
    r_lon = reference.lon.loc[old.target].to_numpy()
    tolerance = 2.0 * radius_km(communes.loc[old.target, "area_km2"].fillna(1.0).to_numpy()) + 2.0
    far = km(old.lat.to_numpy(), old.lon.to_numpy(), r_lat, r_lon) > tolerance
    b_lat = ((old.min_lat + old.max_lat) / 2).to_numpy()
    b_lon = ((old.min_lon + old.max_lon) / 2).to_numpy()
    bounds_ok = np.nan_to_num(km(b_lat, b_lon, r_lat, r_lon), nan=np.inf) <= tolerance
    new_ok = km(new_lat, new_lon, r_lat, r_lon) <= tolerance
    lat = np.where(bounds_ok, b_lat, np.where(new_ok, new_lat, r_lat))
    lon = np.where(bounds_ok, b_lon, np.where(new_ok, new_lon, r_lon))
    old["lat"] = np.where(far, lat, old.lat)
    old["lon"] = np.where(far, lon, old.lon)
    print(f"new-commune check moved {int(far.sum())} old commune centroids")
    return old


def spread_duplicates(table: pd.DataFrame) -> pd.DataFrame:
    """Seeds sharing a position are put on a small ring around it (Voronoi needs distinct points)."""
    table = table.copy()
    position = table.lat.round(5).astype(str) + "," + table.lon.round(5).astype(str)
    for _, index in table.groupby(position).groups.items():
        if len(index) < 2:
            continue
        ring = 0.4 * float(radius_km(table.loc[index, "area_km2"].mean())) / KM_PER_DEGREE
        angles = 2 * np.pi * np.arange(len(index)) / len(index)
        lat0, lon0 = table.loc[index[0], ["lat", "lon"]]
        table.loc[index, "lat"] = lat0 + ring * np.sin(angles)
        table.loc[index, "lon"] = lon0 + ring * np.cos(angles) / math.cos(math.radians(lat0))
    return table


def disk(lat: float, lon: float, area_km2: float) -> shapely.Geometry:
    radius = float(radius_km(area_km2)) / KM_PER_DEGREE
    circle = Point(lon, lat).buffer(radius, quad_segs=8)
    return affinity.scale(circle, xfact=1 / math.cos(math.radians(lat)), yfact=1.0)


def area_km2(geometry: shapely.Geometry) -> float:
    if geometry.is_empty:
        return 0.0
    lat = geometry.centroid.y
    return geometry.area * KM_PER_DEGREE**2 * math.cos(math.radians(lat))


def old_cells(table: pd.DataFrame, outline: shapely.Geometry) -> list[shapely.Geometry]:
    points = shapely.points(table.lon.to_numpy(), table.lat.to_numpy())
    frame = shapely.box(*outline.buffer(2.0).bounds)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True))
    shapely.prepare(outline)
    inside = shapely.contains(outline, cells)
    clipped = np.where(inside, cells, shapely.intersection(cells, outline))
    result = []
    for cell, geometry, row in zip(cells, clipped, table.itertuples()):
        expected = max(float(row.area_km2), 0.05)
        if area_km2(geometry) < 0.05 * expected:
            geometry = shapely.union(geometry, shapely.intersection(cell, disk(row.lat, row.lon, expected)))
        result.append(polygonal(geometry))
    return result


def polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Only the (multi)polygon part of a geometry, valid."""
    geometry = shapely.make_valid(geometry)
    parts = [part for part in shapely.get_parts(geometry) if isinstance(part, (Polygon, MultiPolygon))]
    polygons = [poly for part in parts for poly in shapely.get_parts(part) if not poly.is_empty]
    if not polygons:
        return Polygon()
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def split_divided(
    cell: shapely.Geometry, targets: list[str], communes: pd.DataFrame, keep_far: set[str]
) -> dict[str, shapely.Geometry]:
    """Share an old commune's cell among the new communes it was divided into."""
    near = []
    for code in targets:
        target = Point(communes.at[code, "lon"], communes.at[code, "lat"])
        if code in keep_far or cell.distance(target) * KM_PER_DEGREE < 10 + 3 * radius_km(area_km2(cell)):
            near.append(code)
    near = near or targets
    if len(near) == 1:
        return {near[0]: cell}
    inner = cell.buffer(-0.0005) if area_km2(cell.buffer(-0.0005)) > 0 else cell
    anchor = inner.point_on_surface()
    points = []
    for index, code in enumerate(near):
        target = Point(communes.at[code, "lon"], communes.at[code, "lat"])
        if not inner.contains(target):
            edge = ops.nearest_points(inner, target)[0]
            target = shapely.line_interpolate_point(shapely.LineString([edge, anchor]), 0.1 + 0.02 * index, normalized=True)
        points.append(target)
    coords = np.array([[p.x, p.y] for p in points])
    for index in range(len(coords)):
        while any(np.allclose(coords[index], coords[other], atol=1e-7) for other in range(index)):
            coords[index] += [1e-5 * (index + 1), 1e-5]
    voronoi = shapely.voronoi_polygons(shapely.multipoints(coords), extend_to=cell.envelope.buffer(0.1), ordered=True)
    pieces = {code: polygonal(shapely.intersection(part, cell)) for code, part in zip(near, shapely.get_parts(voronoi))}
    return {code: piece for code, piece in pieces.items() if not piece.is_empty}


def new_commune_shapes(
    table: pd.DataFrame, cells: list[shapely.Geometry], crosswalk: pd.DataFrame, communes: pd.DataFrame
) -> dict[str, shapely.Geometry]:
    links = crosswalk[crosswalk.old_key.isin(table.key)]
    targets = links.groupby("old_key").new_key.agg(list)
    whole_contributors = set(links[links.weight >= 0.999999].new_key)
    parts: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for key, cell in zip(table.key, cells):
        codes = targets.loc[key]
        if len(codes) == 1:
            parts[codes[0]].append(cell)
            continue
        keep_far = {code for code in codes if code not in whole_contributors}
        for code, piece in split_divided(cell, codes, communes, keep_far).items():
            parts[code].append(piece)
    missing = set(communes.index) - set(parts)
    if missing:
        raise SystemExit(f"no polygon for new communes {sorted(missing)[:5]}")
    return {code: polygonal(shapely.union_all(geoms)) for code, geoms in parts.items()}


def dissolve(shapes: dict[str, shapely.Geometry], parent: dict[str, str]) -> dict[str, shapely.Geometry]:
    groups: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for code, geometry in shapes.items():
        groups[parent[code]].append(geometry)
    return {code: polygonal(shapely.union_all(geoms)) for code, geoms in groups.items()}


def rounded(geometry: shapely.Geometry) -> shapely.Geometry:
    result = polygonal(shapely.set_precision(geometry, PRECISION))
    return result if not result.is_empty else geometry


def feature(area_key: str, geometry: shapely.Geometry, **properties: object) -> dict:
    return {"type": "Feature", "id": area_key, "properties": {**properties, "approximate": True},
            "geometry": mapping(rounded(geometry))}


def write(path: Path, features: list[dict]) -> None:
    collection = {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--natural-earth", type=Path, help="countries-10m.json of npm world-atlas 2.0.2")
    args = parser.parse_args()
    current, legacy, crosswalk = read_tables()
    outline = load_outline(args.natural_earth)
    communes = current[current.level == "commune"].set_index("code")
    table = seeds(current, legacy, crosswalk)
    cells = old_cells(table, outline)
    old_commune_shapes = {code: cell for code, cell, kind in zip(table.code, cells, table.level) if kind == "old_commune"}
    district_parent = dict(zip(table.code, table.district))
    districts = dissolve({code: cell for code, cell in zip(table.code, cells)}, district_parent)
    old_district_rows = legacy[legacy.level == "old_district"]
    old_provinces = dissolve(districts, dict(zip(old_district_rows.code, old_district_rows.parent_code)))
    new_communes = new_commune_shapes(table, cells, crosswalk, communes)
    new_provinces = dissolve(new_communes, communes.province_code.to_dict())

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    province_rows = current[current.level == "province"].set_index("code")
    write(OUT_DIR / "provinces.geojson",
          [feature(code, new_provinces[code], name=row["name"]) for code, row in province_rows.iterrows()])
    for province in province_rows.index:
        members = communes[communes.province_code == province]
        write(OUT_DIR / f"communes_{province}.geojson",
              [feature(code, new_communes[code], name=row["name"]) for code, row in members.iterrows()])
        old_units = legacy[legacy.province_code == province]
        shapes = {"old_province": old_provinces, "old_district": districts, "old_commune": old_commune_shapes}
        write(OUT_DIR / f"legacy_{province}.geojson", [
            feature(f"old:{row.code}", shapes[row.level][row.code], name=row.name, level=row.level,
                    parent_key=f"old:{row.parent_code}" if isinstance(row.parent_code, str) else None)
            for row in old_units.itertuples()
        ])
    size = sum(path.stat().st_size for path in OUT_DIR.iterdir())
    print(f"wrote {len(list(OUT_DIR.iterdir()))} files, {size / 1e6:.1f} MB, to {OUT_DIR}")


if __name__ == "__main__":
    main()
