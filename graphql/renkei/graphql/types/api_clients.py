"""Organizations' API clients: their systems calling the API with the client credentials grant."""

from __future__ import annotations

from datetime import datetime

import strawberry

from renkei.graphql.compiled.spec import JsonText, column, computed, table
from renkei.graphql.relay import to_global_id
from renkei.identity import models

# sorted(row.scopes): scopes are ASCII words, so byte order ("C") is Python's order.
SORTED_SCOPES = (
    "(SELECT coalesce(json_agg(s ORDER BY s COLLATE \"C\"), '[]')::text FROM unnest({t}.scopes) s)"
)


@table(models.ApiClient)
@strawberry.type(
    description="A system of an organization that gets tokens at /oauth/token with its client "
    "id and secret (the client credentials grant)."
)
class ApiClient:
    id: strawberry.ID = strawberry.field(description="The API client's id (for revokeApiClient).")
    row: strawberry.Private[models.ApiClient]
    name: str = column(
        models.ApiClient.name,
        description="What the system is, e.g. KPI dashboard.",
    )
    client_id: str = column(
        models.ApiClient.client_id, description="Sent with the secret to /oauth/token."
    )
    scopes: list[str] = computed(
        JsonText(SORTED_SCOPES),
        lambda row: sorted(row.scopes),
        description="The most its tokens may carry.",
    )
    created_at: datetime = column(
        models.ApiClient.created_at,
        description="When it was created.",
    )
    revoked_at: datetime | None = column(
        models.ApiClient.revoked_at,
        description="When it was revoked; a revoked client gets no tokens and acts for no one.",
    )
    last_used_at: datetime | None = column(
        models.ApiClient.last_used_at, description="When it last got a token."
    )

    @classmethod
    def from_row(cls, row: models.ApiClient) -> ApiClient:
        return cls(id=to_global_id("ApiClient", row.id), row=row)
