"""The maintenance banner: the same words on the desk pages, the wall (layouts/shell.py) and the
sign-in pages (templates/card.html, through a template function installed here)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from dash import html
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ioc_app.clock import now_ict
from ioc_app.opdb.announcements import current
from ioc_app.opdb.session import session_scope
from ioc_app.web.i18n import t, when

log = logging.getLogger("ioc.web.announcements")


@dataclass(frozen=True)
class Banner:
    label: str
    when: str
    text: str


def banners(engine: Engine, lang: str) -> list[Banner]:
    """The announcements to show now in `lang`; none (and a log line) when the operational DB fails,
    so a broken database never takes the sign-in page down with it."""
    now = now_ict()
    try:
        with session_scope(engine) as session:
            shown = current(session, now)
    except SQLAlchemyError as exc:
        log.warning("announcements not shown: %s", str(exc).strip().splitlines()[0])
        return []
    return [Banner(t("ann_label_now" if item.starts_at <= now else "ann_label", lang),
                   t("ann_when", lang, start=when(item.starts_at, lang), end=when(item.ends_at, lang)),
                   item.text_vi if lang == "vi" else item.text_en)
            for item in shown]


def banner_children(items: list[Banner]) -> list:
    return [html.Div([html.Strong(item.label, className="ioc-announcement-label"),
                      html.Span(item.when, className="ioc-announcement-when"),
                      html.Span(item.text, className="ioc-announcement-text")], className="ioc-announcement-item")
            for item in items]


def install_announcements(server: Flask, engine: Engine) -> None:
    """`announcement_banners(lang)` in every template."""
    @server.context_processor
    def _banners() -> dict:
        return {"announcement_banners": lambda lang: banners(engine, lang)}
