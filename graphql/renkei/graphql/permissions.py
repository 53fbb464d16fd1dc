"""Scopes on GraphQL fields: a machine client's token reaches only what its scopes allow.

A person's token carries every scope, so this narrows API clients only. Anonymous callers pass:
row-level security shows them nothing, as it always has. Mutations check their scope in
`run_mutation` and answer with a FORBIDDEN user error instead.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from renkei.graphql.context import Info
from renkei.i18n.messages import _

INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"


def insufficient_scope(scope: str) -> GraphQLError:
    return GraphQLError(
        _("this token lacks the {scope} scope", scope=scope),
        extensions={"code": INSUFFICIENT_SCOPE, "scope": scope},
    )


def check_scope(info: Info, scope: str) -> None:
    """Raise INSUFFICIENT_SCOPE when a signed-in caller's token lacks `scope`."""
    viewer = info.context.viewer
    if viewer.is_authenticated and not viewer.has_scope(scope):
        raise insufficient_scope(scope)


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresScope",
    description="A token must carry the scope named by `scope` (e.g. projects:read) to read the"
    " field; without it, the field answers an error with the code INSUFFICIENT_SCOPE.",
)
class RequiresScopeDirective:
    scope: str


class RequireScope(BasePermission):
    """Allow the field only to tokens with one scope."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    @property
    def schema_directive(self) -> object:
        return RequiresScopeDirective(scope=self.scope)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return not viewer.is_authenticated or viewer.has_scope(self.scope)

    def on_unauthorized(self) -> None:
        raise insufficient_scope(self.scope)


def requires(scope: str) -> list[FieldExtension]:
    """Field extensions that refuse a token without `scope`: `extensions=requires(...)`."""
    return [PermissionExtension(permissions=[RequireScope(scope)])]
