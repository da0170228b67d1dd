"""Page frame shared by every desk view: header with navigation, clock, user and language."""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from dash import Dash, Input, Output, dcc, html
from flask import session
from flask_login import current_user

from ioc_app.config import Settings
from ioc_app.opdb.session import session_scope
from ioc_app.opdb.users import name_of_role
from ioc_app.web.access import has_role
from ioc_app.web.i18n import t
from ioc_app.web.language import asked_lang, current_lang
from ioc_app.web.lake_reader import LakeReader
from ioc_app.web.query_cache import QueryCache
from ioc_app.web.announcements import banner_children, banners
from ioc_app.web.opdb import opdb_engine
from layouts import (accounts, announcements, approvals, audit, catalogs, compliance, devices, entry, feedback,
                     indicators, overview, pipelines, publishing, wall)


@dataclass(frozen=True)
class Page:
    path: str
    title_key: str
    module: ModuleType
    roles: tuple[str, ...] | None = None  # None: every signed-in role
    kiosk: bool = False  # no header: the page is the whole screen (the control-room wall)
    group: str | None = None  # a menu of the header ("reporting", "admin"); None: a link of its own


ANNOUNCEMENT_POLL_MS = 60_000

PAGES = (
    Page("/", "overview", overview),
    Page("/indicators", "indicators", indicators, indicators.ROLES),
    Page("/feedback", "feedback", feedback, feedback.ROLES),
    Page("/devices", "devices", devices, devices.ROLES),
    Page("/entry", "entry", entry, entry.ROLES, group="reporting"),
    Page("/approvals", "approvals", approvals, approvals.ROLES, group="reporting"),
    Page("/compliance", "compliance", compliance, compliance.ROLES, group="reporting"),
    Page("/publishing", "publishing", publishing, publishing.ROLES, group="reporting"),
    Page("/catalogs", "catalogs", catalogs, catalogs.ROLES, group="admin"),
    Page("/accounts", "accounts", accounts, accounts.ROLES, group="admin"),
    Page("/audit", "audit", audit, audit.ROLES, group="admin"),
    Page("/pipelines", "pipelines", pipelines, pipelines.ROLES, group="admin"),
    Page("/announcements", "announcements", announcements, announcements.ROLES, group="admin"),
    Page("/wall", "wall", wall, kiosk=True),
)


def layout() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url"),
            dcc.Interval(id="clock-tick", interval=15_000),
            dcc.Interval(id="announcement-tick", interval=ANNOUNCEMENT_POLL_MS),
            # Maintenance announcements on every page, the wall included (shown larger there).
            html.Div(id="ioc-announcement", className="ioc-announcement", role="status"),
            html.Header(id="ioc-header", className="ioc-header"),
            html.Main(id="page", className="ioc-page"),
        ],
        className="ioc-root",
    )


def _page_lang(search: str | None) -> str:
    """The language the page's URL asks for (`?lang=en`), else the session's. The page load put
    it into the session already (ioc_app.web.language); `route` puts it there again, because a
    response that was under way then (a sign-in, say) may have re-sent the older cookie."""
    return asked_lang((search or "").lstrip("?")) or current_lang()


def _allowed(page: Page) -> bool:
    return page.roles is None or has_role(*page.roles)


def _link(page: Page, lang: str, pathname: str) -> dcc.Link:
    return dcc.Link(t(page.title_key, lang), href=page.path,
                    className="ioc-nav-link" + (" active" if page.path == pathname else ""))


