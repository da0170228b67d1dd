"""Backup files are private (R-35): folders 0700, files 0600, each hashed as it is written."""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from ioc_app.errors import IocError

DIR_MODE, FILE_MODE = 0o700, 0o600
CHUNK = 1 << 20
SQLITE_TIMEOUT_S = 30


class BackupError(IocError):
    """A backup, a restore or a restore drill is refused or failed; nothing was replaced."""


def private_dir(path: Path) -> Path:
    """`path` and any missing parents created with mode 0700 (an existing `path` is made 0700 too)."""
    try:
        for folder in [*reversed(path.parents), path]:
            if not folder.exists():
                folder.mkdir(mode=DIR_MODE, exist_ok=True)
        path.chmod(DIR_MODE)
    except OSError as exc:
        raise BackupError(f"cannot create {path}: {exc.strerror}") from None
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def protect(path: Path) -> None:
    path.chmod(FILE_MODE)


def copy_private(source: Path, target: Path) -> None:
    """Copy `source` to `target` (mode 0600) through a temporary name, so `target` is whole or absent."""
    private_dir(target.parent)
    partial = target.with_name(f".{target.name}.partial")
    with source.open("rb") as src, open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE),
                                        "wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(partial, target)


def tree_size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL or not), whole or absent."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    src = sqlite3.connect(source, timeout=SQLITE_TIMEOUT_S)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot copy ({exc})") from None
    finally:
        dst.close()
        src.close()
    protect(partial)
    partial.replace(target)


def sqlite_replace(staged: Path, target: Path, origin: Path) -> None:
    """Replace the SQLite database `target` (created when missing) by `staged`, after an integrity
    check: the backup API writes it in one transaction, so readers see the old or the new, WAL or not."""
    with closing(sqlite3.connect(staged)) as copy:
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{origin}: SQLite integrity check failed")
        with closing(sqlite3.connect(target, timeout=SQLITE_TIMEOUT_S)) as live:
            try:
                copy.backup(live)
            except sqlite3.Error as exc:
                raise BackupError(f"{target}: cannot replace ({exc})") from None
    protect(target)
