"""Load and validate config.yaml; every problem becomes a one-line ConfigError."""
from __future__ import annotations

import os
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ioc_app.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent

ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "IOC_PROVINCE": ("province",),
    "IOC_DATA_DIR": ("data_dir",),
    "IOC_DATABASE_URL": ("database_url",),
    "IOC_LAKE_CATALOG": ("lake", "catalog"),
    "IOC_LAKE_DATA_PATH": ("lake", "data_path"),
    "IOC_GEO_BOUNDARIES": ("geo", "boundaries"),
    "IOC_DEMO_END_DATE": ("demo", "end_date"),
    "IOC_PORT": ("server", "port"),
    "IOC_BACKUP_DIR": ("backup", "out_dir"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LakeSettings(_Strict):
    catalog: str = "sqlite:data/lake/catalog.sqlite"
    data_path: Path = Path("data/lake/files")
    # The scheduler compacts the lake and deletes orphaned files this often (pipelines/maintenance.py):
    # every hour, as the feeds' five-minute batches leave a dozen small files per table in that time.
    maintenance_hours: float = Field(1, gt=0)

    @field_validator("catalog")
    @classmethod
    def _known_catalog(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgres:")):
            raise ValueError("must start with 'sqlite:' or 'postgres:'")
        return value


class GeoSettings(_Strict):
    boundaries: Path | None = None


class DemoSettings(_Strict):
    seed: int = 20250701
    end_date: date | None = None
    # Share of the full demo volume (tickets, cameras, sensors); tests use a fraction.
    scale: float = Field(1.0, gt=0, le=10)


SOURCE_KINDS = ("reports", "tickets", "cameras", "sensors")


class SourceSettings(_Strict):
    """One feed the scheduler runs: an inbox folder of files, or an HTTP endpoint to pull."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["reports", "tickets", "cameras", "sensors"]
    inbox: Path | None = None
    open311: str | None = None
    sensorthings: str | None = None
    # Figures approved in the operational DB (pipelines/pulls/approved.py).
    writeback: bool = False
    interval_minutes: float = Field(5, gt=0)
    # A source with no successful run for this long is shown as late.
    late_after_minutes: float = Field(60, gt=0)

    @model_validator(mode="after")
    def _one_origin(self) -> "SourceSettings":
        origins = [o for o in ("inbox", "open311", "sensorthings") if getattr(self, o) is not None]
        if self.writeback:
            origins.append("writeback")
        if len(origins) != 1:
            raise ValueError("needs exactly one of inbox, open311, sensorthings, writeback")
        if self.writeback and self.kind != "reports":
            raise ValueError("writeback feeds reports only")
        if self.open311 is not None and self.kind != "tickets":
            raise ValueError("open311 feeds tickets only")
        if self.sensorthings is not None and self.kind != "sensors":
            raise ValueError("sensorthings feeds sensors only")
        return self


def _default_sources() -> tuple[SourceSettings, ...]:
    return tuple(SourceSettings(name=f"{kind}-inbox", kind=kind, inbox=Path("data/inbox") / kind)
                 for kind in SOURCE_KINDS)


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8050, ge=1, le=65535)
    workers: int = Field(2, ge=1, le=64)
    threads: int = Field(4, ge=1, le=64)
    session_minutes: int = Field(480, ge=1)
    # Served over HTTPS (directly or by a proxy): session cookies get Secure, responses HSTS.
    https: bool = False
    # Reverse proxies in front whose X-Forwarded-For/-Proto/-Host are trusted (0 = none).
    proxy_hops: int = Field(0, ge=0, le=5)


class SecuritySettings(_Strict):
    """Password age and the login lockout (failures, then a doubling wait up to a cap)."""

    password_max_age_days: int = Field(183, ge=1)
    lockout_after_failures: int = Field(5, ge=1)
    # Many officers share one NAT address, so an address tolerates more failures than an account.
    address_lockout_after_failures: int = Field(20, ge=1)
    lockout_base_seconds: float = Field(30, gt=0)
    lockout_max_seconds: float = Field(900, gt=0)
    # Failures are forgotten after this long without another one.
    lockout_forget_minutes: float = Field(60, gt=0)


class UiSettings(_Strict):
    language: Literal["vi", "en"] = "vi"
    # Indicator codes shown as KPI tiles on the overview, and the trend shown first.
    headline_indicators: tuple[str, ...] = ()
    trend_indicators: tuple[str, ...] = ()


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BackupSettings(_Strict):
    """Backups the scheduler makes (R-35: twice per working week), where they go, how many are kept."""

    enabled: bool = True
    # Weekdays and time of day (ICT) of the scheduled backups.
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = ("mon", "thu")
    at: str = Field("02:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    out_dir: Path = Path("data/backups")
    # Backups kept in out_dir (ioc-backup-* folders); older ones go after a scheduled backup succeeds.
    keep: int = Field(8, ge=1)

    @field_validator("at", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 2:00 as 120 (base 60)
            raise ValueError("write the time as HH:MM in quotes, e.g. at: '02:00'")
        return value

    @field_validator("days")
    @classmethod
    def _some_days(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        if not days:
            raise ValueError("needs at least one day (or enabled: false)")
        return tuple(sorted(set(days), key=WEEKDAYS.index))


WALL_VIEWS = ("overview", "tickets", "sensors", "cameras")


class WallSlot(_Strict):
    """One view of a wall playlist and how long it stays on screen."""

    view: Literal["overview", "tickets", "sensors", "cameras"]
    seconds: float = Field(30, ge=1, le=3600)


class WallAlerts(_Strict):
    """Thresholds that raise a banner on the wall and highlight the place on its maps."""

    # Sensor kind -> limit of its newest reading; "station": each station's own threshold.
    sensors: dict[str, float | Literal["station"]] = Field(
        default_factory=lambda: {"salinity": 4.0, "pm25": 50.0})
    # A commune with more overdue tickets than this.
    overdue_tickets_per_commune: int = Field(5, ge=0)
    # More than this share of the cameras offline.
    cameras_offline_percent: float = Field(10, ge=0, le=100)


def _default_playlists() -> dict[str, tuple[WallSlot, ...]]:
    return {"default": (WallSlot(view="overview", seconds=30), WallSlot(view="tickets", seconds=20),
                        WallSlot(view="sensors", seconds=20), WallSlot(view="cameras", seconds=20))}


class WallSettings(_Strict):
    playlists: dict[str, tuple[WallSlot, ...]] = Field(default_factory=_default_playlists)
    alerts: WallAlerts = WallAlerts()

    @field_validator("playlists")
    @classmethod
    def _usable_playlists(cls, playlists: dict[str, tuple[WallSlot, ...]]) -> dict[str, tuple[WallSlot, ...]]:
        if "default" not in playlists:
            raise ValueError("needs a playlist named 'default'")
        for name, slots in playlists.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
                raise ValueError(f"playlist name {name!r}: use lower-case letters, digits, '-' and '_'")
            if not slots:
                raise ValueError(f"playlist {name!r} has no views")
        return playlists


class Settings(_Strict):
    """The validated configuration; relative paths are resolved against the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    province: str = "Vĩnh Long"
    data_dir: Path = Path("data")
    database_url: str = "sqlite:///data/ioc.db"
    lake: LakeSettings = LakeSettings()
    geo: GeoSettings = GeoSettings()
    demo: DemoSettings = DemoSettings()
    server: ServerSettings = ServerSettings()
    security: SecuritySettings = SecuritySettings()
    ui: UiSettings = UiSettings()
    wall: WallSettings = WallSettings()
    backup: BackupSettings = BackupSettings()
    sources: tuple[SourceSettings, ...] = Field(default_factory=_default_sources)
    base_dir: Path = REPO_ROOT

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: tuple[SourceSettings, ...]) -> tuple[SourceSettings, ...]:
        names = [source.name for source in sources]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"source names must be unique: {', '.join(duplicated)}")
        return sources

    @cached_property
    def province_code(self) -> str:
        from ioc_app.geo import resolve_province

        return resolve_province(self.province).code

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo" / self.province_code


