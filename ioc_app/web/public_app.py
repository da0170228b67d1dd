"""The public dashboard as a Dash app of its own, mounted under /public/ on the same server.

Its layout and callbacks are only those of layouts.public, which read only the published
store: the signed-in app's callbacks are not registered here, so a request to
/public/_dash-update-component can name no other output. It loads the shared Bootstrap and
fonts and its own light stylesheet, not the dark desk theme or the wall's scripts."""
from __future__ import annotations

from dash import Dash
from flask import Flask

from ioc_app.config import Settings

PUBLIC_PREFIX = "/public/"
# Assets of the signed-in app the public page does not load (desk theme, wall, write-back pages).
OTHER_ASSETS = r"^[123]\d-"


def create_public_app(server: Flask, settings: Settings, assets_folder: str, title: str) -> Dash:
    from layouts import public

    app = Dash(
        "ioc_public",
        server=server,
        url_base_pathname=PUBLIC_PREFIX,
        assets_folder=assets_folder,
        assets_ignore=OTHER_ASSETS,
        serve_locally=True,
        suppress_callback_exceptions=True,  # the page is built by the route callback
        title=title,
        update_title=None,
    )
    app.layout = public.layout
    public.register(app, settings)
    return app
