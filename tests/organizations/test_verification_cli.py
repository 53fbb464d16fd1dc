"""`renkei operator verify-organization SLUG`: the operator's command, run as the platform."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from factories import create_organization, create_user
from renkei.db import unit_of_work
from renkei.identity.models import AuditEvent
from renkei.organizations.models import Organization, OrganizationKind, Verification
from renkei.tenancy import Viewer


def _renkei(
    *args: str, database_url: str, redis_url: str, cwd: Path
) -> subprocess.CompletedProcess:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("RENKEI_")}
    return subprocess.run(
        [sys.executable, "-m", "renkei.cli", *args],
        env={**clean, "RENKEI_DATABASE_URL": database_url, "RENKEI_REDIS_URL": redis_url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _state(committed, slug: str) -> tuple[Verification, list[tuple[str, str]]]:
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        organization = await session.scalar(select(Organization).where(Organization.slug == slug))
        assert organization is not None
        events = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.organization_id == organization.id)
            .order_by(AuditEvent.created_at)
        )
        return organization.verification, [(e.action, e.detail.get("by", "")) for e in events]


async def test_an_operator_verifies_and_withdraws_from_the_command_line(
    committed, redis_url, tmp_path
):
    # given Tokyo, as its founder made it, and a squatter with the same code
    owner = await create_user(committed.sessions, "soumu@metro.tokyo.example")
    for slug in ("tokyo-metro", "tokyo-squat"):
        await create_organization(
            committed.sessions,
            owner,
            slug=slug,
            name="東京都",
            kind=OrganizationKind.PREFECTURE,
            home_prefecture_code="13",
            local_government_code="130001",
            verified=False,
        )
    run = {"database_url": committed.owner_url, "redis_url": redis_url, "cwd": tmp_path}
    # when the operator verifies the real one, then tries the squatter
    verified = _renkei("operator", "verify-organization", "tokyo-metro", **run)
    refused = _renkei("operator", "verify-organization", "tokyo-squat", **run)
    # then one holds the code verified, with an audit event, and the other is refused
    assert (verified.returncode, verified.stdout) == (0, "東京都 (tokyo-metro) is VERIFIED\n")
    assert refused.returncode == 1
    # (in English: the operators' command line writes English, renkei.operators.cli)
    assert refused.stderr.strip() == (
        "renkei operator verify-organization: 東京都 (tokyo-metro) is the verified holder of local"
        " government code (団体コード) 130001: withdraw its verification first if 東京都 is"
        " the real holder"
    )
    status, events = await _state(committed, "tokyo-metro")
    assert status is Verification.VERIFIED
    # (the squatter's claim was recorded on Tokyo's log when it was made)
    assert [action for action, _ in events] == [
        "organization_code_claimed",
        "organization_verified",
    ]
    assert events[1][1].startswith("cli:")
    # when the operator withdraws it
    withdrawn = _renkei(
        "operator", "verify-organization", "tokyo-metro", "--revoke", "--reason", "test", **run
    )
    # then it is unverified again, and that is audited too
    assert (withdrawn.returncode, withdrawn.stdout) == (0, "東京都 (tokyo-metro) is UNVERIFIED\n")
    status, events = await _state(committed, "tokyo-metro")
    assert status is Verification.UNVERIFIED
    assert [action for action, _ in events][1:] == [
        "organization_verified",
        "organization_unverified",
    ]
