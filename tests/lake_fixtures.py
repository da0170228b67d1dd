"""Lakes of their own for the store's tests: settings of a new lake, on a SQLite catalog or a PostgreSQL one."""
from __future__ import annotations

from pathlib import Path

import pytest

from ioc_app.config import Settings, load_settings
from tests.pg import create_database, drop_database, libpq_dsn


def make_settings(tmp_path: Path, catalog: str | None = None, data_path: str = "data/lake/files") -> Settings:
    catalog = catalog or "sqlite:data/lake/catalog.sqlite"
    config = tmp_path / "config.yaml"
    config.write_text(
        "province: '86'\ndata_dir: data\ndatabase_url: sqlite:///data/ioc.db\n"
        f"lake:\n  catalog: \"{catalog}\"\n  data_path: \"{data_path}\"\n",
        encoding="utf-8",
    )
    return load_settings(config)


@pytest.fixture
def pg_lake(tmp_path):
    """Settings of a new lake whose catalog is a new PostgreSQL database."""
    name = create_database("ioc_lake_test")
    try:
        yield make_settings(tmp_path, catalog=f"postgres:{libpq_dsn(name)}")
    finally:
        drop_database(name)


@pytest.fixture(params=["sqlite", "postgres"])
def any_catalog(request, tmp_path):
    """Settings of a new lake on a SQLite catalog, then on a PostgreSQL one."""
    return make_settings(tmp_path) if request.param == "sqlite" else request.getfixturevalue("pg_lake")
