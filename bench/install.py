"""A real installation at one scale: config, operational DB, DuckLake, demo accounts.

Kept under `$IOC_BENCH_DIR` (default /tmp/ioc-bench), one folder per scale and seed, and
reused while its stamp says it is complete: the sources are ingested by the real
pipelines (`pipelines.run_ingest`, what `ioc ingest` runs) once, timed per kind and format.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from bench.province import END_DATE, Volume, write_sources
from ioc_app.bootstrap import DEMO_ROLES, INGEST_ORDER, init_stores
from ioc_app.config import Settings, load_settings

log = logging.getLogger("bench")
REPO = Path(__file__).resolve().parent.parent
STAMP = "installed.json"
GENERATOR = 1  # bump when the generated data changes: older installations are rebuilt
STORE_KEYS = {"data_dir": "data", "database_url": "sqlite:///data/ioc.db",
              "lake": {"catalog": "sqlite:data/lake/catalog.sqlite", "data_path": "data/lake/files"},
              "sources": []}


@dataclass(frozen=True)
class Installation:
    root: Path
    config: Path
    volume: Volume
    passwords: dict[str, str]
    ingest: dict[str, float]  # figures of the ingestion that built it

    @property
    def settings(self) -> Settings:
        return load_settings(self.config)


def bench_dir() -> Path:
    return Path(os.environ.get("IOC_BENCH_DIR", "/tmp/ioc-bench"))


def install(volume: Volume, name: str, seed: int, rebuild: bool = False) -> Installation:
    """The installation for `volume` (folder `name`-seed`seed`), built when missing or stale."""
    root = bench_dir() / f"{name}-seed{seed}"
    stamp = root / STAMP
    wanted = {"generator": GENERATOR, "seed": seed, "volume": asdict(volume)}
    if not rebuild and stamp.is_file():
        found = json.loads(stamp.read_text(encoding="utf-8"))
        if {k: found.get(k) for k in wanted} == wanted:
            log.info("bench: reusing the installation in %s", root)
            return Installation(root, root / "config.yaml", volume, found["passwords"], found["ingest"])
    config = root / "config.yaml"
    manifest = root / "data" / "demo"
    sources = next(manifest.glob("*/manifest.json"), None) if manifest.is_dir() else None
    if rebuild or sources is None:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        _write_config(root, seed)
    settings = load_settings(config)
    init_stores(settings)
    figures: dict[str, float] = {}
    if sources is None or rebuild:
        started = time.perf_counter()
        files = write_sources(settings, volume, seed, settings.demo_dir)
        figures["generate_seconds"] = round(time.perf_counter() - started, 1)
        _write_manifest(settings, seed, files)
    else:  # an earlier build stopped after writing its sources: files already loaded are skipped
        log.info("bench: resuming the ingestion of the sources in %s", settings.demo_dir)
        listed = json.loads(sources.read_text(encoding="utf-8"))["files"]
        files = {kind: [settings.demo_dir / name for name in names] for kind, names in listed.items()}
    figures.update(_ingest(settings, files))
    passwords = _operational_db(settings, files)
    stamp.write_text(json.dumps({**wanted, "passwords": passwords, "ingest": figures}, indent=1), encoding="utf-8")
    stamp.chmod(0o600)
    return Installation(root, config, volume, passwords, figures)


def _write_config(root: Path, seed: int) -> Path:
    """The repository's config.yaml (province, server, wall, ui) with the stores under `root`."""
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    config.update(STORE_KEYS)
    config["demo"] = {"seed": seed, "end_date": END_DATE.isoformat()}
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _write_manifest(settings: Settings, seed: int, files: dict[str, list[Path]]) -> None:
    """The demo's manifest (the report history of the write-back module reads its report files)."""
    out = settings.demo_dir
    manifest = {"province_code": settings.province_code, "seed": seed, "scale": None,
                "end_date": END_DATE.isoformat(),
                "files": {kind: [str(p.relative_to(out)) for p in paths] for kind, paths in files.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def _ingest(settings: Settings, files: dict[str, list[Path]]) -> dict[str, float]:
    """Every file through run_ingest on one connection, as `ioc demo` does; rows/s per kind and format."""
    from ioc_app.lake import connect
    from pipelines import run_ingest

    rows: dict[str, int] = defaultdict(int)
    quarantined = 0
    seconds: dict[str, float] = defaultdict(float)
    with connect(settings) as con:
        for kind in INGEST_ORDER:
            for path in files.get(kind, []):
                started = time.perf_counter()
                report = run_ingest(settings, kind, path, con=con)
                if report.quarantined:
                    log.warning("bench: %s: %d rows quarantined (%s)", path.name, report.quarantined, report.reasons)
                key = f"{kind}_{path.suffix.lstrip('.')}"
                rows[key] += report.loaded
                quarantined += report.quarantined
                seconds[key] += time.perf_counter() - started
                log.info("bench: %s %s: %d rows in %.1f s", kind, path.name, report.loaded, seconds[key])
    figures: dict[str, float] = {"ingest_seconds": round(sum(seconds.values()), 1), "ingest_quarantined": quarantined}
    for key in rows:
        figures[f"ingest_{key}_rows"] = rows[key]
        figures[f"ingest_{key}_rows_per_s"] = round(rows[key] / seconds[key]) if seconds[key] else 0
    return figures


def _operational_db(settings: Settings, files: dict[str, list[Path]]) -> dict[str, str]:
    """Catalogs, write-back catalog and report history as `ioc demo` builds them; one account per
    demo role with a known password that needs no change at first sign-in."""
    from ioc_app.bootstrap import first_unit_of_kind
    from ioc_app.demo.submissions import build_demo_submissions
    from ioc_app.geo import areas
    from ioc_app.opdb.catalog import import_catalog
    from ioc_app.opdb.session import engine_for, session_scope
    from ioc_app.opdb.users import create_user
    from ioc_app.writeback.catalog_import import import_writeback_catalog
    from ioc_app.writeback.signing import Signer

    engine = engine_for(settings.database_url)
    with session_scope(engine) as session:
        import_catalog(session, files["units"][0], files["indicators"][0], areas(settings.province_code))
        import_writeback_catalog(session, settings.demo_dir / "catalog" / "writeback.json")
    with session_scope(engine) as session:
        build_demo_submissions(session, settings, Signer.for_settings(settings), END_DATE)
    unit_of_kind = first_unit_of_kind(files["units"][0])
    passwords = {}
    with session_scope(engine) as session:
        for username, (role, unit_kind) in DEMO_ROLES.items():
            passwords[username] = f"Bench-{secrets.token_urlsafe(12)}7!"
            create_user(session, username, role, passwords[username], must_change_password=False,
                        unit_code=unit_of_kind.get(unit_kind) if unit_kind else None, full_name=f"Bench {username}")
    return passwords
