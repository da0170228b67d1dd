"""What `ioc init`, `ioc demo`, `ioc ingest`, `ioc check` and `ioc user` do, on top of the layers."""
from __future__ import annotations

import csv
import json
import secrets
import string
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

from ioc_app.clock import today_ict
from ioc_app.config import Settings
from ioc_app.errors import IocError

INGEST_ORDER = ("units", "indicators", "categories", "reports", "tickets", "cameras", "sensors")
# username -> (role, unit: the first current unit of that kind, or of that code after the province code)
DEMO_ROLES = {
    "leader": ("leader", "province_office"),
    "dept_head": ("dept_head", "department"),
    "officer": ("officer", "commune"),
    "approver": ("approver", "province_office"),
    "approver_so": ("approver", ".SNNMT"),
    "unit_admin": ("unit_admin", "province_office"),
    "admin": ("admin", None),
    "wall": ("wall", None),
    "editor": ("editor", "province_office"),
}


def init_stores(settings: Settings) -> None:
    """Create the data and inbox folders, migrate the operational DB, create the lake tables, load areas."""
    from ioc_app.lake import connect, ensure_schema
    from ioc_app.opdb.session import migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.lake.data_path.mkdir(parents=True, exist_ok=True)
    for source in settings.sources:
        if source.inbox is not None:
            source.inbox.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    with connect(settings) as con:
        ensure_schema(con)
        ingest(settings, "areas", None, con=con)


def ingest(settings: Settings, kind: str, path: Path | None, dry_run: bool = False, con=None):
    from pipelines import run_ingest

    if kind != "areas" and path is None:
        raise IocError(f"ingest {kind}: --file PATH is required")
    if path is not None and not path.is_file():
        raise IocError(f"ingest {kind}: file not found: {path}")
    return run_ingest(settings, kind, path, dry_run=dry_run, con=con)


def pull(settings: Settings, kind: str, origin: str, url: str, dry_run: bool = False):
    """`ioc ingest KIND --open311|--sensorthings URL`: (source name, report). The source name is the
    configured source with this URL when there is one, so its watermark is shared with the scheduler."""
    from pipelines.pulls import open311, sensorthings
    from pipelines.pulls.common import source_name

    feeds = {"open311": ("tickets", open311.pull), "sensorthings": ("sensors", sensorthings.pull)}
    feeds_kind, pull_feed = feeds[origin]
    if kind != feeds_kind:
        raise IocError(f"ingest {kind}: --{origin} feeds {feeds_kind} only (ioc ingest {feeds_kind} --{origin} URL)")
    name = source_name(settings, origin, url)
    return name, pull_feed(settings, url, name, dry_run=dry_run)


def report_line(kind: str, path: Path | str | None, report) -> str:
    """`path`: the file ingested, or the name of a pulled source."""
    name = path.name if isinstance(path, Path) else (path or "geo")
    if report.unchanged:
        return f"{kind:<10} {name:<32} unchanged since its last ingestion"
    reasons = ", ".join(f"{reason}: {count}" for reason, count in report.reasons.items())
    line = f"{kind:<10} {name:<32} read {report.read:>9,}  loaded {report.loaded:>9,}  quarantined {report.quarantined:>6,}"
    return line + (f"  ({reasons})" if reasons else "")


def report_dict(report) -> dict:
    return {k: v for k, v in asdict(report).items() if k in ("read", "loaded", "quarantined", "reasons", "batch_id")}


def _demo_files(settings: Settings) -> dict[str, list[Path]]:
    """The demo sources for this province and seed: reuse a finished build, else build them."""
    from ioc_app.demo import build_demo_sources

    out_dir = settings.demo_dir
    manifest_path = out_dir / "manifest.json"
    wanted_end = settings.demo.end_date
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        same = manifest["seed"] == settings.demo.seed and manifest.get("scale") == settings.demo.scale
        if same and wanted_end in (None, date.fromisoformat(manifest["end_date"])):
            return {kind: [out_dir / name for name in names] for kind, names in manifest["files"].items()}
    end_date = wanted_end or today_ict()
    settings = settings.model_copy(update={"demo": settings.demo.model_copy(update={"end_date": end_date})})
    started = time.monotonic()
    files = build_demo_sources(settings, out_dir, scale=settings.demo.scale)
    manifest = {
        "province_code": settings.province_code,
        "seed": settings.demo.seed,
        "scale": settings.demo.scale,
        "end_date": end_date.isoformat(),
        "files": {kind: [str(p.relative_to(out_dir)) for p in paths] for kind, paths in files.items()},
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"demo sources written to {out_dir} in {time.monotonic() - started:.1f} s")
    return files


