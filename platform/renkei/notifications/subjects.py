"""What a notification is about, as the API names it: a global id, spelled as
renkei.graphql.relay.to_global_id spells it (the domain does not import the API; a test
checks that both agree)."""

from __future__ import annotations

import base64
import uuid


def global_id(type_name: str, key: uuid.UUID | str) -> str:
    """The API's global id of a row of `type_name` (Milestone, Invitation, Match...)."""
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode()
