"""The `app` command: `serve`, `users create-admin`, `openapi`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Sequence

from domain.errors import DomainError, InvalidInputError
from entrypoints.settings import STORAGES, SettingsError, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app", description="Serverless auth + user API")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the local server (API + docs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--storage", choices=STORAGES, help="overrides APP_STORAGE")
    serve.set_defaults(run=_serve)

    users = commands.add_parser("users", help="manage users").add_subparsers(
        required=True, metavar="ACTION"
    )
    admin = users.add_parser("create-admin", help="create an admin (prompts for the password)")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Admin")
    admin.add_argument("--storage", choices=STORAGES, help="overrides APP_STORAGE")
    admin.set_defaults(run=_create_admin)

    openapi = commands.add_parser("openapi", help="print the OpenAPI 3.1 schema as JSON")
    openapi.set_defaults(run=_openapi)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from granian.constants import Interfaces
    from granian.server import Server

    if args.storage:
        os.environ["APP_STORAGE"] = args.storage
    load_settings()  # fail fast, before the server starts its worker
    print(f"serving on http://{args.host}:{args.port} (API docs at /schema)", file=sys.stderr)
    Server(
        "entrypoints.asgi:app",
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=1,
        log_access=False,
    ).serve()
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from application.users.create_user import NewUser
    from domain.users import Role
    from entrypoints.bootstrap import build_services

    if args.storage:
        os.environ["APP_STORAGE"] = args.storage
    settings = load_settings()
    if settings.storage == "memory":
        print(
            "users create-admin needs a persistent store: with --storage memory the admin "
            "would vanish when this command exits.",
            file=sys.stderr,
        )
        return 2
    password = os.environ.get("APP_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    services = build_services(settings)
    try:
        user = asyncio.run(
            services.user_factory.create(NewUser(args.email, password, args.name, Role.ADMIN))
        )
    except InvalidInputError as exc:
        for error in exc.errors:
            print(f"{error.field}: {error.message}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(f"created admin {user.email} ({user.id})")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from entrypoints.bootstrap import build_services
    from entrypoints.http.app import create_app

    app = create_app(build_services(load_settings({"APP_ENV": "local"})))
    print(json.dumps(app.openapi_schema.to_schema(), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
