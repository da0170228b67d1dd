"""Small installations for the backup tests: areas, two sensors and some readings in the lake,
accounts and audit entries in the operational DB; and a writer process that keeps committing."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from ioc_app import bootstrap, geo
from ioc_app.config import Settings, load_settings
from pipelines import run_ingest
from tests.demo_instance import REPO, clean_env, write_store_config

PROVINCE = "86"


def commune() -> dict:
    areas = geo.areas(PROVINCE)
    row = areas[areas.level == "commune"].iloc[0]
    return {"code": row.code, "lat": float(row.lat), "lon": float(row.lon)}


def readings_file(folder: Path, batch: int, rows: int = 40) -> Path:
    """Readings of batch `batch`: new timestamps every batch, so each one adds rows."""
    start = pd.Timestamp("2025-09-01") + pd.Timedelta(minutes=5 * rows * batch)
    frame = pd.DataFrame({"sensor_id": ["SAL1", "SAL2"] * (rows // 2),
                          "observed_at": [str(start + pd.Timedelta(minutes=5 * (i // 2))) for i in range(rows)],
                          "value": [1.0 + (i % 7) / 10 for i in range(rows)]})
    path = folder / f"readings-{batch:04d}.csv"
    frame.to_csv(path, index=False)
    return path


def small_installation(root: Path, database_url: str = "sqlite:///data/ioc.db", catalog: str | None = None) -> Settings:
    """Both stores initialised and holding a little of everything."""
    config = write_store_config(root, PROVINCE, database_url=database_url)
    if catalog:
        config.write_text(config.read_text(encoding="utf-8").replace(
            "catalog: sqlite:data/lake/catalog.sqlite", f"catalog: '{catalog}'"), encoding="utf-8")
    settings = load_settings(config)
    bootstrap.init_stores(settings)
    run_ingest(settings, "areas", None)
    place = commune()
    registry = pd.DataFrame([(sensor, "Trạm", "salinity", "g/l", "4", place["lat"], place["lon"], place["code"])
                             for sensor in ("SAL1", "SAL2")],
                            columns=["sensor_id", "name", "kind", "unit", "threshold", "lat", "lon", "area_code"])
    registry.to_csv(root / "sensors.csv", index=False)
    run_ingest(settings, "sensors", root / "sensors.csv")
    run_ingest(settings, "sensors", readings_file(root, 0))
    bootstrap.create_account(settings, "admin_one", "admin", "Quan-tri-2026!", None, "Quản trị")
    return settings


WRITER = """
import sys, time
from pathlib import Path
from ioc_app.config import load_settings
from ioc_app.opdb.audit import record
from ioc_app.opdb.session import engine_for, session_scope
from pipelines import run_ingest
from tests.backup_fixtures import readings_file
settings = load_settings(Path(sys.argv[1]))
stop, folder = Path(sys.argv[2]), Path(sys.argv[3])
engine = engine_for(settings.database_url)
batch = 1
while not stop.exists():
    run_ingest(settings, "sensors", readings_file(folder, batch))
    with session_scope(engine) as session:
        record(session, "writer", "test_write", "batch", batch, None, {"batch": batch})
    print(batch, flush=True)
    batch += 1
"""


class Writer:
    """A real second process committing sensor batches to the lake and audit entries to the operational DB."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.stop_file = folder / "stop"
        self.process = subprocess.Popen([sys.executable, "-c", WRITER, str(settings.base_dir / "config.yaml"),
                                         str(self.stop_file), str(folder)], cwd=REPO, env=clean_env(),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_for_batches(self, count: int) -> None:
        for _ in range(count):
            line = self.process.stdout.readline()
            assert line, f"writer ended early:\n{self.process.stderr.read()}"

    def stop(self) -> None:
        self.stop_file.touch()
        _, err = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, err
