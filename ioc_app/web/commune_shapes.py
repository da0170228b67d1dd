"""The communes' shapes, fetched by the browser once per page instead of sent in every map answer.

Given a URL as a choropleth's `geojson`, plotly.js fetches it once and keeps it for the page.
Sent inline, the province's polygons went into every map callback's answer and plotly.py
deep-copied them at each figure update (docs/performance.md, "Map shapes by URL"). The answer
holds only the communes of the signed-in account's scope, and the URL carries a digest of that
answer, so a browser's cache never gives one account's shapes to another.
"""
from __future__ import annotations

import hashlib
import json
import threading
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, request

from ioc_app.config import Settings
from ioc_app.geo import boundaries
from ioc_app.queries.scope import Scope, scoped_geojson

PATH = "/geo/communes.geojson"


class CommuneShapes:
    """The current communes of one province, as drawn for each scope."""

    def __init__(self, geojson: dict) -> None:
        self.geojson = geojson
        self.approximate = any(f["properties"].get("approximate") for f in geojson["features"])
        self._encoded: dict[frozenset[str] | None, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def codes(self, scope: Scope) -> list[str]:
        """The codes of the communes in `scope` (the feature ids the URL's answer holds)."""
        return [str(f["id"]) for f in scoped_geojson(self.geojson, scope)["features"]]

    def encoded(self, scope: Scope) -> tuple[bytes, str]:
        """The GeoJSON of the communes in `scope`, and its digest."""
        with self._lock:
            found = self._encoded.get(scope.area_keys)
        if found is None:
            body = json.dumps(scoped_geojson(self.geojson, scope), ensure_ascii=False,
                              separators=(",", ":")).encode()
            found = (body, hashlib.sha256(body).hexdigest()[:20])
            with self._lock:
                self._encoded[scope.area_keys] = found
        return found

    def url(self, scope: Scope) -> str:
        """Where a map of `scope` fetches its shapes."""
        return f"{PATH}?v={self.encoded(scope)[1]}"


@lru_cache(maxsize=8)
def _shapes(province_code: str, official: Path | None) -> CommuneShapes:
    return CommuneShapes(boundaries(province_code, official))


def commune_shapes(settings: Settings) -> CommuneShapes:
    """The shapes of the configured province (official boundaries where configured), made once."""
    return _shapes(settings.province_code, settings.geo.boundaries)


def install_commune_shapes(server: Flask, settings: Settings) -> None:
    """`GET /geo/communes.geojson`: the shapes of the signed-in account's scope (the sign-in check
    of ioc_app.web.auth applies); cached by the browser and revalidated by its digest."""
    from ioc_app.web.access import current_scope

    @server.get(PATH)
    def communes_geojson() -> Response:
        body, digest = commune_shapes(settings).encoded(current_scope(settings))
        response = Response(body, mimetype="application/geo+json")
        response.cache_control.private = True
        response.cache_control.max_age = 86_400
        response.set_etag(digest)
        return response.make_conditional(request)
