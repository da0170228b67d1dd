"""The part of the area tree a user may see.

A scope is either the whole province (`area_keys` None) or a set of area keys (a commune,
or the communes of a unit's subtree). `home_key` is the area whose aggregated figures stand
for the scope where a page shows one figure (headline tiles, a trend): the province for the
whole province, else the unit's own area. An empty set sees nothing (fail closed).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    province_code: str
    area_keys: frozenset[str] | None = None  # None: the whole province
    home_key: str | None = None  # restricted scopes: the area standing for the whole scope

    @property
    def whole_province(self) -> bool:
        return self.area_keys is None

    def area_filter(self, column: str) -> tuple[str, list]:
        """SQL condition and parameters restricting `column` to this scope."""
        if self.area_keys is None:
            return "TRUE", []
        return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [sorted(self.area_keys)]

    def home_filter(self, alias: str) -> tuple[str, list]:
        """SQL condition on `alias` (a dim_area row) selecting the one area that stands for the scope."""
        if self.area_keys is None:
            return f"{alias}.level = 'province' AND {alias}.code = ?", [self.province_code]
        if self.home_key is None or self.home_key not in self.area_keys:
            return "FALSE", []
        return f"{alias}.area_key = ?", [self.home_key]


def scoped_geojson(geojson: dict, scope: Scope) -> dict:
    """The features (communes, keyed by code) that lie in the scope: a commune's account gets
    no other commune's shape or name on its maps."""
    if scope.area_keys is None:
        return geojson
    return {**geojson, "features": [f for f in geojson["features"] if str(f["id"]) in scope.area_keys]}