def build_demo(settings: Settings) -> None:
    """Build (or reuse) the demo sources, ingest them with the real pipelines, create demo accounts."""
    from ioc_app.geo import areas
    from ioc_app.lake import connect
    from ioc_app.opdb.catalog import import_catalog
    from ioc_app.clock import today_ict
    from ioc_app.demo.submissions import build_demo_submissions
    from ioc_app.opdb.session import engine_for, session_scope
    from ioc_app.writeback.catalog_import import import_writeback_catalog
    from ioc_app.writeback.signing import Signer

    init_stores(settings)
    files = _demo_files(settings)
    started = time.monotonic()
    unchanged = 0
    with connect(settings) as con:
        for kind in INGEST_ORDER:
            for path in files.get(kind, []):
                report = ingest(settings, kind, path, con=con)
                unchanged += report.unchanged
                if not report.unchanged:
                    print(report_line(kind, path, report), flush=True)
    note = f" ({unchanged} files unchanged since their last ingestion)" if unchanged else ""
    print(f"ingestion finished in {time.monotonic() - started:.1f} s{note}")
    engine = engine_for(settings.database_url)
    with session_scope(engine) as session:
        import_catalog(
            session,
            files["units"][0],
            files["indicators"][0],
            areas(settings.province_code),
        )
        import_writeback_catalog(session, settings.demo_dir / "catalog" / "writeback.json")
    with session_scope(engine) as session:
        end = settings.demo.end_date or today_ict()
        build_demo_submissions(session, settings, Signer.for_settings(settings), min(today_ict(), end))
    _ensure_demo_accounts(settings, files["units"][0])


def demo_password() -> str:
    """A random password that meets the policy (upper, lower, digit, special, 16 chars): the demo's
    accounts and every password an administrator issues (ioc_app.opdb.accounts)."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return core + secrets.choice(string.ascii_uppercase) + secrets.choice(string.ascii_lowercase) + secrets.choice(string.digits) + "!"


def first_unit_of_kind(units_csv: Path) -> dict[str, str]:
    """{unit kind or '.<code suffix>': the first current unit of that kind / with that suffix}."""
    found: dict[str, str] = {}
    with units_csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row.get("valid_to"):
                found.setdefault(row["kind"], row["unit_code"])
                found.setdefault("." + row["unit_code"].rsplit(".", 1)[-1], row["unit_code"])
    return found


def _ensure_demo_accounts(settings: Settings, units_csv: Path) -> None:
    from ioc_app.opdb.models import User
    from ioc_app.opdb.session import engine_for, session_scope
    from ioc_app.opdb.users import create_user

    unit_of_kind = first_unit_of_kind(units_csv)
    created: list[tuple[str, str, str]] = []
    with session_scope(engine_for(settings.database_url)) as session:
        for username, (role, unit_kind) in DEMO_ROLES.items():
            if session.query(User).filter_by(username=username).one_or_none() is not None:
                continue
            password = demo_password()
            unit = unit_of_kind.get(unit_kind) if unit_kind else None
            create_user(session, username, role, password, unit_code=unit, full_name=f"Demo {username}")
            created.append((username, unit or "-", password))
    if created:
        print("\nDemo accounts (passwords are shown only this once; each is changed at its first sign-in):")
        for username, unit, password in created:
            print(f"  {username:<11} unit {unit:<16} password {password}")
        print()
    else:
        print("demo accounts exist already (their passwords were printed when they were created)")


def check(settings: Settings) -> list[str]:
    """One line per problem with the operational DB, the analytical store or its extensions."""
    import duckdb

    from ioc_app.lake import connect
    from ioc_app.opdb.session import check_database
    from ioc_app.web.secret import shared_secret_problems

    problems = [f"operational DB: {p}" for p in check_database(settings.database_url)]
    problems += shared_secret_problems(settings)
    try:
        with connect(settings, read_only=True) as con:
            con.execute("SELECT count(*) FROM dim_area").fetchone()
    except IocError as exc:
        problems.append(f"analytical store: {exc}")
    except duckdb.CatalogException:
        problems.append("analytical store: tables missing (run `ioc init`)")
    return problems


def create_account(settings: Settings, name: str, role: str, password: str, unit: str | None,
                   full_name: str | None) -> None:
    from ioc_app.opdb.session import engine_for, migrate, session_scope
    from ioc_app.opdb.users import create_user

    migrate(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        create_user(session, name, role, password, unit_code=unit, full_name=full_name, actor=cli_actor())


def cli_actor() -> str:
    """Who ran `ioc user ...`, for the audit log: the operating-system account."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def close_account(settings: Settings, name: str) -> None:
    from ioc_app.opdb.session import engine_for, migrate, session_scope
    from ioc_app.opdb.users import close_user

    migrate(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        close_user(session, name, actor=cli_actor())


def reset_account(settings: Settings, name: str, temporary: str) -> None:
    """A temporary password to be changed at the next sign-in; the account's lockout ends."""
    from ioc_app.opdb import throttle
    from ioc_app.opdb.session import engine_for, migrate, session_scope
    from ioc_app.opdb.users import normalize_username, reset_password

    migrate(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        reset_password(session, name, temporary, actor=cli_actor())
        throttle.clear(session, throttle.ACCOUNT, normalize_username(name))


def hand_over_account(settings: Settings, name: str, to_name: str, reason: str, on: date | None,
                      password: str) -> None:
    """Record a handover (R-34) with the new person's first password; the account's sessions end."""
    from ioc_app.opdb.accounts import hand_over
    from ioc_app.opdb.session import engine_for, migrate, session_scope
    from ioc_app.writeback.actor import Actor

    migrate(settings.database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        hand_over(session, Actor(cli_actor(), "admin", None), name, to_name, reason, on, password)
