"""Turn the official area codes and coordinates of source rows into dim_area keys.

Sources carry the official code in use at the time of the record. A record dated before
1 July 2025 resolves to `old:<code>`, one dated on or after it to `<code>`. A report is
dated by the last day of its period: the units that exist when a period closes report it,
so the year 2025 belongs to the new province. For a period that spans the reform an old
code is still accepted when no current unit has it. Coordinates resolve to the current
commune whose boundary contains them.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from ioc_app.config import Settings

REFORM = pd.Timestamp("2025-07-01")
OLD_PREFIX = "old:"


class AreaIndex:
    """dim_area keys of the lake and the commune boundaries of the province."""

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
        self.settings = settings
        keys = con.execute("SELECT area_key, level FROM lake.main.dim_area").fetchall()
        self.levels: dict[str, str] = dict(keys)
        self.current = {key for key, level in keys if not key.startswith(OLD_PREFIX)}
        self._tree: shapely.STRtree | None = None
        self._codes: np.ndarray | None = None
        self._con = con
        self._successor: dict[str, str] | None = None

    def dated(self, codes: pd.Series, dates: pd.Series, starts: pd.Series | None = None) -> pd.Series:
        """Area key for each code at its date; None where no such unit exists (or no code).

        With `starts`, a record dated after the reform whose period started before it falls
        back to the old unit when no current unit has the code."""
        codes = codes.astype("string")
        old = OLD_PREFIX + codes
        before = (dates < REFORM).fillna(False).astype(bool)
        first = old.where(before, codes)
        second = codes.where(before, old)
        known = list(self.levels)
        result = first.where(first.isin(known).fillna(False).astype(bool))
        if starts is not None:
            spans = ~before & (starts < REFORM).fillna(False).astype(bool)
            take_second = result.isna() & spans & second.isin(known).fillna(False).astype(bool)
            result = result.where(~take_second, second)
        return _objects(result)

    def current_key(self, codes: pd.Series) -> pd.Series:
        """Key of a current unit with this code; None where the code is not a current unit."""
        codes = codes.astype("string")
        return _objects(codes.where(codes.isin(list(self.current)).fillna(False).astype(bool)))

    def locate(self, lat: pd.Series, lon: pd.Series) -> pd.Series:
        """Current commune code containing each point; None outside the province or without coordinates."""
        tree, codes = self._boundaries()
        result = pd.Series(None, index=lat.index, dtype=object)
        has_point = lat.notna() & lon.notna()
        if not has_point.any():
            return result
        points = shapely.points(lon[has_point].to_numpy(), lat[has_point].to_numpy())
        point_index, polygon_index = tree.query(points, predicate="intersects")
        first = pd.Series(polygon_index, index=point_index).groupby(level=0).first()
        located = pd.Series(None, index=np.arange(len(points)), dtype=object)
        located[first.index] = codes[first.to_numpy()]
        result[has_point[has_point].index] = located.to_numpy()
        return result

    def successor(self, keys: pd.Series) -> pd.Series:
        """Today's commune for each key: current keys unchanged, an old unit mapped to the
        current commune that received the largest share of it (dim_area_crosswalk)."""
        if self._successor is None:
            self._successor = dict(self._con.execute(
                "SELECT old_key, arg_max(new_key, weight) FROM lake.main.dim_area_crosswalk "
                "WHERE new_level = 'commune' GROUP BY old_key").fetchall())
        return _objects(keys.map(lambda key: self._successor.get(key, key) if isinstance(key, str) else None))

    def _boundaries(self) -> tuple[shapely.STRtree, np.ndarray]:
        if self._tree is None:
            from ioc_app.geo import boundaries  # polygons are only read when a source has coordinates

            collection = boundaries(self.settings.province_code, self.settings.geo.boundaries)
            features = collection["features"]
            self._codes = np.array([str(feature["id"]) for feature in features], dtype=object)
            self._tree = shapely.STRtree([shape(feature["geometry"]) for feature in features])
        return self._tree, self._codes


def _objects(values: pd.Series) -> pd.Series:
    """String series as Python objects with None for missing values."""
    return values.astype(object).where(values.notna(), None)
