"""The `ioc` command: one sub-command per job; bad input ends with one line and exit 1."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from ioc_app.errors import IocError

INGEST_KINDS = ("areas", "units", "indicators", "categories", "reports", "tickets", "cameras", "sensors")
ROLES = ("leader", "dept_head", "officer", "approver", "unit_admin", "admin", "wall")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ioc", description="Provincial IOC analytics dashboard")
    parser.add_argument("--config", type=Path, help="config.yaml to use (default: IOC_CONFIG or ./config.yaml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init", help="create or migrate the operational DB and the analytical store")

    demo = sub.add_parser("demo", help="build and ingest the demo for the configured province, then serve")
    demo.add_argument("--no-serve", action="store_true", help="build the demo and exit")
    demo.add_argument("--port", type=int, help="port to serve on (default: server.port)")

    ingest = sub.add_parser("ingest", help="ingest one source file, or pull one feed, into the analytical store")
    ingest.add_argument("kind", choices=INGEST_KINDS)
    origin = ingest.add_mutually_exclusive_group()
    origin.add_argument("--file", type=Path, help="source file (not needed for 'areas')")
    origin.add_argument("--open311", metavar="URL", help="pull tickets from this Open311 GeoReport v2 endpoint")
    origin.add_argument("--sensorthings", metavar="URL", help="pull sensors from this OGC SensorThings API root")
    origin.add_argument("--writeback", action="store_true", help="pull the figures approved in the operational DB")
    ingest.add_argument("--dry-run", action="store_true", help="validate without writing")
    ingest.add_argument("--json", action="store_true", help="print the batch report as JSON on the last line")

    serve = sub.add_parser("serve", help="serve the app with gunicorn in the foreground")
    serve.add_argument("--port", type=int, help="port (default: server.port)")

    scheduler = sub.add_parser("scheduler", help="run the configured sources on their intervals (foreground)")
    scheduler.add_argument("--once", action="store_true", help="run every source once and exit (for cron)")

    sub.add_parser("check", help="check config, both stores and the DuckDB extensions")

    sub.add_parser("maintenance", help="compact the lake's small files, expire old snapshots, delete orphaned files")

    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = user_sub.add_parser("create", help="create an account")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--unit", help="reporting unit code the account belongs to")
    create.add_argument("--full-name")
    create.add_argument("--password-stdin", action="store_true", required=True,
                        help="read the first password from standard input (changed at the first sign-in)")
    close = user_sub.add_parser("close", help="close an account for good (accounts are never deleted)")
    close.add_argument("name")
    reset = user_sub.add_parser("reset", help="set a temporary password that must be changed at the next sign-in")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", required=True,
                       help="read the temporary password from standard input")
    delete = user_sub.add_parser("delete", help="refused: accounts are closed, never deleted")
    delete.add_argument("name")
    return parser


def _run(args: argparse.Namespace) -> int:
    from ioc_app import bootstrap
    from ioc_app.config import load_settings

    if args.config:
        os.environ["IOC_CONFIG"] = str(args.config.resolve())
    settings = load_settings(args.config)
    if args.command == "init":
        bootstrap.init_stores(settings)
        print("stores ready")
    elif args.command == "demo":
        bootstrap.build_demo(settings)
        if not args.no_serve:
            from ioc_app.serve import serve

            serve(settings, args.port)
    elif args.command == "ingest" and (args.open311 or args.sensorthings):
        origin = "open311" if args.open311 else "sensorthings"
        name, report = bootstrap.pull(settings, args.kind, origin, args.open311 or args.sensorthings,
                                      dry_run=args.dry_run)
        line = bootstrap.report_line(args.kind, name, report)
        print(json.dumps(bootstrap.report_dict(report), ensure_ascii=False) if args.json else line)
    elif args.command == "ingest" and args.writeback:
        if args.kind != "reports":
            raise IocError(f"ingest {args.kind}: --writeback feeds reports only (ioc ingest reports --writeback)")
        from pipelines.pulls import approved

        name = approved.source_name(settings)
        report = approved.pull(settings, name, dry_run=args.dry_run)
        line = bootstrap.report_line(args.kind, name, report)
        print(json.dumps(bootstrap.report_dict(report), ensure_ascii=False) if args.json else line)
    elif args.command == "ingest":
        report = bootstrap.ingest(settings, args.kind, args.file, dry_run=args.dry_run)
        line = bootstrap.report_line(args.kind, args.file, report)
        print(json.dumps(bootstrap.report_dict(report), ensure_ascii=False) if args.json else line)
    elif args.command == "serve":
        from ioc_app.serve import serve

        bootstrap.init_stores(settings)
        serve(settings, args.port)
    elif args.command == "scheduler":
        from pipelines.scheduler import log_line, run_scheduler

        summary = run_scheduler(settings, once=args.once)
        if args.once:
            for run in summary.runs:
                print(log_line(run))
        return 1 if summary.failed else 0
    elif args.command == "maintenance":
        from pipelines.maintenance import OK, log_line, maintain_once

        run = maintain_once(settings)
        print(log_line(run))
        return 0 if run.status == OK else 1
    elif args.command == "check":
        problems = bootstrap.check(settings)
        for problem in problems:
            print(problem)
        if not problems:
            print("ok: config, operational DB, analytical store and extensions are usable")
        return 1 if problems else 0
    elif args.command == "user" and args.user_command == "delete":
        raise IocError(f"accounts are never deleted, their data keeps its author: `ioc user close {args.name}`")
    elif args.command == "user" and args.user_command == "close":
        bootstrap.close_account(settings, args.name)
        print(f"user {args.name} closed")
    elif args.command == "user" and args.user_command == "reset":
        bootstrap.reset_account(settings, args.name, sys.stdin.readline().rstrip("\n"))
        print(f"user {args.name}: temporary password set, to be changed at the next sign-in")
    elif args.command == "user":
        password = sys.stdin.readline().rstrip("\n")
        bootstrap.create_account(settings, args.name, args.role, password, args.unit, args.full_name)
        print(f"user {args.name} created with role {args.role}")
    return 0


def _setup_logging(command: str) -> None:
    """Timestamped lines on stderr: the pipelines' INFO progress for ingest and scheduler, warnings otherwise."""
    level = logging.INFO if command in ("ingest", "scheduler") else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(args.command)
    try:
        return _run(args)
    except IocError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