def _nav(pages: list[Page], lang: str, pathname: str) -> list:
    """Links of their own, and a menu per group that folds its pages (a native <details>: keyboard
    operable, no script); a group with one page is a link of its own."""
    items, groups = [], {}
    for page in pages:
        if page.group is None:
            items.append(page)
        else:
            if page.group not in groups:
                items.append(page.group)
            groups.setdefault(page.group, []).append(page)
    nav = []
    for item in items:
        if isinstance(item, Page):
            nav.append(_link(item, lang, pathname))
        elif len(groups[item]) == 1:
            nav.append(_link(groups[item][0], lang, pathname))
        else:
            here = any(page.path == pathname for page in groups[item])
            nav.append(html.Details([
                html.Summary(t(f"nav_{item}", lang), className="ioc-nav-summary" + (" here" if here else "")),
                html.Div([_link(page, lang, pathname) for page in groups[item]], className="ioc-nav-menu"),
            ], className="ioc-nav-group"))
    return nav


def _header(province_name: str, lang: str, pathname: str) -> list:
    other = "en" if lang == "vi" else "vi"
    name = (current_user.full_name or current_user.username) if current_user.is_authenticated else ""
    nav = _nav([page for page in PAGES if _allowed(page)], lang, pathname)
    return [
        html.Div([
            html.Div("IOC", className="ioc-emblem", **{"aria-hidden": "true"}),
            html.Div([
                html.Div(t("app_title", lang), className="ioc-title"),
                html.Div(province_name, className="ioc-subtitle"),
            ]),
            html.Nav(nav, className="ioc-nav", **{"aria-label": "main"}) if len(nav) > 1 else None,
        ], className="ioc-brand"),
        html.Div([
            html.Div(id="ioc-clock", className="ioc-clock", **{"aria-live": "off"}),
            html.Span(name, className="ioc-user"),
            html.A(t("language", lang), href=f"?lang={other}", className="ioc-link", id="lang-switch"),
            html.A(t("password_title", lang), href="/account/password", className="ioc-link"),
            html.A(t("logout", lang), href="/logout", className="ioc-link"),
        ], className="ioc-header-right"),
    ]


def register(app: Dash, settings: Settings, reader: LakeReader, province) -> None:
    cache = QueryCache(reader)
    by_path = {page.path: page for page in PAGES}

    def role_names(codes: tuple[str, ...], lang: str) -> str:
        with session_scope(opdb_engine(settings.database_url)) as db:
            return ", ".join(name_of_role(db, code, lang) for code in codes)

    @app.callback(Output("ioc-header", "children"), Output("page", "children"), Input("url", "pathname"),
                  Input("url", "search"))
    def route(pathname: str | None, search: str | None):
        lang, pathname = _page_lang(search), pathname or "/"
        session["lang"] = lang
        page = by_path.get(pathname)
        if page is None:
            body = html.P(t("not_found", lang), className="ioc-message")
        elif not _allowed(page):
            body = html.P(t("forbidden", lang, roles=role_names(page.roles, lang)), className="ioc-message",
                          id="forbidden")
        else:
            body = page.module.layout(lang)
            if page.kiosk:
                return None, body
        return _header(province.name, lang, pathname), body

    @app.callback(Output("ioc-announcement", "children"), Output("ioc-announcement", "className"),
                  Input("url", "pathname"), Input("url", "search"), Input("announcement-tick", "n_intervals"))
    def announcement(pathname: str | None, search: str | None, _):
        page = by_path.get(pathname or "/")
        wall_screen = page is not None and page.kiosk
        items = banners(opdb_engine(settings.database_url), _page_lang(search))
        return banner_children(items), "ioc-announcement" + (" ioc-announcement-wall" if wall_screen else "")

    app.clientside_callback(
        """function(n) {
            // The province's time whatever the display PC's zone: the stores keep ICT too.
            const parts = new Intl.DateTimeFormat('en-GB', {timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit',
                minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric', hourCycle: 'h23'})
                .formatToParts(new Date());
            const v = Object.fromEntries(parts.map((p) => [p.type, p.value]));
            return `${v.hour}:${v.minute} ${v.day}/${v.month}/${v.year}`;
        }""",
        Output("ioc-clock", "children"),
        Input("clock-tick", "n_intervals"),
    )
    for page in PAGES:
        page.module.register(app, settings, cache, current_lang)
