"""The backups panel of the pipelines page (administrators): the schedule, the next scheduled
backup and the last runs with their outcome (from `backup_runs` in the operational DB)."""
from __future__ import annotations

from collections.abc import Callable

from dash import Dash, Input, Output, html

from ioc_app.backup.records import recent_runs
from ioc_app.backup.schedule import next_slot
from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.opdb.session import session_scope
from ioc_app.web.access import require_role
from ioc_app.web.i18n import number, t, when
from ioc_app.web.opdb import opdb_engine
from layouts.tables import table

RUNS_SHOWN = 5


def panel(lang: str) -> html.Section:
    return html.Section([html.H2(t("bk_title", lang), className="ioc-panel-title"), html.Div(id="pl-backups")],
                        className="ioc-panel")


def register(app: Dash, settings: Settings, roles: tuple[str, ...], lang_of: Callable[[], str]) -> None:
    @app.callback(Output("pl-backups", "children"), Input("pl-refresh", "n_intervals"))
    def backups(_):
        require_role(*roles)
        lang, backup = lang_of(), settings.backup
        with session_scope(opdb_engine(settings.database_url)) as session:
            runs = recent_runs(session, RUNS_SHOWN)
        if backup.enabled:
            days = ", ".join(t(f"weekday_{day}", lang) for day in backup.days)
            schedule = t("bk_next", lang, days=days, at=backup.at, next=when(next_slot(backup, now_ict()), lang),
                         keep=backup.keep, folder=str(backup.out_dir))
        else:
            schedule = t("bk_disabled", lang)
        rows = [{"started": run.started_at, "status": run.status, "trigger": run.trigger,
                 "snapshot": run.lake_snapshot, "size": run.size_bytes, "location": run.location,
                 "message": run.message} for run in runs]
        return [html.P(schedule, className="ioc-note", id="pl-backup-schedule"), table(rows, [
            ("started", t("bk_col_started", lang), lambda value: when(value, lang)),
            ("status", t("bk_col_status", lang),
             lambda s: html.Span(t(f"bk_status_{s}", lang), className=f"ioc-state ioc-state-{s}")),
            ("trigger", t("bk_col_trigger", lang), lambda trigger: t(f"bk_trigger_{trigger}", lang)),
            ("snapshot", t("bk_col_snapshot", lang), lambda value: "–" if value is None else str(value)),
            ("size", t("bk_col_size", lang), lambda value: "–" if value is None else f"{number(value / 1e6, lang, 1)} MB"),
            ("location", t("bk_col_location", lang), lambda value: html.Code(value)),
            ("message", t("bk_col_message", lang), None),
        ], "pl-backups-table", t("bk_none", lang))]
