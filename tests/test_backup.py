"""`ioc backup`, `ioc restore` and the restore drill on real stores, with a real second process
committing meanwhile; SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from ioc_app.backup import lake_store, opdb_store
from ioc_app.backup.drill import restore_drill
from ioc_app.backup.files import BackupError
from ioc_app.backup.make import make_backup, restore_backup
from ioc_app.lake import connect, snapshot_id
from ioc_app.opdb.models import AuditEntry
from ioc_app.opdb.session import engine_for, session_scope
from tests import pg
from tests.backup_fixtures import Writer, small_installation
from tests.demo_instance import IOC, REPO, clean_env, write_store_config


def ioc(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*IOC, "--config", str(settings.base_dir / "config.yaml"), *args], capture_output=True,
                          text=True, cwd=REPO, env=clean_env(), timeout=600)


def lake_snapshot(settings) -> int:
    with closing(connect(settings, read_only=True)) as con:
        return snapshot_id(con)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    return small_installation(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="module")
def backup(live, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("backups") / "one"
    make_backup(live, folder)
    return folder


@pytest.fixture
def empty(tmp_path):
    """Settings of a second installation whose stores do not exist yet."""
    from ioc_app.config import load_settings

    return load_settings(write_store_config(tmp_path / "empty", "86"))


def test_backup_while_a_pipeline_commits_restores_what_was_committed_at_its_snapshot(tmp_path):
    settings = small_installation(tmp_path / "busy")
    before = lake_snapshot(settings)
    writer = Writer(settings, tmp_path / "writer")
    try:
        writer.wait_for_batches(2)
        result = make_backup(settings, tmp_path / "backup")
        writer.wait_for_batches(2)
    finally:
        writer.stop()
    taken = result.manifest["lake"]["snapshot_id"]
    assert before < taken < lake_snapshot(settings)  # commits before, during and after the backup
    readings = result.manifest["lake"]["tables"]["fact_sensor_reading"]["rows"]
    assert readings > 40
    with closing(connect(settings, snapshot=taken)) as con:
        assert con.execute("SELECT count(*) FROM fact_sensor_reading").fetchone()[0] == readings
    # The drill restores it into scratch stores and compares with the backup's record and the live lake at its snapshot.
    report = restore_drill(settings, result.folder)
    assert report.lines[-1].startswith("restore drill passed")
    assert f"the live lake at snapshot {taken}" in "\n".join(report.lines)
    # Audit entries written by the writer after the backup extend the chain; the backup's head is still in it.
    head = result.manifest["opdb"]["audit_head"]
    assert head is not None and opdb_store.audit_entry_hash(settings.database_url, head["id"]) == head["hash"]


def test_backup_files_are_private_and_the_manifest_lists_every_file(backup):
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    for path in backup.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    files = {path.relative_to(backup).as_posix() for path in backup.rglob("*") if path.is_file()}
    assert files - set(manifest["files"]) == {"manifest.json", "manifest.seal.json"}
    assert manifest["opdb"]["alembic_revision"] == "0007_publishing"
    assert manifest["opdb"]["tables"]["users"]["rows"] == 1
    assert manifest["lake"]["tables"]["fact_sensor_reading"]["rows"] == 40


def _copy(backup: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(backup, target)
    return target


@pytest.mark.parametrize("damage, message", [
    ("parquet", r"lake/files/main/fact_sensor_reading/.*\.parquet: damaged \(its sha256 differs from the manifest\)"),
    ("missing", r"opdb/ioc.sqlite: missing from the backup \(partial copy\?\)"),
    ("manifest", r"manifest.json: damaged \(its sha256 differs from the one in manifest.seal.json\)"),
    ("forged", r"manifest.seal.json: the manifest's signature does not verify"),
    ("seal", r"manifest.seal.json: missing, not a complete backup"),
])
def test_a_damaged_or_partial_backup_is_refused_naming_the_file(backup, tmp_path, empty, damage, message):
    copy = _copy(backup, tmp_path)
    if damage == "parquet":
        victim = next((copy / "lake/files/main/fact_sensor_reading").glob("*.parquet"))
        content = bytearray(victim.read_bytes())
        content[len(content) // 2] ^= 0xFF
        victim.write_bytes(bytes(content))
    elif damage == "missing":
        (copy / "opdb/ioc.sqlite").unlink()
    elif damage == "manifest":
        manifest = copy / "manifest.json"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace('"rows": 40', '"rows": 41'), encoding="utf-8")
    elif damage == "forged":  # a manifest rewritten with its hash updated but no key to sign it
        manifest, seal = copy / "manifest.json", copy / "manifest.seal.json"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace('"rows": 40', '"rows": 41'), encoding="utf-8")
        body = json.loads(seal.read_text(encoding="utf-8"))
        body["manifest_sha256"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
        seal.write_text(json.dumps(body), encoding="utf-8")
    else:
        (copy / "manifest.seal.json").unlink()
    result = ioc(empty, "restore", str(copy))
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and re.search(message, line), line
    assert not Path(empty.database_url.removeprefix("sqlite:///")).exists()  # nothing restored
    assert not Path(empty.lake.catalog.removeprefix("sqlite:")).exists()


def test_restore_into_empty_stores_then_refuses_to_overwrite_them_unless_forced(backup, empty):
    result = ioc(empty, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"restored {backup}: lake snapshot ")
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert lake_store.table_answers(empty) == manifest["lake"]["tables"]
    assert opdb_store.state_of(empty.database_url)["tables"] == manifest["opdb"]["tables"]

    again = ioc(empty, "restore", str(backup))
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        f"error: the lake ({empty.lake.catalog}) holds data: restore refuses to overwrite it (--force replaces it)")

    engine = engine_for(empty.database_url)
    with session_scope(engine) as session:  # a change made after the restore ...
        session.query(AuditEntry).delete()
    engine.dispose()
    forced = ioc(empty, "restore", str(backup), "--force")
    assert forced.returncode == 0, forced.stderr
    assert opdb_store.state_of(empty.database_url)["tables"] == manifest["opdb"]["tables"]  # ... is gone again


def test_restore_refuses_another_kind_of_store(backup, tmp_path):
    from ioc_app.config import load_settings

    pg.require_postgres()
    name = pg.create_database("ops_kind")
    try:
        settings = load_settings(write_store_config(tmp_path / "pg", "86", database_url=pg.sqlalchemy_url(name)))
        with pytest.raises(BackupError, match="the backup holds a sqlite operational DB, the configured one"):
            restore_backup(settings, backup)
    finally:
        pg.drop_database(name)


def test_the_restore_drill_passes_and_fails_when_the_newest_audit_entries_are_deleted(live, tmp_path):
    result = ioc(live, "backup", "--verify")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "(made for the drill)" in lines[0] and "signed with this installation's key" in lines[0]
    assert lines[-1].startswith("restore drill passed in ")
    assert not list(live.data_dir.glob(".drill-*"))  # scratch stores removed

    folder = tmp_path / "kept"
    made = ioc(live, "backup", "--out", str(folder))
    assert made.returncode == 0, made.stderr
    head = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["opdb"]["audit_head"]
    engine = engine_for(live.database_url)
    with session_scope(engine) as session:  # someone deletes the newest entries to hide what they did
        session.query(AuditEntry).filter(AuditEntry.id >= head["id"]).delete()
    engine.dispose()
    drill = ioc(live, "backup", "--verify", "--from", str(folder))
    assert drill.returncode == 1
    assert drill.stderr.strip().splitlines()[-1] == (
        f"error: audit log: entry #{head['id']}, the chain's head at the backup, is missing from the live "
        "operational DB (entries deleted since the backup)")


def test_the_restore_drill_names_a_table_that_restores_differently(backup, live, tmp_path, monkeypatch):
    real = opdb_store.state_of

    def one_row_short(url: str) -> dict:
        state = real(url)
        if url != live.database_url:
            state["tables"]["users"] = {**state["tables"]["users"], "rows": 0}
        return state

    monkeypatch.setattr(opdb_store, "state_of", one_row_short)
    with pytest.raises(BackupError, match=r"^operational DB table users: 0 rows restored, 1 in the backup$"):
        restore_drill(live, backup)


def test_the_restore_drill_on_postgresql(tmp_path):
    pg.require_postgres()
    opdb, lake = pg.create_database("ops_bk_op"), pg.create_database("ops_bk_lake")
    try:
        settings = small_installation(tmp_path / "pg", database_url=pg.sqlalchemy_url(opdb),
                                      catalog=f"postgres:{pg.libpq_dsn(lake)}")
        writer = Writer(settings, tmp_path / "writer")
        try:
            writer.wait_for_batches(1)
            result = make_backup(settings, tmp_path / "backup")
            writer.wait_for_batches(1)
        finally:
            writer.stop()
        assert result.manifest["opdb"]["backend"] == "postgresql"
        assert result.manifest["lake"]["catalog_backend"] == "postgresql"
        report = restore_drill(settings, result.folder)
        assert report.lines[-1].startswith("restore drill passed")
        drill = ioc(settings, "backup", "--verify")
        assert drill.returncode == 0, drill.stderr
        with pg._admin() as con:  # the drill's scratch databases are gone
            left = con.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                               [f"{opdb[:30]}_drill_%"]).fetchall()
        assert left == []
    finally:
        pg.drop_database(opdb)
        pg.drop_database(lake)


def test_backup_out_must_be_new_or_empty(live, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    result = ioc(live, "backup", "--out", str(tmp_path / "used"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {tmp_path / 'used'}: exists and is not an empty folder (choose a new one)")
