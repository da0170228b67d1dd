"""Open DuckDB with the packaged extensions and the DuckLake catalog attached as `lake`.

Extensions come only from the `duckdb_ext` wheels (signed binaries for this DuckDB
version); nothing is downloaded and signature checks stay on.

Snapshot visibility: DuckLake reads the catalog's latest snapshot when a transaction
starts. A long-lived connection in autocommit mode (one transaction per statement) sees
every snapshot committed by another process at its next statement, without reconnecting;
inside an explicit BEGIN ... COMMIT it keeps reading the snapshot it started with, so a
page that runs several queries in one transaction gets a consistent view.
"""
from __future__ import annotations

import platform
from pathlib import Path

import duckdb

from ioc_app.config import Settings
from ioc_app.errors import StoreError

LAKE = "lake"
MAIN = f"{LAKE}.main"  # the lake's tables, named so in SQL that does not run under `USE lake`
_CATALOG_EXTENSIONS = {"sqlite:": "sqlite", "postgres:": "postgres"}


def extension_directory() -> Path:
    """The folder holding v<duckdb version>/<platform>/*.duckdb_extension from the duckdb_ext wheels."""
    try:
        import duckdb_ext
    except ImportError:
        raise StoreError("DuckDB extensions not installed: pip install duckdb-ext-ducklake duckdb-ext-sqlite "
                         "duckdb-ext-postgres duckdb-ext-spatial (same version as duckdb)") from None
    version = f"v{duckdb.__version__}"
    for folder in duckdb_ext.__path__:
        candidate = Path(folder) / "extensions"
        if (candidate / version).is_dir():
            return candidate
    raise StoreError(f"no DuckDB extensions for duckdb {version} on {platform.machine()}: install the "
                     f"duckdb-ext-* packages built for duckdb=={duckdb.__version__}")


def _load(con: duckdb.DuckDBPyConnection, name: str) -> None:
    try:
        con.execute(f"LOAD {name}")
    except duckdb.Error as exc:
        raise StoreError(f"cannot load DuckDB extension {name!r} from {extension_directory()}: "
                         f"{_first_line(exc)} (install duckdb-ext-{name.removesuffix('_scanner')})") from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _catalog_extension(catalog: str) -> str:
    for prefix, extension in _CATALOG_EXTENSIONS.items():
        if catalog.startswith(prefix):
            return extension
    raise StoreError(f"lake.catalog {catalog!r}: must start with 'sqlite:' or 'postgres:'")


def _prepare_paths(settings: Settings, read_only: bool) -> None:
    if read_only:
        return
    catalog = settings.lake.catalog
    folders = [settings.lake.data_path]
    if catalog.startswith("sqlite:"):
        folders.append(Path(catalog.removeprefix("sqlite:")).parent)
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {folder}: {exc.strerror} (fix lake.catalog / lake.data_path "
                             "or the folder's permissions)") from None


def connect(settings: Settings, read_only: bool = False, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with DuckLake attached as `lake` and in use; with `snapshot`, read-only
    and pinned to that snapshot (what the lake held then, e.g. when a backup was made)."""
    read_only = read_only or snapshot is not None
    catalog = settings.lake.catalog
    extension = _catalog_extension(catalog)
    _prepare_paths(settings, read_only)
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute("SET extension_directory = ?", [str(extension_directory())])
        for name in ("ducklake", extension):
            _load(con, name)
        options = f"DATA_PATH '{_quote(str(settings.lake.data_path))}/'"
        if read_only:
            options += ", READ_ONLY"
        if snapshot is not None:
            options += f", SNAPSHOT_VERSION {int(snapshot)}"
        if catalog.startswith("sqlite:"):
            # Writers switch the catalog to WAL (it stays so) to let readers (gunicorn workers)
            # read while a pipeline commits; the busy timeout makes either side wait for the
            # other's commit instead of failing with "database is locked".
            options += ", META_BUSY_TIMEOUT 5000" + ("" if read_only else ", META_JOURNAL_MODE 'WAL'")
        try:
            con.execute(f"ATTACH '{_quote('ducklake:' + catalog)}' AS {LAKE} ({options})")
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the DuckLake catalog {catalog!r}: {_first_line(exc)} "
                             "(check lake.catalog / IOC_LAKE_CATALOG and that the database is reachable)") from None
        con.execute(f"USE {LAKE}")
    except BaseException:
        con.close()
        raise
    return con


def _quote(text: str) -> str:
    return text.replace("'", "''")


def snapshot_id(con: duckdb.DuckDBPyConnection) -> int:
    """The latest committed DuckLake snapshot: changes exactly when the lake's data changes."""
    return int(con.execute(f"SELECT id FROM {LAKE}.current_snapshot()").fetchone()[0])
