"""The scheduler's backups (`ioc scheduler`): at the slots of `backup:` in config.yaml, into
`backup.out_dir/ioc-backup-<time>`, pruned to `backup.keep`; a failure is retried after RETRY."""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from ioc_app.backup.records import last_success, prune, run_backup, scheduled_folder
from ioc_app.backup.schedule import RETRY, first_due, next_slot
from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.errors import IocError
from ioc_app.opdb.session import parse_url, sqlite_path

log = logging.getLogger("ioc.backup")


def _last_success(settings: Settings) -> datetime | None:
    path = sqlite_path(parse_url(settings.database_url))
    if path is not None and not path.is_file():
        return None
    try:
        return last_success(settings)
    except (IocError, SQLAlchemyError) as exc:
        log.warning("last backup unknown (%s): the next one is at the next slot", str(exc).splitlines()[0])
        return None


class BackupJob:
    def __init__(self, settings: Settings, now: Callable[[], datetime] = now_ict) -> None:
        self.settings = settings
        self.now = now
        self.due = first_due(settings.backup, now(), _last_success(settings)) if settings.backup.enabled else None
        if self.due is not None:
            log.info("next scheduled backup at %s ICT", self.due.isoformat(timespec="minutes"))

    def seconds_to_due(self) -> float:
        return math.inf if self.due is None else max(0.0, (self.due - self.now()).total_seconds())

    def run_if_due(self) -> bool:
        """Make the backup when due; True when one was made."""
        if self.due is None or self.now() < self.due:
            return False
        started = self.now()
        try:
            run_backup(self.settings, scheduled_folder(self.settings, started), "scheduler")
        except IocError:
            self.due = self.now() + RETRY
            return False
        prune(self.settings)
        self.due = next_slot(self.settings.backup, self.now())
        log.info("next scheduled backup at %s ICT", self.due.isoformat(timespec="minutes"))
        return True
