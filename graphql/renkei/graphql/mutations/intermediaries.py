"""Mutations on intermediaries: the operators' register, professionals' authorizations and
introductions (renkei.intermediaries.service)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.intermediaries import (
    Intermediary,
    IntermediaryAuthorization,
    IntermediaryRole,
)
from renkei.graphql.types.talent_matches import Match
from renkei.identity.scopes import ORGANIZATIONS_WRITE, TALENT_WRITE
from renkei.intermediaries import models, service
from renkei.talent import models as talent
from renkei.tenancy import Viewer


@strawberry.input(description="Register an organization as an intermediary of a role.")
class RegisterIntermediaryInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization's global id.")
    role: IntermediaryRole = strawberry.field(  # type: ignore[valid-type]
        description="Its role: STRATEGY_HUB, PLACEMENT_AGENCY, BANK or REVICAREER."
    )
    prefecture_code: str | None = strawberry.field(
        default=None, description="The prefecture a STRATEGY_HUB serves (required for one)."
    )
    license_number: str | None = strawberry.field(
        default=None, description="許可番号 of a PLACEMENT_AGENCY, e.g. 13-ユ-123456 (required)."
    )
    source_url: str = strawberry.field(
        default="", description="Where the registration can be checked (a public page)."
    )


@strawberry.input(description="An intermediary registration to withdraw.")
class WithdrawIntermediaryInput:
    intermediary_id: strawberry.ID = strawberry.field(description="The Intermediary's global id.")


@strawberry.type(description="The result of a mutation on an intermediary's registration.")
class IntermediaryPayload:
    intermediary: Intermediary | None = strawberry.field(
        description="The registration as it is now; null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Let a registered intermediary introduce you to needs.")
class AuthorizeIntermediaryInput:
    organization_id: strawberry.ID = strawberry.field(
        description="The intermediary's organization."
    )
    reference: str = strawberry.field(
        default="", description="How it knows you (your registration number there)."
    )


@strawberry.input(
    description="An authorization of yours to withdraw: the intermediary may no"
    " longer introduce you."
)
class WithdrawIntermediaryAuthorizationInput:
    authorization_id: strawberry.ID = strawberry.field(
        description="The IntermediaryAuthorization's global id."
    )


@strawberry.type(description="The result of a mutation on an authorization.")
class IntermediaryAuthorizationPayload:
    authorization: IntermediaryAuthorization | None = strawberry.field(
        description="The authorization as it is now; null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Introduce a professional who authorized you to an open need.")
class IntroduceProfessionalInput:
    need_id: strawberry.ID = strawberry.field(description="The open talent need's global id.")
    authorization_id: strawberry.ID = strawberry.field(
        description="The professional's authorization of your organization."
    )
    note: str = strawberry.field(default="", description="A short note to both sides.")
    role: IntermediaryRole | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The role you introduce in, when registered in several."
    )


@strawberry.type(description="The result of introducing a professional.")
class IntroduceProfessionalPayload:
    match: Match | None = strawberry.field(
        description="The match made, INTRODUCED; null when none was made."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def _intermediary(row: models.Intermediary | None, errors: list[UserError]) -> IntermediaryPayload:
    return IntermediaryPayload(
        intermediary=Intermediary.from_row(row) if row else None, user_errors=errors
    )


def _authorization(
    row: models.IntermediaryAuthorization | None, errors: list[UserError]
) -> IntermediaryAuthorizationPayload:
    return IntermediaryAuthorizationPayload(
        authorization=IntermediaryAuthorization.from_row(row) if row else None, user_errors=errors
    )


@strawberry.type
class IntermediaryMutations:
    @strawberry.mutation(
        description="Register an organization as an intermediary (platform operators only): "
        "an organization never declares itself one."
    )
    async def register_intermediary(
        self, info: Info, input: Annotated[RegisterIntermediaryInput, INPUT]
    ) -> IntermediaryPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.Intermediary:
            return await service.register_as_operator(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                role=models.IntermediaryRole(input.role),
                prefecture_code=input.prefecture_code,
                license_number=input.license_number,
                source_url=input.source_url,
            )

        row, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return _intermediary(row, errors)

    @strawberry.mutation(
        description="Withdraw an intermediary's registration (platform operators)."
    )
    async def withdraw_intermediary(
        self, info: Info, input: Annotated[WithdrawIntermediaryInput, INPUT]
    ) -> IntermediaryPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.Intermediary:
            return await service.withdraw_registration(
                session,
                viewer,
                intermediary_id=decode_id(
                    input.intermediary_id, "Intermediary", field="intermediaryId"
                ),
            )

        row, errors = await run_mutation(info, work, scope=ORGANIZATIONS_WRITE)
        return _intermediary(row, errors)

    @strawberry.mutation(
        description="As a professional, let an intermediary you are registered with introduce "
        "you to needs. It reads your pseudonymous profile, never your name or contact."
    )
    async def authorize_intermediary(
        self, info: Info, input: Annotated[AuthorizeIntermediaryInput, INPUT]
    ) -> IntermediaryAuthorizationPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.IntermediaryAuthorization:
            return await service.authorize(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                reference=input.reference,
            )

        row, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        return _authorization(row, errors)

    @strawberry.mutation(description="Withdraw your authorization of an intermediary.")
    async def withdraw_intermediary_authorization(
        self, info: Info, input: Annotated[WithdrawIntermediaryAuthorizationInput, INPUT]
    ) -> IntermediaryAuthorizationPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> models.IntermediaryAuthorization:
            return await service.withdraw_authorization(
                session,
                viewer,
                authorization_id=decode_id(
                    input.authorization_id, "IntermediaryAuthorization", field="authorizationId"
                ),
            )

        row, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        return _authorization(row, errors)

    @strawberry.mutation(
        description="As an intermediary, introduce a professional who authorized you to an open "
        "need: the match is recorded with your organization; both sides then accept it."
    )
    async def introduce_professional(
        self, info: Info, input: Annotated[IntroduceProfessionalInput, INPUT]
    ) -> IntroduceProfessionalPayload:
        async def work(session: AsyncSession, viewer: Viewer) -> talent.Match:
            return await service.introduce(
                session,
                viewer,
                need_id=decode_id(input.need_id, "TalentNeed", field="needId"),
                authorization_id=decode_id(
                    input.authorization_id, "IntermediaryAuthorization", field="authorizationId"
                ),
                note=input.note,
                role=None if input.role is None else models.IntermediaryRole(input.role),
            )

        row, errors = await run_mutation(info, work, scope=TALENT_WRITE)
        return IntroduceProfessionalPayload(
            match=Match.from_row(row) if row else None, user_errors=errors
        )
