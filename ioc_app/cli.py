"""The `ioc` command: one sub-command per job; bad input ends with one line and exit 1."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ioc_app import cli_backup
from ioc_app import cli_token
from ioc_app.errors import IocError

if TYPE_CHECKING:
    from ioc_app.config import Settings

INGEST_KINDS = ("areas", "units", "indicators", "categories", "reports", "tickets", "cameras", "sensors")
ROLES = ("leader", "dept_head", "officer", "approver", "unit_admin", "admin", "wall", "editor")


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
    handover = user_sub.add_parser("handover", help="record that another person now holds the account (R-34)")
    handover.add_argument("name")
    handover.add_argument("--to", required=True, metavar="FULL_NAME", help="the person who takes the account over")
    handover.add_argument("--reason", required=True)
    handover.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="handover date (default today)")
    handover.add_argument("--password-stdin", action="store_true", required=True,
                          help="read the new person's first password from standard input (changed at the first "
                               "sign-in); every session of the account ends")
    delete = user_sub.add_parser("delete", help="refused: accounts are closed, never deleted")
    delete.add_argument("name")

    audit = sub.add_parser("audit", help="check the audit log and the report signatures")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    audit_sub.add_parser("verify", help="verify the audit log's hash chain and every report's signature")
    _report_parser(sub)
    cli_backup.add_parsers(sub)
    cli_token.add_parser(sub)
    return parser


def _report_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="import, export and bulk-approve write-back reports")
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="ACTION")
    load = report_sub.add_parser("import", help="store a filled-in form (.xlsx or .csv) as a unit's draft "
                                                "(same checks as the upload page; all or nothing)")
    load.add_argument("file", type=Path)
    export = report_sub.add_parser("export", help="write a unit's report for a period as .xlsx or PDF")
    export.add_argument("--format", required=True, choices=("xlsx", "pdf"))
    export.add_argument("--out", required=True, type=Path, help="file to write")
    for command in (load, export):
        command.add_argument("--unit", required=True, help="reporting unit code")
        command.add_argument("--period", required=True, help="period code, e.g. 2025-Q3")
        command.add_argument("--regime", help="regime code (needed when the unit reports under several "
                                              "regimes for that period)")
    load.add_argument("--user", required=True, help="account the figures are entered as (an officer of the "
                                                    "unit, or an administrator)")
    export.add_argument("--user", help="account whose view is exported (default: the whole report)")
    approve = report_sub.add_parser("approve", help="approve many submitted reports at once (loading history)")
    approve.add_argument("--user", required=True, help="approver account")
    chosen = approve.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--ids", type=int, nargs="+", metavar="ID", help="submission ids")
    chosen.add_argument("--all-submitted", action="store_true", help="every report awaiting the user's unit")
    approve.add_argument("--period", help="with --all-submitted: only this period")


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
    elif args.command == "report":
        return _report(args, settings)
    elif args.command in cli_backup.COMMANDS:
        return cli_backup.run(args, settings)
    elif args.command == "token":
        return cli_token.run(args, settings)
    elif args.command == "audit":
        from ioc_app.writeback.integrity import verify_installation

        print(verify_installation(settings))
    elif args.command == "user" and args.user_command == "delete":
        raise IocError(f"accounts are never deleted, their data keeps its author: `ioc user close {args.name}`")
    elif args.command == "user" and args.user_command == "close":
        bootstrap.close_account(settings, args.name)
        print(f"user {args.name} closed")
    elif args.command == "user" and args.user_command == "reset":
        bootstrap.reset_account(settings, args.name, sys.stdin.readline().rstrip("\n"))
        print(f"user {args.name}: temporary password set, to be changed at the next sign-in")
    elif args.command == "user" and args.user_command == "handover":
        bootstrap.hand_over_account(settings, args.name, args.to, args.reason, args.on,
                                    sys.stdin.readline().rstrip("\n"))
        print(f"user {args.name} handed over to {args.to}: new password set, to be changed at the first sign-in")
    elif args.command == "user":
        password = sys.stdin.readline().rstrip("\n")
        bootstrap.create_account(settings, args.name, args.role, password, args.unit, args.full_name)
        print(f"user {args.name} created with role {args.role}")
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    """`ioc report import|export|approve`: every refused figure on its own line, exit 1, nothing stored."""
    from ioc_app.opdb.session import engine_for, migrate, session_scope
    from ioc_app.writeback import approval, upload
    from ioc_app.writeback.report_file import report_file
    from ioc_app.writeback.actor import Actor, actor_for
    from ioc_app.writeback.problems import FiguresRefused

    migrate(settings.database_url)
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as session:
            actor = actor_for(session, args.user) if args.user else Actor("cli", "admin", None)
            if args.report_command == "approve":
                ids = args.ids or [report.id for report in approval.inbox(session, actor)
                                   if args.period in (None, report.period_code)]
                done = approval.bulk_approve(session, actor, ids) if ids else []
                print(f"approved {len(done)} reports" + (f": {', '.join(str(item.id) for item in done)}" if done else ""))
                return 0
            regime = args.regime or upload.regime_for(session, args.unit, args.period)
            if args.report_command == "import":
                try:
                    stored = upload.import_upload(session, actor, args.unit, regime, args.period, args.file.name,
                                                  args.file.read_bytes())
                except FiguresRefused as refused:
                    session.rollback()
                    for problem in refused.problems:
                        print(f"error: {problem}", file=sys.stderr)
                    print(f"error: {args.file}: {len(refused.problems)} problems, nothing stored", file=sys.stderr)
                    return 1
                print(f"stored {args.file.name} as the draft of {args.unit} {regime} {args.period} "
                      f"(report {stored.id}, row version {stored.row_version})")
                return 0
            content = report_file(session, actor, args.unit, regime, args.period, args.format, settings.ui.language)
        args.out.write_bytes(content)
    except OSError as exc:
        raise IocError(f"{exc.filename}: {exc.strerror}") from None
    finally:
        engine.dispose()
    print(f"wrote {args.out} ({len(content)} bytes)")
    return 0


def _setup_logging(command: str) -> None:
    """JSON lines on stderr (ioc_app/logging_setup.py): INFO progress for ingest, scheduler and backups,
    warnings otherwise."""
    from ioc_app.logging_setup import configure

    configure(logging.INFO if command in ("ingest", "scheduler", "backup", "restore") else logging.WARNING)


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
