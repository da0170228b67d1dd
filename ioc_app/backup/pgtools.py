"""PostgreSQL dumps with the server's own tools: `pg_dump` for a backup, `psql` for a restore.

pg_dump reads in one repeatable-read transaction; given `--snapshot` it reads the very
snapshot another connection exported, so the checksums computed there and the dump agree.
A restore runs the dump through `psql --single-transaction`: PostgreSQL's DDL is
transactional, so a database is either entirely restored or left as it was. Passwords go
through PGPASSWORD, never on a command line other users can see.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy.engine import URL

from ioc_app.backup.files import FILE_MODE, BackupError

TOOLS_HINT = "install postgresql-client, the same major version as the server or newer"
# Before a forced restore: the database's current content goes, in the restore's transaction.
WIPE = "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"


def from_url(url: URL) -> str:
    """libpq connection string of a SQLAlchemy PostgreSQL URL (password kept for PGPASSWORD)."""
    parts = {"host": url.host, "port": url.port, "user": url.username, "password": url.password,
             "dbname": url.database, **{key: str(value) for key, value in url.query.items()}}
    return make_conninfo(**{key: value for key, value in parts.items() if value is not None})


def with_database(conninfo: str, dbname: str) -> str:
    return make_conninfo(conninfo, dbname=dbname)


def database_of(conninfo: str) -> str:
    return conninfo_to_dict(conninfo).get("dbname", "")


def _split_password(conninfo: str) -> tuple[str, dict[str, str]]:
    parts = conninfo_to_dict(conninfo)
    password = parts.pop("password", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**parts), env


def _run(tool: str, argv: Sequence[str], conninfo: str, what: str) -> None:
    dsn, env = _split_password(conninfo)
    try:
        result = subprocess.run([tool, *argv, "--dbname", dsn], capture_output=True, text=True, env=env)
    except FileNotFoundError:
        raise BackupError(f"{tool} not found: {what} needs it ({TOOLS_HINT})") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "ERROR" in line or "FATAL" in line or "error" in line]
        raise BackupError(f"{what}: {tool} failed: {(errors or lines or ['exit %d' % result.returncode])[0]}")


def dump(conninfo: str, target: Path, snapshot: str | None, what: str) -> None:
    """Plain-SQL dump of the database into `target` (mode 0600), at `snapshot` when given."""
    argv = ["--format=plain", "--no-owner", "--no-privileges", "--file", str(target)]
    if snapshot:
        argv.append(f"--snapshot={snapshot}")
    target.touch(mode=FILE_MODE)
    _run("pg_dump", argv, conninfo, what)
    target.chmod(FILE_MODE)


def load(conninfo: str, scripts: Sequence[Path], what: str) -> None:
    """Run the SQL files in order in one transaction; any error rolls all of them back."""
    argv = ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--single-transaction"]
    for script in scripts:
        argv += ["--file", str(script)]
    _run("psql", argv, conninfo, what)


def literal(text: str) -> str:
    """A SQL string literal (the dumps set standard_conforming_strings on)."""
    return "'" + text.replace("'", "''") + "'"
