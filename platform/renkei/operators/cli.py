"""`renkei operator …`: what the platform's operators do from the command line, as the platform.

Each subcommand is an async function taking the runtime and the parsed arguments; it prints what
it did and raises SystemExit with a message when it cannot. Operators read it in English: the
service's messages are written in `en` here, whatever the shell's language.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Awaitable, Callable
from typing import Any

from renkei.errors import DomainError
from renkei.i18n.messages import _, use_locale

Command = Callable[[Any, argparse.Namespace], Awaitable[None]]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


async def _grant(runtime: Any, args: argparse.Namespace) -> None:
    from renkei.db import unit_of_work
    from renkei.operators import service
    from renkei.tenancy import Viewer

    async with unit_of_work(runtime.sessions, Viewer.platform()) as session:
        user = await service.grant(session, email=args.email, granted_by=_actor())
    print(f"{user.email} operates the platform")


async def _revoke(runtime: Any, args: argparse.Namespace) -> None:
    from renkei.db import unit_of_work
    from renkei.operators import service
    from renkei.tenancy import Viewer

    async with unit_of_work(runtime.sessions, Viewer.platform()) as session:
        await service.revoke(session, email=args.email, revoked_by=_actor())
    print(f"{args.email} no longer operates the platform")


async def _verify_domain(runtime: Any, args: argparse.Namespace) -> None:
    from renkei.db import unit_of_work
    from renkei.email_domains import service
    from renkei.errors import NotFound
    from renkei.organizations import repository as organizations
    from renkei.tenancy import Viewer

    async with unit_of_work(runtime.sessions, Viewer.platform()) as session:
        organization = await organizations.by_slug(session, args.organization.strip().lower())
        if organization is None:
            raise NotFound(
                _("no organization {slug}", slug=repr(args.organization)), field="organization"
            )
        claim = await service.approve(
            session,
            organization_id=organization.id,
            domain=args.domain,
            by=_actor(),
            actor_user_id=None,
        )
    print(f"{claim.domain} is verified for {organization.name} ({organization.slug})")


async def _domains(runtime: Any, args: argparse.Namespace) -> None:
    from renkei.db import unit_of_work
    from renkei.email_domains import repository
    from renkei.tenancy import Viewer

    async with unit_of_work(runtime.sessions, Viewer.platform()) as session:
        rows = await repository.claims_with_slugs(session, pending_only=bool(args.pending))
    for claim, slug in rows:
        print(
            f"{claim.domain}\t{slug}\t{claim.status.value}\t{claim.record_name} TXT {claim.token}"
        )


async def _verify_organization(runtime: Any, args: argparse.Namespace) -> None:
    from renkei.db import unit_of_work
    from renkei.organizations import verification
    from renkei.tenancy import Viewer

    async with unit_of_work(runtime.sessions, Viewer.platform()) as session:
        if args.revoke:
            organization = await verification.unverify(
                session,
                slug=args.slug,
                unverified_by=_actor(),
                actor_user_id=None,
                reason=args.reason or "withdrawn from the command line",
            )
        else:
            organization = await verification.verify(
                session, slug=args.slug, verified_by=_actor(), actor_user_id=None
            )
    print(f"{organization.name} ({organization.slug}) is {organization.verification.value}")


async def _register_intermediary(runtime: Any, args: argparse.Namespace) -> None:
    from renkei.db import unit_of_work
    from renkei.errors import NotFound
    from renkei.intermediaries import repository as intermediaries
    from renkei.intermediaries import service
    from renkei.intermediaries.models import IntermediaryRole
    from renkei.organizations import repository as organizations
    from renkei.tenancy import Viewer

    role = IntermediaryRole(args.role)
    async with unit_of_work(runtime.sessions, Viewer.platform()) as session:
        organization = await organizations.by_slug(session, args.slug.strip().lower())
        if organization is None:
            raise NotFound(_("no organization {slug}", slug=repr(args.slug)), field="slug")
        if args.withdraw:
            row = await intermediaries.registration(
                session, organization_id=organization.id, role=role
            )
            if row is None:
                raise NotFound(_("No such intermediary."), field="role")
            await service.withdraw(session, row, withdrawn_by=_actor(), actor_user_id=None)
            print(f"{organization.name} ({organization.slug}) is no longer a {role.value}")
            return
        await service.register(
            session,
            registered_by=_actor(),
            actor_user_id=None,
            organization_id=organization.id,
            role=role,
            prefecture_code=args.prefecture,
            license_number=args.license_number,
            source_url=args.source_url or "",
        )
    print(f"{organization.name} ({organization.slug}) is a registered {role.value}")


def add_parser(commands: Any) -> None:
    operator = commands.add_parser("operator", help="what the platform's operators do")
    actions = operator.add_subparsers(dest="action", required=True)
    grant = actions.add_parser("grant", help="make a user a platform operator")
    grant.add_argument("--email", required=True)
    grant.set_defaults(run=_grant)
    revoke = actions.add_parser("revoke", help="take a user's operator rights away")
    revoke.add_argument("--email", required=True)
    revoke.set_defaults(run=_revoke)
    verify = actions.add_parser(
        "verify-domain",
        help="approve an organization's email domain without DNS (audited in its log)",
    )
    verify.add_argument("--organization", required=True, help="the organization's slug")
    verify.add_argument("--domain", required=True)
    verify.set_defaults(run=_verify_domain)
    domains = actions.add_parser("domains", help="list organizations' email domain claims")
    domains.add_argument("--pending", action="store_true", help="only the unverified ones")
    domains.set_defaults(run=_domains)
    organization = actions.add_parser(
        "verify-organization",
        help="vouch that an organization is who it says (public bodies, contested codes)",
    )
    organization.add_argument("slug")
    organization.add_argument("--revoke", action="store_true", help="withdraw its verification")
    organization.add_argument("--reason", help="why the verification is withdrawn (audited)")
    organization.set_defaults(run=_verify_organization)
    intermediary = actions.add_parser(
        "register-intermediary",
        help="vouch that an organization introduces professionals in a role (拠点, agency, bank)",
    )
    intermediary.add_argument("slug")
    intermediary.add_argument(
        "--role", required=True, choices=["STRATEGY_HUB", "PLACEMENT_AGENCY", "BANK", "REVICAREER"]
    )
    intermediary.add_argument("--prefecture", help="the prefecture code a STRATEGY_HUB serves")
    intermediary.add_argument("--license-number", help="許可番号 of a PLACEMENT_AGENCY")
    intermediary.add_argument("--source-url", help="where the registration can be checked")
    intermediary.add_argument("--withdraw", action="store_true", help="withdraw it (audited)")
    intermediary.set_defaults(run=_register_intermediary)


async def run(runtime: Any, args: argparse.Namespace) -> None:
    try:
        with use_locale("en"):
            await args.run(runtime, args)
    except DomainError as error:
        raise SystemExit(f"renkei operator {args.action}: {error.message}") from error
    finally:
        await runtime.close()
