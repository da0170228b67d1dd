"""`ioc backup` and `ioc restore` (wired into ioc_app/cli.py)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ioc_app.config import Settings
from ioc_app.errors import IocError

COMMANDS = ("backup", "restore")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    backup = sub.add_parser("backup", help="back up the operational DB and the lake (while they are in use), "
                                           "or run a restore drill")
    backup.add_argument("--out", type=Path, help="new or empty folder to write the backup to "
                                                 "(default: backup.out_dir/ioc-backup-<time>)")
    backup.add_argument("--verify", action="store_true",
                        help="restore drill: make a backup (or take --from), restore it into scratch stores and "
                             "check they answer like the live ones; exit 1 naming the first difference")
    backup.add_argument("--from", dest="source", type=Path, metavar="DIR", help="with --verify: the backup to drill")
    restore = sub.add_parser("restore", help="check a backup, then bring both stores back from it")
    restore.add_argument("folder", type=Path, metavar="DIR")
    restore.add_argument("--force", action="store_true", help="replace stores that already hold data")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ioc_app.backup.drill import restore_drill
    from ioc_app.backup.make import restore_backup
    from ioc_app.backup.records import run_backup, scheduled_folder
    from ioc_app.clock import now_ict

    if args.command == "restore":
        checked = restore_backup(settings, args.folder.resolve(), force=args.force)
        print(f"restored {args.folder}: lake snapshot {checked.lake['snapshot_id']}, schema "
              f"{checked.opdb['alembic_revision']}, made {checked.manifest['created_at']}"
              + ("" if checked.own_key else " (signed with another installation's key)"))
        return 0
    if args.source and not args.verify:
        raise IocError("--from goes with --verify (ioc backup --verify --from DIR)")
    if args.verify:
        if args.out:
            raise IocError("--out and --verify do not go together (the drill's own backup is deleted afterwards)")
        for line in restore_drill(settings, args.source.resolve() if args.source else None).lines:
            print(line)
        return 0
    out = (args.out or scheduled_folder(settings, now_ict())).resolve()
    print(run_backup(settings, out, "cli").line())
    return 0
