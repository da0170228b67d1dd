"""Pipeline status (administrators): every source's last run, freshness, batches and quarantine."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd
from dash import Dash, Input, Output, dcc, html

from ioc_app.clock import now_ict
from ioc_app.config import SOURCE_KINDS, Settings, SourceSettings
from ioc_app.queries import pipeline_status as q
from ioc_app.web.access import require_role
from ioc_app.web.i18n import number, t, when
from ioc_app.web.query_cache import QueryCache
from layouts import backups_panel
from layouts.tables import table

ROLES = ("admin",)
REFRESH_MS = 30_000
BATCHES_SHOWN = 25
STATE_CLASS = {"ok": "ioc-state-ok", "late": "ioc-state-late", "error": "ioc-state-error", "never": "ioc-state-never"}


def layout(lang: str) -> html.Div:
    return html.Div([
        dcc.Interval(id="pl-refresh", interval=REFRESH_MS),
        html.H1(t("pipelines", lang), className="ioc-page-title"),
        html.Section([html.H2(t("sources_title", lang), className="ioc-panel-title"), html.Div(id="pl-sources")],
                     className="ioc-panel"),
        html.Div([
            html.Section([html.H2(t("freshness_title", lang), className="ioc-panel-title"),
                          html.Div(id="pl-freshness")], className="ioc-panel"),
            html.Section([html.H2(t("quarantine_title", lang), className="ioc-panel-title"),
                          html.Div(id="pl-quarantine")], className="ioc-panel"),
        ], className="ioc-two"),
        html.Section([html.H2(t("batches_title", lang), className="ioc-panel-title"), html.Div(id="pl-batches")],
                     className="ioc-panel"),
        backups_panel.panel(lang),
    ], className="ioc-stack")


def source_state(last_status: str | None, last_ok: datetime | None, last_run: datetime | None,
                 now: datetime, late_after_minutes: float) -> str:
    """never run, failing (the last run failed), late (no success for too long) or on time."""
    if last_run is None and last_ok is None:
        return "never"
    if last_status == "error":
        return "error"
    if last_ok is None or now - last_ok > timedelta(minutes=late_after_minutes):
        return "late"
    return "ok"


def _origin(source: SourceSettings) -> str:
    if source.writeback:
        return "writeback"
    return str(source.inbox or source.open311 or source.sensorthings)


def _present(value):
    return None if value is None or pd.isna(value) else value


def source_rows(sources: tuple[SourceSettings, ...], activity: pd.DataFrame, now: datetime) -> list[dict]:
    by_name = {row["source"]: row for row in activity.to_dict("records")}
    rows = []
    for source in sources:
        seen = by_name.get(source.name, {})
        last_run, last_ok = _present(seen.get("last_run")), _present(seen.get("last_ok"))
        rows.append({
            "source": source.name, "kind": source.kind, "origin": _origin(source),
            "interval": source.interval_minutes, "last_run": last_run, "last_ok": last_ok,
            "state": source_state(_present(seen.get("last_status")), last_ok, last_run, now,
                                  source.late_after_minutes),
            "loaded_24h": seen.get("loaded_24h", 0), "quarantined_24h": seen.get("quarantined_24h", 0),
            "message": _present(seen.get("last_message")) or "",
        })
    return rows


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    backups_panel.register(app, settings, ROLES, lang_of)

    @app.callback(Output("pl-sources", "children"), Output("pl-freshness", "children"),
                  Output("pl-quarantine", "children"), Output("pl-batches", "children"),
                  Input("pl-refresh", "n_intervals"))
    def refresh(_):
        require_role(*ROLES)
        lang, now = lang_of(), now_ict().replace(second=0, microsecond=0)

        def fmt_time(value) -> str:
            return when(_present(value), lang)

        def fmt_int(value) -> str:
            return number(value, lang)

        def fmt_kind(kind: str) -> str:
            return t(f"kind_{kind}", lang) if kind in SOURCE_KINDS else kind
        sources = source_rows(settings.sources, cache.run(q.source_activity, now), now)
        sources_table = table(sources, [
            ("source", t("col_source", lang), None),
            ("kind", t("col_kind", lang), fmt_kind),
            ("origin", t("col_origin", lang), lambda o: html.Code(o)),
            ("interval", t("col_interval", lang), lambda m: t("minutes", lang, n=number(m, lang))),
            ("last_run", t("col_last_run", lang), fmt_time),
            ("last_ok", t("col_last_ok", lang), fmt_time),
            ("state", t("col_state", lang),
             lambda s: html.Span(t(f"state_{s}", lang), className=f"ioc-state {STATE_CLASS[s]}")),
            ("loaded_24h", t("col_loaded_24h", lang), fmt_int),
            ("quarantined_24h", t("col_quarantined_24h", lang), fmt_int),
            ("message", t("col_message", lang), None),
        ], "pl-sources-table", t("none", lang))
        kinds = pd.concat([cache.run(q.kind_freshness, kind) for kind in q.FRESHNESS], ignore_index=True)
        freshness = table(kinds.to_dict("records"), [
            ("kind", t("col_kind", lang), fmt_kind),
            ("newest", t("col_newest", lang), fmt_time),
            ("records", t("col_records", lang), fmt_int),
        ], "pl-freshness-table", t("none", lang))
        quarantine = table(cache.run(q.quarantine_reasons, now - timedelta(days=7)).to_dict("records"), [
            ("kind", t("col_kind", lang), fmt_kind),
            ("column_name", t("col_column", lang), None),
            ("reason", t("col_reason", lang), None),
            ("records", t("col_records", lang), fmt_int),
            ("last_seen", t("col_last_seen", lang), fmt_time),
        ], "pl-quarantine-table", t("none", lang))
        batches = table(cache.run(q.recent_batches, BATCHES_SHOWN).to_dict("records"), [
            ("started_at", t("col_started", lang), fmt_time),
            ("kind", t("col_kind", lang), None),
            ("source", t("col_source", lang), None),
            ("rows_read", t("col_read", lang), fmt_int),
            ("rows_loaded", t("col_loaded", lang), fmt_int),
            ("rows_quarantined", t("col_quarantined", lang), fmt_int),
            ("status", t("col_status", lang), None),
        ], "pl-batches-table", t("none", lang))
        return sources_table, freshness, quarantine, batches
