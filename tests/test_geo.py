import json
import time

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.errors import ConfigError, GeoError


def test_current_and_old_unit_counts():
    codes = geo.provinces().code
    assert len(codes) == 34 and codes.is_unique
    all_areas = [geo.areas(code) for code in codes]
    communes = sum(int((table.level == "commune").sum()) for table in all_areas)
    old_provinces = sum(int((table.level == "old_province").sum()) for table in all_areas)
    old_communes = sum(int((table.level == "old_commune").sum()) for table in all_areas)
    assert (communes, old_provinces, old_communes) == (3321, 63, 10035)


@pytest.mark.parametrize("text", ["Vĩnh Long", "vinh long", "86", "Tỉnh Vĩnh Long", "VINHLONG"])
def test_resolve_province_accepts_names_and_codes(text):
    assert geo.resolve_province(text) == geo.Province("86", "Tỉnh Vĩnh Long", "Vĩnh Long")


def test_resolve_province_unknown_lists_close_matches():
    with pytest.raises(ConfigError, match="Vĩnh Long"):
        geo.resolve_province("Vinh Lon")
    with pytest.raises(ConfigError, match="became part of Vĩnh Long"):
        geo.resolve_province("Bến Tre")


def test_vinh_long_contains_its_three_old_provinces():
    areas = geo.areas("86")
    old = areas[areas.level == "old_province"]
    assert set(old.area_key) == {"old:83", "old:84", "old:86"}
    assert (areas.level == "old_district").sum() == 26
    assert (areas.level == "old_commune").sum() == 354
    assert (areas.level == "commune").sum() == 124
    assert list(areas.columns) == geo.AREA_COLUMNS
    commune = areas.set_index("area_key").loc["old:29272"]
    assert commune.level == "old_commune" and commune.valid_to == geo.LAST_OLD_DATE
    district_key = commune.parent_key
    assert areas.set_index("area_key").loc[district_key, "parent_key"] in {"old:83", "old:84", "old:86"}


def test_crosswalk_weights_sum_to_one_and_reach_current_units():
    for code in ("86", "01", "79"):
        links = geo.crosswalk(code)
        current = set(geo.areas(code).query("level in ['province', 'commune']").area_key)
        assert set(links.new_key) == current
        assert list(links.columns) == geo.CROSSWALK_COLUMNS
        assert links.groupby("old_key").weight.sum().sub(1).abs().max() < 1e-5
        assert (links.weight > 0).all()
    links = geo.crosswalk("86")
    assert set(links[links.old_level == "old_province"].old_key) == {"old:83", "old:84", "old:86"}
    assert set(geo.areas("86").query("level != 'province' and level != 'commune'").area_key) == set(links.old_key)


def test_every_commune_has_one_valid_polygon():
    for code in geo.provinces().code:
        communes = geo.areas(code).query("level == 'commune'").code
        features = geo.boundaries(code)["features"]
        assert [feature["id"] for feature in features] == list(communes)
        for feature in features:
            geometry = shape(feature["geometry"])
            assert geometry.geom_type in ("Polygon", "MultiPolygon") and geometry.is_valid and not geometry.is_empty
            assert feature["properties"]["approximate"] is True


def test_province_outline_and_legacy_boundaries():
    outline = geo.province_outline("Vĩnh Long")
    assert outline["id"] == "86" and shape(outline["geometry"]).contains(shapely.Point(106.0, 10.0))
    legacy = geo.legacy_boundaries("86")["features"]
    assert len(legacy) == 3 + 26 + 354
    assert all(shape(feature["geometry"]).is_valid for feature in legacy)


def test_loading_one_province_is_fast():
    geo._approximate_communes.cache_clear()
    started = time.perf_counter()
    geo.boundaries("79")
    assert time.perf_counter() - started < 1.0


def _official_frame(code_column):
    features = geo.boundaries("86")["features"][:3]
    return gpd.GeoDataFrame(
        {code_column: [int(feature["id"]) for feature in features],
         "TEN_XA": [feature["properties"]["name"] for feature in features]},
        geometry=[shape(feature["geometry"]) for feature in features],
        crs="EPSG:4326",
    ), [feature["id"] for feature in features]


def test_official_boundaries_are_matched_by_code_and_reprojected(tmp_path):
    frame, codes = _official_frame("MA_XA")
    path = tmp_path / "official.gpkg"
    frame.to_crs("EPSG:3405").to_file(path)
    features = geo.boundaries("86", official=path)["features"]
    official = {feature["id"]: feature for feature in features if not feature["properties"]["approximate"]}
    assert set(official) == set(codes)
    assert len(features) == 124
    minx, miny, maxx, maxy = shape(official[codes[0]]["geometry"]).bounds
    assert 105 < minx < maxx < 107.5 and 9 < miny < maxy < 11


def test_official_boundaries_matched_by_name(tmp_path):
    frame, codes = _official_frame("OTHER")
    path = tmp_path / "official.geojson"
    frame.assign(OTHER=0).to_file(path)
    official = [f["id"] for f in geo.boundaries("86", official=path)["features"] if not f["properties"]["approximate"]]
    assert official == codes


def test_official_boundaries_errors_name_the_file(tmp_path):
    with pytest.raises(GeoError, match="missing.geojson: boundary file not found"):
        geo.boundaries("86", official=tmp_path / "missing.geojson")
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "Featu', encoding="utf-8")
    with pytest.raises(GeoError, match="broken.geojson: cannot read"):
        geo.boundaries("86", official=broken)
    unmatched = tmp_path / "unmatched.geojson"
    unmatched.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ma_xa": "99999"},
         "geometry": {"type": "Point", "coordinates": [106.0, 10.0]}}]}), encoding="utf-8")
    with pytest.raises(GeoError, match="unmatched.geojson: no feature matches"):
        geo.boundaries("86", official=unmatched)
