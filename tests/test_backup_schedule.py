"""When scheduled backups run, the `backup:` config section, and the scheduler's backup job."""
from __future__ import annotations

from datetime import datetime

import pytest

from ioc_app.backup.job import BackupJob
from ioc_app.backup.records import recent_runs
from ioc_app.backup.schedule import RETRY, first_due, latest_slot, next_slot
from ioc_app.config import BackupSettings, load_settings
from ioc_app.errors import ConfigError
from ioc_app.opdb.session import engine_for, session_scope
from tests.backup_fixtures import small_installation
from tests.demo_instance import write_store_config

DEFAULT = BackupSettings()  # Monday and Thursday 02:00 ICT
MONDAY_1AM = datetime(2026, 11, 30, 1, 0)  # 2026-11-30 is a Monday


def test_the_default_is_twice_per_working_week():
    assert next_slot(DEFAULT, MONDAY_1AM) == datetime(2026, 11, 30, 2, 0)
    assert next_slot(DEFAULT, datetime(2026, 11, 30, 2, 0)) == datetime(2026, 12, 3, 2, 0)  # Thursday
    assert next_slot(DEFAULT, datetime(2026, 12, 3, 2, 1)) == datetime(2026, 12, 7, 2, 0)  # next Monday
    assert latest_slot(DEFAULT, datetime(2026, 12, 2, 12, 0)) == datetime(2026, 11, 30, 2, 0)
    assert latest_slot(DEFAULT, MONDAY_1AM) == datetime(2026, 11, 26, 2, 0)


def test_a_missed_slot_is_made_up_at_start_once_there_is_a_previous_backup():
    wednesday = datetime(2026, 12, 2, 9, 0)
    assert first_due(DEFAULT, wednesday, last_ok=datetime(2026, 11, 26, 2, 0)) == wednesday  # Monday's was missed
    assert first_due(DEFAULT, wednesday, last_ok=datetime(2026, 11, 30, 2, 0)) == datetime(2026, 12, 3, 2, 0)
    assert first_due(DEFAULT, wednesday, last_ok=None) == datetime(2026, 12, 3, 2, 0)


def test_other_days_and_times_are_configurable(tmp_path):
    config = write_store_config(tmp_path, "86", "backup:\n  days: [fri, tue, tue]\n  at: '23:30'\n  keep: 3\n"
                                                "  out_dir: /srv/backups\n")
    backup = load_settings(config).backup
    assert backup.days == ("tue", "fri") and backup.keep == 3 and str(backup.out_dir) == "/srv/backups"
    assert next_slot(backup, MONDAY_1AM) == datetime(2026, 12, 1, 23, 30)


@pytest.mark.parametrize("section, message", [
    ("at: 2:00", "backup.at: Value error, write the time as HH:MM in quotes, e.g. at: '02:00'"),
    ("at: '25:00'", "backup.at: String should match pattern"),
    ("days: []", "backup.days: Value error, needs at least one day (or enabled: false)"),
    ("days: [monday]", "backup.days.0: Input should be 'mon'"),
    ("keep: 0", "backup.keep: Input should be greater than or equal to 1"),
])
def test_a_bad_backup_section_is_a_one_line_config_error(tmp_path, section, message):
    config = write_store_config(tmp_path, "86", f"backup:\n  {section}\n")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(config)


def test_the_scheduler_job_backs_up_when_due_prunes_old_ones_and_retries_a_failure(tmp_path):
    settings = small_installation(tmp_path / "inst")
    settings = settings.model_copy(update={"backup": settings.backup.model_copy(
        update={"keep": 2, "out_dir": tmp_path / "backups"})})
    clock = {"now": datetime(2026, 11, 30, 1, 59)}
    job = BackupJob(settings, now=lambda: clock["now"])
    assert job.due == datetime(2026, 11, 30, 2, 0) and not job.run_if_due()
    for now in (datetime(2026, 11, 30, 2, 0), datetime(2026, 12, 3, 2, 0), datetime(2026, 12, 7, 2, 0)):
        clock["now"] = now
        assert job.run_if_due()
        assert job.due == next_slot(settings.backup, now)
    assert sorted(path.name for path in (tmp_path / "backups").iterdir()) == [
        "ioc-backup-20261203-020000", "ioc-backup-20261207-020000"]  # keep: 2

    clock["now"] = datetime(2026, 12, 10, 2, 0)
    (tmp_path / "backups" / "ioc-backup-20261210-020000").mkdir()
    (tmp_path / "backups" / "ioc-backup-20261210-020000" / "in-the-way").write_text("x")
    assert not job.run_if_due()
    assert job.due == clock["now"] + RETRY
    engine = engine_for(settings.database_url)
    with session_scope(engine) as session:
        runs = recent_runs(session, 10)
    engine.dispose()
    assert [(run.status, run.trigger) for run in runs] == [("error", "scheduler")] + [("ok", "scheduler")] * 3
    assert "exists and is not an empty folder" in runs[0].message
    assert BackupJob(settings, now=lambda: datetime(2026, 12, 10, 9, 0)).due == datetime(2026, 12, 10, 9, 0)