def _set_path(raw: dict, keys: tuple[str, ...], value: str) -> None:
    node = raw
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[keys[-1]] = value


def _absolute(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else (base / path).resolve()


def _resolve_paths(settings: Settings) -> Settings:
    base = settings.base_dir
    data_dir = _absolute(base, settings.data_dir)
    catalog = settings.lake.catalog
    if catalog.startswith("sqlite:"):
        catalog = "sqlite:" + str(_absolute(base, Path(catalog.removeprefix("sqlite:"))))
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = "sqlite:///" + str(_absolute(base, Path(url.removeprefix("sqlite:///"))))
    sources = tuple(
        source.model_copy(update={"inbox": _absolute(base, source.inbox)}) if source.inbox else source
        for source in settings.sources
    )
    boundaries = settings.geo.boundaries
    if boundaries is not None:
        boundaries = _absolute(base, boundaries)
        if not boundaries.is_file():
            raise ConfigError(f"geo.boundaries: file not found: {boundaries} (fix the path or leave it empty)")
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": url,
            "lake": settings.lake.model_copy(update={"catalog": catalog,
                                                     "data_path": _absolute(base, settings.lake.data_path)}),
            "geo": GeoSettings(boundaries=boundaries),
            "sources": sources,
            "backup": settings.backup.model_copy(update={"out_dir": _absolute(base, settings.backup.out_dir)}),
        }
    )


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key (check its spelling against config.yaml)"
    return f"{key}: {error['msg']} (got {error.get('input')!r})"


def load_settings(path: Path | None = None) -> Settings:
    """Read, override from IOC_* variables, validate, and resolve paths and the province."""
    config_path = Path(path or os.environ.get("IOC_CONFIG") or REPO_ROOT / "config.yaml")
    if not config_path.is_file():
        raise ConfigError(f"config file not found: {config_path} (set IOC_CONFIG or create config.yaml)")
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{config_path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: the top level must be a mapping of keys")
    for env, keys in ENV_OVERRIDES.items():
        if os.environ.get(env):
            _set_path(raw, keys, os.environ[env])
    raw.setdefault("base_dir", config_path.resolve().parent)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{config_path}: {_describe(exc.errors()[0])}") from None
    settings = _resolve_paths(settings)
    settings.province_code  # resolve now: an unknown province is a config error at start
    return settings
