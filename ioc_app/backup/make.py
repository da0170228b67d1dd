"""`ioc backup`: both stores into one protected folder, sealed by its manifest; `ioc restore`:
a checked backup back into the configured stores."""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ioc_app.backup import lake_store, manifest, opdb_store
from ioc_app.backup.files import BackupError, private_dir, tree_size
from ioc_app.clock import now_ict
from ioc_app.config import Settings
from ioc_app.opdb.session import parse_url, shown
from ioc_app.writeback.signing import Signer


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    manifest: dict
    seconds: float
    size_bytes: int

    def line(self) -> str:
        head = self.manifest["opdb"]["audit_head"]
        audit = f"audit head #{head['id']} {head['hash'][:12]}" if head else "audit log empty"
        return (f"backup written to {self.folder}: lake snapshot {self.manifest['lake']['snapshot_id']}, "
                f"schema {self.manifest['opdb']['alembic_revision']}, {audit}, {len(self.manifest['files'])} files, "
                f"{self.size_bytes / 1e6:.1f} MB, {self.seconds:.1f} s")


def make_backup(settings: Settings, out: Path) -> BackupResult:
    """A consistent backup of both stores in `out` (a new or empty folder), while they are in use.

    The lake is copied before the operational DB: a restore then gives an operational DB at
    least as new as the lake, and the approved-figures pull brings the lake up to it, never the
    other way round (figures in the lake that the operational DB no longer knows)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out}: exists and is not an empty folder (choose a new one)")
    began, created = time.monotonic(), now_ict()
    private_dir(out)
    try:
        lake = lake_store.backup(settings, out)
        opdb = opdb_store.backup(settings.database_url, out)
        sealed = manifest.seal(out, {"created_at": created.isoformat(timespec="seconds"),
                                     "province": settings.province_code, "lake": lake, "opdb": opdb},
                               Signer.for_settings(settings))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return BackupResult(out, sealed, time.monotonic() - began, tree_size(out))


def _refuse_non_empty(settings: Settings) -> None:
    if not lake_store.is_empty(settings):
        raise BackupError(f"the lake ({settings.lake.catalog}) holds data: restore refuses to overwrite it "
                          "(--force replaces it)")
    if not opdb_store.is_empty(settings.database_url):
        raise BackupError(f"the operational DB {shown(parse_url(settings.database_url))} holds data: restore "
                          "refuses to overwrite it (--force replaces it)")


def restore_checked(settings: Settings, checked: manifest.CheckedBackup, force: bool = False) -> None:
    """Both stores replaced by a checked backup's: every step that can fail on the content (copies,
    integrity checks) runs on staged copies before a store is replaced, and each store is replaced
    in one transaction; the lake first, for the reason make_backup gives."""
    if not force:
        _refuse_non_empty(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=settings.data_dir) as scratch:
        lake_store.restore(settings, checked.folder, checked.manifest, Path(scratch), force)
        opdb_store.restore(settings.database_url, checked.folder, checked.opdb, Path(scratch))


def restore_backup(settings: Settings, folder: Path, force: bool = False) -> manifest.CheckedBackup:
    """Check the backup in `folder` (refused naming the first damaged or missing file), then restore it."""
    checked = manifest.check(folder, Signer.for_settings(settings))
    restore_checked(settings, checked, force)
    return checked
