"""Intermediaries in the API: the public register, professionals' authorizations, and the
introduction a match records; each also compiled into the one-statement read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.compiled.spec import (
    WORD,
    Filter,
    One,
    Rows,
    Scalar,
    column,
    computed,
    enum_value,
    register_root,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import Node, to_global_id
from renkei.graphql.types.geography import Prefecture
from renkei.graphql.types.organizations import Organization
from renkei.graphql.types.talent import ProfessionalProfile
from renkei.identity.scopes import TALENT_READ
from renkei.intermediaries import models
from renkei.intermediaries import repository as intermediaries
from renkei.talent import models as talent
from renkei.talent import repository as talent_repository

IntermediaryRole = described_enum(
    models.IntermediaryRole,
    name="IntermediaryRole",
    description="STRATEGY_HUB: a prefecture's プロフェッショナル人材戦略拠点; PLACEMENT_AGENCY: a "
    "licensed 有料職業紹介事業者; BANK: a regional bank; REVICAREER: REVIC's talent platform.",
    values={
        "STRATEGY_HUB": "A prefecture's プロフェッショナル人材戦略拠点 (拠点): turns firms'"
        " 経営課題 into talent needs.",
        "PLACEMENT_AGENCY": "A licensed placement agency (有料職業紹介事業者); its fee is a"
        " 紹介手数料.",
        "BANK": "A regional financial institution (地域金融機関) that introduces professionals.",
        "REVICAREER": "REVICareer, the talent platform of REVIC (地域経済活性化支援機構).",
    },
)


@table(models.Intermediary)
@strawberry.type(
    description="An organization registered by the platform's operators as an intermediary of "
    "a role: it may introduce professionals who authorize it to open needs."
)
class Intermediary(Node):
    row: strawberry.Private[models.Intermediary]
    role: IntermediaryRole = column(  # type: ignore[valid-type]
        models.Intermediary.role,
        description="Its role: STRATEGY_HUB, PLACEMENT_AGENCY, BANK or REVICAREER.",
    )
    license_number: str | None = column(
        models.Intermediary.license_number, description="許可番号 of a placement agency."
    )
    source_url: str = column(
        models.Intermediary.source_url, description="Where the registration can be checked."
    )
    registered_at: datetime = column(
        models.Intermediary.created_at,
        description="When the platform's operators registered it.",
    )
    withdrawn_at: datetime | None = column(
        models.Intermediary.withdrawn_at,
        description="When the registration was withdrawn; null while in force.",
    )

    @classmethod
    def from_row(cls, row: models.Intermediary) -> Intermediary:
        return cls(id=to_global_id("Intermediary", row.id), row=row)

    @strawberry.field(
        description="The prefecture a 拠点 serves.",
        metadata=sql(One("Prefecture", "{c}.code = {t}.prefecture_code")),
    )
    def prefecture(self) -> Prefecture | None:
        code = self.row.prefecture_code
        return None if code is None else Prefecture.by_code(code)

    @strawberry.field(
        description="The registered organization; null if you may not see it.",
        metadata=sql(One("Organization", "{c}.id = {t}.organization_id")),
    )
    async def organization(self, info: Info) -> Organization | None:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return None if row is None else Organization.from_row(row)


@table(models.IntermediaryAuthorization)
@strawberry.type(
    description="A professional lets an intermediary introduce them to needs. The intermediary "
    "reads the pseudonymous profile and the reference, never the name or contact."
)
class IntermediaryAuthorization(Node):
    row: strawberry.Private[models.IntermediaryAuthorization]
    reference: str = column(
        models.IntermediaryAuthorization.reference,
        description="How the intermediary knows the professional (their number there).",
    )
    created_at: datetime = column(
        models.IntermediaryAuthorization.created_at,
        description="When the professional gave it.",
    )
    withdrawn_at: datetime | None = column(
        models.IntermediaryAuthorization.withdrawn_at,
        description="Set once the professional withdrew it: no introduction since.",
    )

    @classmethod
    def from_row(cls, row: models.IntermediaryAuthorization) -> IntermediaryAuthorization:
        return cls(id=to_global_id("IntermediaryAuthorization", row.id), row=row)

    @strawberry.field(
        description="The intermediary's organization.",
        metadata=sql(One("Organization", "{c}.id = {t}.organization_id")),
    )
    async def organization(self, info: Info) -> Organization | None:
        row = await info.context.loaders.organization.load(self.row.organization_id)
        return None if row is None else Organization.from_row(row)

    @strawberry.field(
        description="The professional's pseudonymous profile (null once the authorization is "
        "withdrawn, for the intermediary).",
        metadata=sql(One("ProfessionalProfile", "{c}.professional_id = {t}.professional_id")),
    )
    async def professional(self, info: Info) -> ProfessionalProfile | None:
        row = await info.context.run(
            lambda s: talent_repository.profile(s, self.row.professional_id)
        )
        return None if row is None else ProfessionalProfile.from_row(row)


@table(talent.Match)
@strawberry.type(description="Who introduced the professional to the need, in which role.")
class MatchIntroduction:
    row: strawberry.Private[talent.Match]
    role: IntermediaryRole = computed(  # type: ignore[valid-type]
        Scalar("{t}.introduced_via", WORD),
        lambda row: models.IntermediaryRole(row.introduced_via),
        description="The role it introduced in: what subsidy conditions read.",
    )
    note: str | None = column(
        talent.Match.introduction_note,
        description="The intermediary's note to both sides; empty if none.",
    )
    introduced_at: datetime | None = column(
        talent.Match.introduced_at,
        description="When the introduction was made.",
    )

    @strawberry.field(
        description="The introducing organization.",
        metadata=sql(One("Organization", "{c}.id = {t}.introduced_by_organization_id")),
    )
    async def organization(self, info: Info) -> Organization | None:
        organization_id = self.row.introduced_by_organization_id
        if organization_id is None:
            return None
        row = await info.context.loaders.organization.load(organization_id)
        return None if row is None else Organization.from_row(row)


def _prefecture(value: str | None) -> str | None:
    from renkei.graphql.types.talent_queries import prefecture_code

    return prefecture_code(value)


_OWN = "(SELECT p.id FROM professionals p WHERE p.user_id = (SELECT renkei_user_id()))"
_OURS = "{t}.organization_id = (SELECT renkei_organization_id())"


@strawberry.type
class IntermediaryQueries:
    @strawberry.field(
        description="The register of intermediaries (registered, not withdrawn), by role and "
        "prefecture.",
        extensions=requires(TALENT_READ),
    )
    async def intermediaries(
        self,
        info: Info,
        role: Annotated[
            IntermediaryRole | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only intermediaries of this role."),
        ] = None,
        prefecture_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only intermediaries that serve this prefecture (JIS X 0401 code,"
                " 01 to 47)."
            ),
        ] = None,
    ) -> list[Intermediary]:
        wanted = None if role is None else models.IntermediaryRole(role)
        code = _prefecture(prefecture_code)
        rows = await info.context.run(
            lambda s: intermediaries.registration_list(s, role=wanted, prefecture_code=code)
        )
        return [Intermediary.from_row(r) for r in rows]

    @strawberry.field(
        description="The intermediaries you authorized to introduce you, as a professional.",
        extensions=requires(TALENT_READ),
    )
    async def my_intermediary_authorizations(self, info: Info) -> list[IntermediaryAuthorization]:
        user_id = info.context.viewer.user_id
        if user_id is None:
            return []

        async def mine(session: AsyncSession) -> list[models.IntermediaryAuthorization]:
            own = await talent_repository.own_professional(session, user_id)
            if own is None:
                return []
            return list(await intermediaries.authorization_list(session, professional_id=own.id))

        rows = await info.context.run(mine)
        return [IntermediaryAuthorization.from_row(r) for r in rows]

    @strawberry.field(
        description="Professionals who authorized your organization to introduce them, as an "
        "intermediary (empty when you act for none).",
        extensions=requires(TALENT_READ),
    )
    async def intermediary_authorizations(self, info: Info) -> list[IntermediaryAuthorization]:
        organization_id = info.context.viewer.organization_id
        if organization_id is None:
            return []
        rows = await info.context.run(
            lambda s: intermediaries.authorization_list(s, organization_id=organization_id)
        )
        return [IntermediaryAuthorization.from_row(r) for r in rows]


register_root(
    "intermediaries",
    Rows(
        "Intermediary",
        order="{c}.role, {c}.prefecture_code, {c}.id",
        filters={
            "role": Filter("{t}.role = {p}", enum_value),
            "prefecture_code": Filter("{t}.prefecture_code = {p}", _prefecture),
        },
        where="{t}.withdrawn_at IS NULL",
    ),
    scope=TALENT_READ,
)
register_root(
    "myIntermediaryAuthorizations",
    Rows(
        "IntermediaryAuthorization",
        order="{c}.created_at, {c}.id",
        where=f"{{t}}.professional_id = {_OWN}",
    ),
    scope=TALENT_READ,
)
register_root(
    "intermediaryAuthorizations",
    Rows("IntermediaryAuthorization", order="{c}.created_at, {c}.id", where=_OURS),
    scope=TALENT_READ,
)
register_node("Intermediary", models.Intermediary, Intermediary.from_row, TALENT_READ)
register_node(
    "IntermediaryAuthorization",
    models.IntermediaryAuthorization,
    IntermediaryAuthorization.from_row,
    TALENT_READ,
)
