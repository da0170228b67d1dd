"""`ioc token create|list|revoke`: bearer tokens of the data-sharing API (ioc_app.api.tokens)."""
from __future__ import annotations

import argparse

from ioc_app.config import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ioc_app.api.tokens import MAX_DAYS, SCOPES

    token = sub.add_parser("token", help="make, list and revoke data API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_sub.add_parser("create", help="make a token (printed once; only its hash is kept)")
    create.add_argument("--user", required=True, help="account the token acts as (its role and area)")
    create.add_argument("--scope", required=True, action="append",
                        help=f"scope, repeatable or comma-separated: {', '.join(SCOPES)}")
    create.add_argument("--days", required=True, type=int, help=f"days until it expires (1..{MAX_DAYS})")
    create.add_argument("--label", help="what the token is for (shown by list)")
    listing = token_sub.add_parser("list", help="list tokens (never their secret)")
    listing.add_argument("--user", help="only this account's tokens")
    revoke = token_sub.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id", type=int, help="token id (from `ioc token list`)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ioc_app.api import tokens
    from ioc_app.bootstrap import cli_actor
    from ioc_app.clock import now_ict
    from ioc_app.opdb.session import engine_for, migrate, session_scope

    migrate(settings.database_url)
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as session:
            if args.token_command == "create":
                token, text = tokens.create_token(session, args.user, tokens.parse_scopes(args.scope), args.days,
                                                  cli_actor(), args.label)
                print(f"token {token.id} for {token.user.username} ({token.scopes}), expires "
                      f"{token.expires_at:%Y-%m-%d %H:%M} ICT; shown only now:")
                print(text)
            elif args.token_command == "revoke":
                token = tokens.revoke_token(session, args.id, cli_actor())
                print(f"token {token.id} of {token.user.username} revoked")
            else:
                now = now_ict()
                for token in tokens.list_tokens(session, args.user):
                    used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                    print(f"{token.id}\t{token.user.username}\t{tokens.PREFIX}{token.prefix}…\t{token.scopes}\t"
                          f"expires {token.expires_at:%Y-%m-%d %H:%M}\t{tokens.token_state(token, now)}\t"
                          f"last used {used}\t{token.label or ''}".rstrip())
    finally:
        engine.dispose()
    return 0
