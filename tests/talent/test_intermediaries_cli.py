"""`renkei operator register-intermediary SLUG`: the operator's command, run as the platform."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from factories import create_organization, create_user
from organizations.test_verification_cli import _renkei
from renkei.db import unit_of_work
from renkei.identity.models import AuditEvent
from renkei.intermediaries.models import Intermediary
from renkei.organizations.models import Organization, OrganizationKind
from renkei.tenancy import Viewer


async def _registrations(committed: Any, slug: str) -> tuple[list[bool], list[str]]:
    """Whether each registration of the organization is active, and its audit actions."""
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        organization = await session.scalar(select(Organization).where(Organization.slug == slug))
        assert organization is not None
        rows = await session.scalars(
            select(Intermediary).where(Intermediary.organization_id == organization.id)
        )
        events = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.organization_id == organization.id)
            .order_by(AuditEvent.created_at)
        )
        return [r.active for r in rows], list(events)


async def test_an_operator_registers_and_withdraws_a_hub_from_the_command_line(
    committed: Any, redis_url: str, tmp_path: Any
) -> None:
    # given two organizations in 福岡, neither an intermediary
    owner = await create_user(committed.sessions, "owner@hubs.example")
    for slug in ("fukuoka-hub", "fukuoka-rival"):
        await create_organization(
            committed.sessions, owner, slug=slug, kind=OrganizationKind.ECONOMIC_ORGANIZATION
        )
    run = {"database_url": committed.owner_url, "redis_url": redis_url, "cwd": tmp_path}
    hub = ("--role", "STRATEGY_HUB", "--prefecture", "40")

    # when the operator registers the first as 福岡's 拠点, then the second too
    registered = _renkei("operator", "register-intermediary", "fukuoka-hub", *hub, **run)
    refused = _renkei("operator", "register-intermediary", "fukuoka-rival", *hub, **run)

    # then the first is registered (audited) and the second refused: one 拠点 per prefecture
    assert (registered.returncode, registered.stdout) == (
        0,
        "fukuoka-hub (fukuoka-hub) is a registered STRATEGY_HUB\n",
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "renkei operator register-intermediary: Prefecture 40 has a registered 拠点 already."
    )
    assert await _registrations(committed, "fukuoka-hub") == ([True], ["intermediary_registered"])

    # when the operator withdraws it
    withdrawn = _renkei(
        "operator", "register-intermediary", "fukuoka-hub", *hub, "--withdraw", **run
    )

    # then it is withdrawn, not deleted, and that is audited too
    assert withdrawn.returncode == 0
    assert await _registrations(committed, "fukuoka-hub") == (
        [False],
        ["intermediary_registered", "intermediary_withdrawn"],
    )
