"""Organizations' API clients: their systems calling the API with the client credentials grant."""

from __future__ import annotations

from datetime import datetime

import strawberry

from renkei.graphql.relay import to_global_id
from renkei.identity import models


@strawberry.type(
    description="A system of an organization that gets tokens at /oauth/token with its client "
    "id and secret (the client credentials grant)."
)
class ApiClient:
    id: strawberry.ID
    name: str
    client_id: str = strawberry.field(description="Sent with the secret to /oauth/token.")
    scopes: list[str] = strawberry.field(description="The most its tokens may carry.")
    created_at: datetime
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked; a revoked client gets no tokens and acts for no one."
    )
    last_used_at: datetime | None = strawberry.field(description="When it last got a token.")
    row: strawberry.Private[models.ApiClient]

    @classmethod
    def from_row(cls, row: models.ApiClient) -> ApiClient:
        return cls(
            id=to_global_id("ApiClient", row.id),
            name=row.name,
            client_id=row.client_id,
            scopes=sorted(row.scopes),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            row=row,
        )
