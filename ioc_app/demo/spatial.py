"""Random points inside commune polygons (vectorised rejection sampling with shapely)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.demo.context import DemoContext
from ioc_app.errors import GeoError

COORD_DECIMALS = 6


class CommuneShapes:
    """The current communes' polygons, keyed by commune code."""

    def __init__(self, ctx: DemoContext, official: Path | None = None) -> None:
        collection = geo.boundaries(ctx.province_code, official)
        self.source = official or f"approximate boundaries of province {ctx.province_code}"
        self.polygons = {str(f["id"]): shape(f["geometry"]) for f in collection["features"]}
        for polygon in self.polygons.values():
            shapely.prepare(polygon)

    def sample(self, code: str, n: int, rng: np.random.Generator, spread: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """n points inside the commune; with spread > 0, a share cluster around its centre."""
        polygon = self.polygons.get(code)
        if polygon is None:
            raise GeoError(f"{self.source}: no polygon for commune {code}")
        minx, miny, maxx, maxy = polygon.bounds
        centre = polygon.representative_point()
        lat, lon = np.empty(0), np.empty(0)
        for _ in range(200):
            if len(lat) >= n:
                break
            batch = max(16, 3 * (n - len(lat)))
            x = rng.uniform(minx, maxx, batch)
            y = rng.uniform(miny, maxy, batch)
            if spread > 0:
                near = rng.random(batch) < spread
                x[near] = centre.x + rng.normal(0, (maxx - minx) / 6, near.sum())
                y[near] = centre.y + rng.normal(0, (maxy - miny) / 6, near.sum())
            x, y = np.round(x, COORD_DECIMALS), np.round(y, COORD_DECIMALS)
            inside = shapely.contains_xy(polygon, x, y)
            lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
        if len(lat) < n:
            fill = n - len(lat)
            lon = np.concatenate([lon, np.full(fill, round(centre.x, COORD_DECIMALS))])
            lat = np.concatenate([lat, np.full(fill, round(centre.y, COORD_DECIMALS))])
        return lat[:n], lon[:n]

    def sample_many(self, codes: np.ndarray, rng: np.random.Generator,
                    spread: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """One point per entry of codes, each inside its own commune."""
        lat, lon = np.empty(len(codes)), np.empty(len(codes))
        for code in sorted(set(codes.tolist())):
            where = np.flatnonzero(codes == code)
            lat[where], lon[where] = self.sample(code, len(where), rng, spread)
        return lat, lon
