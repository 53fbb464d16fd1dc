"""Mutations on organizations' API clients: create one (its secret shown once) and revoke it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from renkei.graphql.context import Info
from renkei.graphql.mutations.base import INPUT, USER_ERRORS, UserError, run_mutation
from renkei.graphql.relay import decode_id
from renkei.graphql.types.api_clients import ApiClient
from renkei.identity import clients
from renkei.identity.scopes import ALL_SCOPES, ORGANIZATIONS_WRITE


@strawberry.input(
    description="A system of your organization that gets tokens with a client"
    " secret (OAuth client credentials)."
)
class CreateApiClientInput:
    organization_id: strawberry.ID = strawberry.field(
        description="Your organization's global id; you must be one of its owners or admins."
    )
    name: str = strawberry.field(description="What the system is, e.g. 'KPI dashboard'.")
    scopes: list[str] = strawberry.field(
        description=f"One or more of: {', '.join(sorted(ALL_SCOPES))}."
    )


@strawberry.type(
    description="The result of creating an API client: the only time its secret is shown."
)
class CreateApiClientPayload:
    api_client: ApiClient | None = strawberry.field(
        description="The API client created; null when none was."
    )
    client_secret: str | None = strawberry.field(
        description="Shown here once and never again: Renkei keeps only its hash."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The API client to revoke.")
class RevokeApiClientInput:
    api_client_id: strawberry.ID = strawberry.field(description="The ApiClient's id.")


@strawberry.type(description="The result of revoking an API client.")
class RevokeApiClientPayload:
    api_client: ApiClient | None = strawberry.field(
        description="The API client, now revoked; null when nothing changed."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class ApiClientMutations:
    @strawberry.mutation(description="Create an API client for your organization (owners, admins).")
    async def create_api_client(
        self, info: Info, input: Annotated[CreateApiClientInput, INPUT]
    ) -> CreateApiClientPayload:
        created, errors = await run_mutation(
            info,
            lambda session, viewer: clients.create_api_client(
                session,
                viewer,
                organization_id=decode_id(
                    input.organization_id, "Organization", field="organizationId"
                ),
                name=input.name,
                scopes=input.scopes,
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        if created is None:
            return CreateApiClientPayload(api_client=None, client_secret=None, user_errors=errors)
        row, secret = created
        return CreateApiClientPayload(
            api_client=ApiClient.from_row(row), client_secret=secret, user_errors=errors
        )

    @strawberry.mutation(
        description="Revoke an API client: it gets no more tokens, and its tokens act for no one."
    )
    async def revoke_api_client(
        self, info: Info, input: Annotated[RevokeApiClientInput, INPUT]
    ) -> RevokeApiClientPayload:
        row, errors = await run_mutation(
            info,
            lambda session, viewer: clients.revoke_api_client(
                session,
                viewer,
                api_client_id=decode_id(input.api_client_id, "ApiClient", field="apiClientId"),
            ),
            scope=ORGANIZATIONS_WRITE,
        )
        return RevokeApiClientPayload(
            api_client=ApiClient.from_row(row) if row else None, user_errors=errors
        )
