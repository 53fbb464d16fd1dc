"""`renkei`: the command line, and the composition root that wires the API and the worker."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import socket
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from renkei import local_server, logs
from renkei.config import ConfigError, Settings
from renkei.dev_provider import DevProvider
from renkei.notifications import mail_cli
from renkei.operators import cli as operator_cli
from renkei.runtime import Runtime

logger = logging.getLogger("renkei")


# The commands that serve or work, traced (renkei.tracing) as these services.
TRACED = {"run": "renkei", "serve": "renkei-api", "worker": "renkei-worker"}

# The commands that send email: without RENKEI_SMTP_URL they start the embedded SMTP server.
SENDS_MAIL = frozenset({"run", "worker"})


def _runtime(settings: Settings, command: str) -> Runtime:
    return Runtime.start(settings, mail=command in SENDS_MAIL)


def _migrate(runtime: Runtime) -> None:
    from renkei import migrate

    migrate.upgrade(runtime.owner_url, app_role=runtime.settings.app_role)


async def _seed(runtime: Runtime) -> int:
    from renkei.seeding import seed

    try:
        return await seed(runtime.sessions)
    finally:
        await runtime.close()


def _app(runtime: Runtime, dev_provider: str | None = None):  # type: ignore[no-untyped-def]
    from renkei.email_domains.dns_challenge import DnsChallenge
    from renkei.graphql.app import create_app
    from renkei.graphql.auth import PlatformProvider, SignInConfig
    from renkei.graphql.documents import DocumentSettings, Registered
    from renkei.graphql.hardening import Hardening
    from renkei.graphql.throttle import Budget, Throttling
    from renkei.identity.oidc import OidcClient

    settings = runtime.settings
    platform = None
    if settings.platform_oidc_issuer and settings.platform_oidc_client_id:
        platform = PlatformProvider(
            issuer=settings.platform_oidc_issuer,
            client_id=settings.platform_oidc_client_id,
            client_secret=settings.platform_oidc_client_secret or "",
        )
    elif settings.development and dev_provider is not None:
        # Individual professionals sign in through the development provider too.
        platform = PlatformProvider(
            issuer=dev_provider, client_id=DEV_PLATFORM_CLIENT_ID, client_secret=DEV_CLIENT_SECRET
        )
    sign_in = SignInConfig(
        public_url=settings.public_url,
        box=runtime.secret_box,
        oidc=OidcClient(),
        cookie_secret=runtime.cookie_secret,
        secure_cookies=not settings.development,
        allow_http_loopback_issuers=settings.development,
        platform_provider=platform,
        dns=DnsChallenge.from_setting(settings.dns_nameservers),
    )
    from renkei.notifications.mail_folder import folder_of
    from renkei.webhooks.service import WebhookConfig

    return create_app(
        sessions=runtime.sessions,
        tokens=runtime.tokens,
        redis_url=runtime.redis_url,
        development=settings.development,
        sign_in=sign_in,
        hardening=Hardening(
            production=not settings.development,
            max_body_bytes=settings.max_body_bytes,
            public_introspection=settings.public_introspection,
        ),
        throttling=Throttling(
            budget=Budget(settings.throttle_capacity, settings.throttle_refill_per_minute),
            mutation_cost=settings.throttle_mutation_cost,
            auth_per_minute=settings.auth_requests_per_minute,
        )
        if settings.throttle_enabled
        else None,
        mail_folder=folder_of(settings.data_dir) if settings.smtp_url is None else None,
        webhooks=WebhookConfig(box=runtime.secret_box, production=not settings.development),
        documents=DocumentSettings(
            registered=Registered(settings.registered_documents),
            ttl_seconds=settings.persisted_query_ttl_seconds,
            max_documents=settings.persisted_query_max,
            manifests=settings.document_manifests,
        ),
    )


def _check_port(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(
                f"renkei: {host}:{port} is in use ({exc.strerror}). Stop the other server, "
                "or choose another port with RENKEI_PORT."
            ) from exc


def _metrics_server(settings: Settings):  # type: ignore[no-untyped-def]
    """The /metrics listener (RENKEI_METRICS_PORT), which the load balancer does not reach;
    None when off, or in development when the port is taken (another `renkei run`)."""
    import uvicorn

    from renkei.graphql.hardening import metrics_app

    port = settings.metrics_port
    if port is None:
        return None
    if settings.development and not _port_free(settings.metrics_host, port):
        logger.warning(
            "no /metrics: %s:%s is in use (set RENKEI_METRICS_PORT to another port, or off)",
            settings.metrics_host,
            port,
        )
        return None
    server = uvicorn.Server(
        uvicorn.Config(
            metrics_app(), host=settings.metrics_host, port=port, log_config=None, lifespan="off"
        )
    )
    # Signals are the API server's (or the worker's): when it stops, this listener stops too.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


async def _serve(runtime: Runtime, *, with_worker: bool, dev_provider: str | None = None) -> None:
    import uvicorn

    from renkei.workers.settings import create_worker

    settings = runtime.settings
    server = uvicorn.Server(
        uvicorn.Config(
            _app(runtime, dev_provider),
            host=settings.host,
            port=settings.port,
            log_config=None,
            lifespan="on",
        )
    )
    metrics = _metrics_server(settings)
    worker = create_worker(runtime) if with_worker else None
    # What start-up made (the schema, its compiled plans, the app) lives as long as the process:
    # moved out of the collector's reach, a full collection no longer walks it on every pass,
    # which stalled the event loop for a few hundred milliseconds at a time.
    gc.collect()
    gc.freeze()
    tasks = [asyncio.create_task(server.serve())]
    if metrics is not None:
        tasks.append(asyncio.create_task(metrics.serve()))
    if worker is not None:
        tasks.append(asyncio.create_task(worker.async_run()))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        server.should_exit = True
        if metrics is not None:
            metrics.should_exit = True
        if worker is not None:
            await worker.close()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await runtime.close()


async def _worker(runtime: Runtime) -> None:
    from renkei.workers.settings import create_worker

    worker = create_worker(runtime, handle_signals=True)
    # The worker's own series (jobs, the outbox, its pool), on its own /metrics listener.
    metrics = _metrics_server(runtime.settings)
    listener = asyncio.create_task(metrics.serve()) if metrics is not None else None
    try:
        # On SIGTERM arq lets running jobs finish, then cancels its main task.
        with contextlib.suppress(asyncio.CancelledError):
            await worker.async_run()
    finally:
        if metrics is not None and listener is not None:
            metrics.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
        await worker.close()
        await runtime.close()


def _export_documents(*, check: bool) -> int:
    from renkei.graphql.documents import CONSOLE_MANIFEST, console_manifest, render_manifest

    text = render_manifest(console_manifest())
    if check:
        current = CONSOLE_MANIFEST.read_text(encoding="utf-8") if CONSOLE_MANIFEST.exists() else ""
        if current != text:
            print(
                f"{CONSOLE_MANIFEST} is stale: run `renkei export-documents` and commit it",
                file=sys.stderr,
            )
            return 1
        return 0
    CONSOLE_MANIFEST.write_text(text, encoding="utf-8")
    print(f"wrote {CONSOLE_MANIFEST}")
    return 0


def _export_policies(settings: Settings, *, check: bool) -> int:
    """From RENKEI_DATABASE_URL, or the embedded PostgreSQL (Redis is not needed)."""
    from renkei.embedded import start_postgres

    server = None
    owner_url = settings.database_url
    if owner_url is None:
        server, owner_url = start_postgres(settings.data_dir)
    try:
        return _export_policies_from(owner_url, settings.app_role, check=check)
    finally:
        if server is not None:
            server.cleanup()


def _export_policies_from(owner_url: str, app_role: str, *, check: bool) -> int:
    from sqlalchemy import create_engine, text

    from renkei import migrate
    from renkei.policies import export

    url = make_url(owner_url).set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar_one_or_none()
    except Exception:  # no alembic_version table: never migrated
        version = None
    finally:
        engine.dispose()
    if version != migrate.head_revision():
        print(
            f"renkei export-policies: the database is at {version}, not at the latest migration "
            f"{migrate.head_revision()}: run `renkei migrate` first",
            file=sys.stderr,
        )
        return 2
    files = export.render(owner_url, app_role=app_role)
    if check:
        difference = export.diff(files)
        if difference:
            print(difference, end="")
            print(
                "platform/renkei/policies/ is not what the migrated database has: run"
                " `renkei export-policies` (and review the difference)",
                file=sys.stderr,
            )
            return 1
        return 0
    for path in export.write(files):
        print(f"wrote {path}")
    return 0


async def _token(runtime: Runtime, email: str, org: str | None, ttl: int | None) -> str:
    from renkei.db import unit_of_work
    from renkei.identity import repository
    from renkei.identity.scopes import ALL_SCOPES
    from renkei.organizations import repository as organizations
    from renkei.tenancy import Viewer

    try:
        async with unit_of_work(runtime.sessions, Viewer.platform()) as session:
            user = await repository.get_user_by_email(session, email)
            if user is None:
                raise SystemExit(f"renkei token: no user with the address {email}")
            organization_id = None
            if org is not None:
                organization = await organizations.by_slug(session, org.lower())
                if organization is None:
                    raise SystemExit(f"renkei token: no organization with the slug {org}")
                organization_id = organization.id
                if await repository.role_in(session, user.id, organization_id) is None:
                    raise SystemExit(f"renkei token: {email} is not a member of {org}")
        return runtime.tokens.issue(
            user_id=user.id, organization_id=organization_id, scopes=ALL_SCOPES, ttl_seconds=ttl
        )
    finally:
        await runtime.close()


def _start_dev_provider(settings: Settings) -> DevProvider | None:
    """The development provider beside the API (8001 beside 8000), or elsewhere when that port
    is taken; None without oidc-provider-mock (a dev dependency)."""
    from renkei import dev_provider
    from renkei.seeding_sign_in import seeded_people

    port = settings.port + 1 if settings.port < 65535 else 0
    return dev_provider.start(settings.host, port, seeded_people())


# The development provider's clients: one per seeded organization, one for the platform.
DEV_CLIENT_ID = "renkei-dev"
DEV_PLATFORM_CLIENT_ID = "renkei-dev-platform"
DEV_CLIENT_SECRET = "development-only"


async def _register_dev_provider(runtime: Runtime, issuer: str) -> list[str]:
    """Each seeded organization, and each seeded professional, signs in through the development
    provider (idempotent)."""
    from renkei.identity.oidc import OidcClient
    from renkei.seeding_sign_in import (
        link_development_identities,
        register_development_provider,
        seeded_professionals,
    )

    try:
        verified = await register_development_provider(
            runtime.sessions,
            box=runtime.secret_box,
            oidc=OidcClient(),
            issuer=issuer,
            client_id=DEV_CLIENT_ID,
            client_secret=DEV_CLIENT_SECRET,
        )
        # Individual professionals: the same provider, as the platform's (see _app).
        await link_development_identities(
            runtime.sessions, issuer=issuer, emails=seeded_professionals()
        )
        return verified
    finally:
        await runtime.close()


def _banner(runtime: Runtime, token: str, dev_provider: DevProvider | None = None) -> str:
    base = f"http://{runtime.settings.host}:{runtime.settings.port}"
    return (
        f"\n  Renkei is running: the console at {base}/ , GraphiQL at {base}/graphql\n"
        + _provider_lines(dev_provider)
        + "  A token for demo@renkei.example acting for fukuoka-pref (paste it in GraphiQL's\n"
        "  Headers tab):\n"
        f'    {{"Authorization": "Bearer {token}"}}\n'
        '  Try: { region(slug: "kyushu") { name projects(first: 5) { nodes { name status'
        " progress { percent } milestones(first: 3) { nodes { title dueOn status } }"
        " kpis(first: 2) { nodes { name latestObservation { value } } } } } } }\n"
        + _mail_line(runtime)
        + "  Stop with Ctrl-C.\n"
    )


def _provider_lines(dev_provider: DevProvider | None) -> str:
    if dev_provider is None:
        return "  No development provider (oidc-provider-mock is not installed).\n"
    taken = (
        f"; port {dev_provider.taken_port} was taken" if dev_provider.taken_port is not None else ""
    )
    return (
        f"  Sign in to the console through the development provider ({dev_provider.url}{taken}):\n"
        "    secretariat@kyushu-keizai.example  a region's secretariat (九州)\n"
        "    ceo@aso-seimitsu.example           a firm's president (株式会社阿蘇精密)\n"
        "    pro@renkei.example                 a professional (the individual sign-in)\n"
        "  (see the README's 'The web console').\n"
    )


def _mail_line(runtime: Runtime) -> str:
    if runtime.embedded.smtp is not None:
        return (
            f"  mail: {runtime.smtp_url}, read it with `renkei mail` or at "
            f"http://{runtime.settings.host}:{runtime.settings.port}/dev/mail\n"
        )
    if runtime.smtp_url is not None:
        # The URL may carry credentials: only its host is shown.
        host = urlsplit(runtime.smtp_url).hostname or "?"
        return f"  mail: sent through the SMTP server at {host} (RENKEI_SMTP_URL)\n"
    return ""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="renkei", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="start everything for development: servers, migrate, seed, API, worker"
    )
    commands.add_parser("serve", help="serve the API")
    commands.add_parser("worker", help="run the background worker and the outbox relay")
    commands.add_parser("migrate", help="bring the database schema to the latest migration")
    commands.add_parser("seed", help="load the development seed data (safe to repeat)")
    token = commands.add_parser("token", help="issue an access token for development")
    token.add_argument("--email", required=True)
    token.add_argument("--org", help="the slug of the organization to act for")
    token.add_argument("--ttl", type=int, help="lifetime in seconds")
    revision = commands.add_parser("revision", help="autogenerate a migration from the models")
    revision.add_argument("-m", "--message", required=True)
    export = commands.add_parser(
        "export-schema", help="write the GraphQL SDL to graphql/schema.graphql"
    )
    export.add_argument("--check", action="store_true", help="fail if the file is stale")
    documents = commands.add_parser(
        "export-documents",
        help="write the console's operations to their manifest of registered documents",
    )
    documents.add_argument("--check", action="store_true", help="fail if the file is stale")
    policies = commands.add_parser(
        "export-policies",
        help="write the database's row-level security (policies, renkei_* functions) to"
        " platform/renkei/policies/*.sql",
    )
    policies.add_argument(
        "--check",
        action="store_true",
        help="write nothing; print the difference and fail if the files are not the database's",
    )
    operator_cli.add_parser(commands)
    mail_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"renkei: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    if args.command == "token":
        settings, server_url = local_server.for_token(settings, os.environ)
        if server_url is not None:
            print(
                f"renkei token: signed for the server at {server_url} (as `renkei run` recorded"
                f" in {settings.data_dir / local_server.RECORD}; set RENKEI_PORT or"
                " RENKEI_PUBLIC_URL for another)",
                file=sys.stderr,
            )
    if args.command == "export-schema":
        from renkei.graphql.schema import SDL_PATH, build_schema, export_sdl

        if args.check:
            current = SDL_PATH.read_text() if SDL_PATH.exists() else ""
            if current != build_schema().as_str() + "\n":
                print("graphql/schema.graphql is stale: run `make schema`", file=sys.stderr)
                return 1
            return 0
        export_sdl()
        print(f"wrote {SDL_PATH}")
        return 0
    if args.command == "export-documents":
        return _export_documents(check=args.check)
    if args.command == "export-policies":
        return _export_policies(settings, check=args.check)
    if args.command == "mail":  # reads the mail folder: no server is started
        return mail_cli.run(settings, args)
    if args.command in TRACED:  # before any engine is made: its statements are spans
        from renkei import tracing

        tracing.configure(TRACED[args.command], traces_file=settings.traces_file)
    runtime = _runtime(settings, args.command)
    try:
        if args.command == "migrate":
            _migrate(runtime)
        elif args.command == "revision":
            from alembic import command

            from renkei.migrate import alembic_config

            _migrate(runtime)
            command.revision(
                alembic_config(runtime.owner_url), message=args.message, autogenerate=True
            )
        elif args.command == "seed":
            created = asyncio.run(_seed(runtime))
            print(f"seeded {created} new organizations")
        elif args.command == "token":
            print(asyncio.run(_token(runtime, args.email, args.org, args.ttl)))
        elif args.command == "operator":
            asyncio.run(operator_cli.run(runtime, args))
        elif args.command == "worker":
            asyncio.run(_worker(runtime))
        elif args.command == "serve":
            _check_port(settings.host, settings.port)
            local_server.record(settings)
            asyncio.run(_serve(runtime, with_worker=False))
        elif args.command == "run":
            _check_port(settings.host, settings.port)
            local_server.record(settings)
            _migrate(runtime)
            asyncio.run(_seed(runtime))
            token = asyncio.run(_token(runtime, "demo@renkei.example", "fukuoka-pref", 86400))
            dev_provider = _start_dev_provider(settings)
            issuer = dev_provider.url if dev_provider is not None else None
            if issuer is not None:
                asyncio.run(_register_dev_provider(runtime, issuer))
            print(_banner(runtime, token, dev_provider), flush=True)
            asyncio.run(_serve(runtime, with_worker=True, dev_provider=issuer))
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop_embedded()
    return 0


if __name__ == "__main__":
    sys.exit(main())
