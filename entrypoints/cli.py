"""The `app` command: `serve`, `users create-admin`, `db init`, `db migrate`, `openapi`,
`grafana`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from domain.errors import DomainError, InvalidInputError
from entrypoints.settings import STORAGES, Settings, SettingsError, load_settings


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

    db = commands.add_parser("db", help="manage the store").add_subparsers(
        required=True, metavar="ACTION"
    )
    init = db.add_parser("init", help="create the MongoDB indexes (idempotent)")
    init.add_argument("--storage", choices=STORAGES, help="overrides APP_STORAGE")
    init.set_defaults(run=_db_init)
    migrate = db.add_parser(
        "migrate", help="rewrite documents of older versions to this version's form"
    )
    migrate.add_argument("--storage", choices=STORAGES, help="overrides APP_STORAGE")
    migrate.set_defaults(run=_db_migrate)

    openapi = commands.add_parser("openapi", help="print the OpenAPI 3.1 schema as JSON")
    openapi.set_defaults(run=_openapi)
    _grafana_parser(commands)
    return parser


def _grafana_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grafana = commands.add_parser("grafana", help="dashboards as code").add_subparsers(
        required=True, metavar="ACTION"
    )
    # The EMF namespace the service emits to (METRICS_NAMESPACE) and the AWS region.
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--region", default=region, help=f"default region (default {region})")
    shared.add_argument("--namespace", help="EMF namespace (default: METRICS_NAMESPACE)")
    shared.add_argument("--folder", default="Serverless Auth", help="dashboard folder title")
    render = grafana.add_parser(
        "render", parents=[shared], help="write dashboards and provisioning YAML to a folder"
    )
    render.add_argument("--out", required=True, type=Path, help="the provisioning folder")
    render.set_defaults(run=_grafana_render)
    provision = grafana.add_parser(
        "provision", parents=[shared], help="push data sources, folder and dashboards"
    )
    provision.add_argument("--url", required=True, help="Grafana's base URL")
    provision.add_argument("--token", help="service-account token (default: GRAFANA_TOKEN)")
    provision.set_defaults(run=_grafana_provision)


@contextlib.contextmanager
def _store(storage: str | None) -> Iterator[Settings]:
    """Settings for the chosen storage; for `embedded`, the nx-27017 child process runs
    for the duration of the block and the rest of the app sees it as plain MongoDB."""
    if storage:
        os.environ["APP_STORAGE"] = storage
    settings = load_settings()
    if settings.storage != "embedded":
        yield settings
        return
    from adapters.mongo.embedded import EmbeddedMongo, EmbeddedStoreError

    store = EmbeddedMongo(settings.data_dir)
    try:
        store.start()
    except EmbeddedStoreError as exc:
        raise SettingsError(f"embedded store: {exc}") from None
    try:
        os.environ.update(APP_STORAGE="mongo", MONGODB_URI=store.uri)
        print(f"embedded store: {store.data_dir.resolve()} ({store.uri})", file=sys.stderr)
        yield load_settings()
    finally:
        store.stop()


def _serve(args: argparse.Namespace) -> int:
    # Imported here: only the server needs granian.
    from granian.constants import HTTPModes, Interfaces
    from granian.server import Server

    # Emailed links point at this server unless PUBLIC_BASE_URL says otherwise.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
    with _store(args.storage):
        print(f"serving on http://{args.host}:{args.port} (API docs at /schema)", file=sys.stderr)
        Server(
            "entrypoints.asgi:app",
            address=args.host,
            port=args.port,
            interface=Interfaces.ASGI,
            # HTTP/1.1 only: skips protocol detection on every connection (~5% throughput).
            http=HTTPModes.http1,
            factory=True,
            workers=1,
            log_access=False,
        ).serve()
    return 0


def _db_init(args: argparse.Namespace) -> int:
    from adapters.mongo.connection import ensure_indexes

    async def init(db: Any) -> list[str]:
        await ensure_indexes(db)
        return ["indexes ensured"]

    return _on_database(
        args.storage, init, "nothing to initialise: the memory store has no indexes"
    )


def _db_migrate(args: argparse.Namespace) -> int:
    from adapters.mongo.migrations import migrate_emails

    async def migrate(db: Any) -> list[str]:
        return (await migrate_emails(db)).lines()

    return _on_database(
        args.storage, migrate, "nothing to migrate: the memory store holds no older documents"
    )


def _on_database(
    storage: str | None, task: Callable[[Any], Awaitable[list[str]]], memory_note: str
) -> int:
    """Run `task` on the configured MongoDB database and print the lines it returns; with
    the memory store there is no database: say `memory_note` instead."""
    from adapters.mongo.connection import MongoConnection
    from entrypoints.bootstrap import build_services

    with _store(storage) as settings:
        mongo = build_services(settings).adapters.mongo
        if not isinstance(mongo, MongoConnection):
            print(memory_note, file=sys.stderr)
            return 0

        async def run() -> list[str]:
            try:
                return await task(await mongo.database())
            finally:
                await mongo.close()

        lines = asyncio.run(run())
    for line in lines:
        print(line)
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from application.users.create_user import NewUser
    from domain.users import Role, User
    from entrypoints.bootstrap import build_services
    from entrypoints.http.validation import checked_email

    if (args.storage or load_settings().storage) == "memory":
        print(
            "users create-admin needs a persistent store: with --storage memory the admin "
            "would vanish when this command exits.",
            file=sys.stderr,
        )
        return 2
    password = os.environ.get("APP_ADMIN_PASSWORD") or getpass.getpass("Password: ")

    async def create(settings: Settings) -> User:
        services = build_services(settings)
        try:
            return await services.user_factory.create(
                NewUser(
                    checked_email(args.email),
                    password,
                    args.name,
                    Role.ADMIN,
                    email_verified=True,  # the operator vouches for the address
                )
            )
        finally:
            await services.close()

    try:
        with _store(args.storage) as settings:
            user = asyncio.run(create(settings))
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

    app = create_app(build_services(load_settings({"APP_ENV": "local", "APP_STORAGE": "memory"})))
    print(json.dumps(app.openapi_schema.to_schema(), indent=2, sort_keys=True))
    return 0


def _namespace(args: argparse.Namespace) -> str:
    if args.namespace:
        return str(args.namespace)
    env = {"APP_ENV": "local", "APP_STORAGE": "memory"}
    env.update({k: v for k, v in os.environ.items() if k == "METRICS_NAMESPACE"})
    return load_settings(env).metrics_namespace


def _grafana_render(args: argparse.Namespace) -> int:
    from observability.grafana.render import render

    written = render(args.out, region=args.region, namespace=_namespace(args), folder=args.folder)
    for path in written:
        print(path)
    return 0


def _grafana_provision(args: argparse.Namespace) -> int:
    from observability.grafana.provision import ProvisioningError, provision

    token = args.token or os.environ.get("GRAFANA_TOKEN", "")
    try:
        report = provision(
            args.url, token, folder=args.folder, region=args.region, namespace=_namespace(args)
        )
    except ProvisioningError as exc:
        print(f"grafana: {exc}", file=sys.stderr)
        return 1
    for kind, items in (("created", report.created), ("updated", report.updated)):
        for item in items:
            print(f"{kind} {item}")
    print(f"{len(report.unchanged)} unchanged" if report.changed else "nothing to change")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
