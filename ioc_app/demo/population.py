"""A consistent population for the old districts, old provinces and current communes.

Each old district gets a population; a current commune receives the share of every district
that went into it (crosswalk weight). Any commune-level quantity can then be carried back
to the old districts with the same shares, so old and new totals agree by construction.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ioc_app.demo.context import DemoContext

_DISTRICT_KIND = {"Quận": 2.0, "Thành phố": 1.6, "Thị xã": 1.3, "Huyện": 1.0}


@dataclass(frozen=True)
class Population:
    communes: pd.DataFrame  # index commune code: name, short_name, pop, urban, area_km2, lat, lon
    districts: pd.DataFrame  # index old district code: name, old_province, pop
    old_provinces: pd.DataFrame  # index old province code: name, short_name, pop
    origin: np.ndarray  # [commune, district]: share of the commune's people who came from the district

    def to_districts(self, per_commune: np.ndarray) -> np.ndarray:
        return per_commune @ self.origin

    def to_old_provinces(self, per_commune: np.ndarray) -> pd.Series:
        per_district = pd.Series(self.to_districts(per_commune), index=self.districts.index)
        return per_district.groupby(self.districts["old_province"]).sum().reindex(self.old_provinces.index)

    def urban_share(self) -> float:
        return float(self.communes.loc[self.communes["urban"], "pop"].sum() / self.communes["pop"].sum())


def _kind_factor(name: str) -> float:
    return next((factor for prefix, factor in _DISTRICT_KIND.items() if name.startswith(prefix)), 1.0)


def build_population(ctx: DemoContext) -> Population:
    rng = ctx.rng("population")
    communes = ctx.communes.set_index("code")
    districts = ctx.level("old_district").set_index("code")
    old_provinces = ctx.level("old_province").set_index("code")
    old_communes = ctx.level("old_commune")
    commune_count = old_communes["parent_key"].value_counts()
    size = np.array([commune_count.get(f"old:{code}", 1) for code in districts.index], dtype=float)
    size *= np.array([_kind_factor(name) for name in districts["name"]])
    size *= rng.lognormal(0.0, 0.15, len(size))
    total = ctx.profile.population * 1_000_000
    district_pop = size / size.sum() * total

    links = ctx.crosswalk[ctx.crosswalk["old_level"] == "old_district"]
    d_index = {f"old:{code}": i for i, code in enumerate(districts.index)}
    c_index = {code: i for i, code in enumerate(communes.index)}
    flow = np.zeros((len(communes), len(districts)))
    for old_key, new_key, weight in links[["old_key", "new_key", "weight"]].itertuples(index=False):
        if old_key in d_index and str(new_key) in c_index:
            flow[c_index[str(new_key)], d_index[old_key]] += weight * district_pop[d_index[old_key]]
    commune_pop = flow.sum(axis=1)
    orphan = commune_pop <= 0
    if orphan.any():
        commune_pop[orphan] = np.median(commune_pop[~orphan]) if (~orphan).any() else total / len(commune_pop)
        flow[orphan, 0] = commune_pop[orphan]
    origin = flow / commune_pop[:, None]
    district_pop = commune_pop @ origin

    names = communes["name"].astype(str)
    commune_table = pd.DataFrame(
        {
            "name": names,
            "short_name": communes["short_name"].astype(str),
            "pop": commune_pop,
            "urban": names.str.startswith("Phường").to_numpy(),
            "area_km2": communes["area_km2"].fillna(communes["area_km2"].median()).clip(lower=0.5),
            "lat": communes["lat"],
            "lon": communes["lon"],
        },
        index=communes.index,
    )
    district_table = pd.DataFrame(
        {
            "name": districts["name"].astype(str),
            "old_province": districts["parent_key"].astype(str).str.removeprefix("old:"),
            "pop": district_pop,
        },
        index=districts.index,
    )
    province_pop = district_table.groupby("old_province")["pop"].sum().reindex(old_provinces.index).fillna(0.0)
    province_table = pd.DataFrame(
        {"name": old_provinces["name"].astype(str), "short_name": old_provinces["short_name"].astype(str),
         "pop": province_pop},
        index=old_provinces.index,
    )
    return Population(commune_table, district_table, province_table, origin)
