"""`safetynet users ...` and `safetynet review`: the review app's accounts, and serving it."""

from __future__ import annotations

import argparse
import getpass
import sys

from safetynet.args import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="review-app accounts: add, list")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = users_sub.add_parser(
        "add", help="add an account; password from stdin; prints the one-time-code (TOTP) secret once"
    )
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("coordinator", "analyst", "admin"))
    users_sub.add_parser("list", help="accounts, roles, lock state (no secrets)")
    users_sub.add_parser(
        "rotate-key", help="re-encrypt every TOTP secret under a new key (SAFETYNET_TOTP_KEYS / key file)"
    )
    users.set_defaults(handler=cmd_users)

    review = sub.add_parser("review", help="serve the coordinator's review web app")
    review.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    review.add_argument("--port", type=int, default=8765)
    review.add_argument("--threads", type=int, default=8, help="worker threads (waitress)")
    review.set_defaults(handler=cmd_review)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_users(args: argparse.Namespace) -> int:
    from review import accounts
    from warehouse import Warehouse

    wh = Warehouse.open()
    try:
        if args.users_command == "list":
            with wh.engine.connect() as conn:
                for u in accounts.list_users(conn):
                    state = "inactive" if not u["active"] else "locked" if accounts.locked(u) else "active"
                    print(f"{u['username']}\t{u['role']}\t{state}")
            return 0
        from review.audit import record_command

        if args.users_command == "rotate-key":
            from warehouse.totp_keys import TotpKeyError

            try:
                count, next_step = accounts.rotate_totp_key(wh.engine)
            except TotpKeyError as exc:
                raise CommandError(str(exc)) from None
            record_command(wh.engine, action="totp_key_rotated", detail=f"{count} secrets")
            print(f"{count} TOTP secrets re-encrypted; {next_step}")
            return 0

        subject = {"action": "user_add", "subject_type": "user", "subject_id": args.name.strip()[:64]}
        try:
            password = _read_password()
            secret = accounts.create_user(wh.engine, args.name, args.role, password)
        except (accounts.AccountError, ValueError) as exc:
            record_command(wh.engine, **subject, outcome="refused", detail=f"role {args.role}")
            raise CommandError(str(exc)) from None
        record_command(wh.engine, **subject, detail=f"role {args.role}")
        from review.passwords import provisioning_uri

        print(f"user {args.name} added with role {args.role}")
        print("Add this one-time-code secret to an authenticator app now; it is not shown again.")
        print(f"TOTP secret: {secret}")
        print(f"otpauth URI: {provisioning_uri(secret, args.name)}")
        return 0
    finally:
        wh.dispose()


def cmd_review(args: argparse.Namespace) -> int:
    from waitress import serve

    from review.app import create_app
    from settings import warehouse_display_url
    from warehouse import Warehouse

    wh = Warehouse.open()
    wh.dispose()
    app = create_app(wh.url)
    print(
        f"SafetyNet review on http://{args.host}:{args.port}/ (warehouse {warehouse_display_url()})",
        flush=True,
    )
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="safetynet-review")
    return 0
