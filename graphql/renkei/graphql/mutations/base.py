"""The shape every mutation shares: input in, payload with `userErrors` out, all or nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import DomainError, ErrorCode, Forbidden
from renkei.graphql.context import Info
from renkei.i18n.messages import _
from renkei.tenancy import Viewer

R = TypeVar("R")

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type(description="A problem with the input, for the user to fix. Nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: UserErrorCode  # type: ignore[valid-type]
    message: str

    @classmethod
    def from_error(cls, error: DomainError) -> UserError:
        return cls(field=error.field, code=error.code, message=error.message)


async def run_mutation(
    info: Info,
    work: Callable[[AsyncSession, Viewer], Awaitable[R]],
    *,
    scope: str,
) -> tuple[R | None, list[UserError]]:
    """Run one service call in a savepoint: a domain error undoes every write it made."""
    context = info.context
    async with context.lock:
        try:
            if context.viewer.is_authenticated and not context.viewer.has_scope(scope):
                raise Forbidden(_("this token lacks the {scope} scope", scope=scope))
            async with context.session.begin_nested():
                return await work(context.session, context.viewer), []
        except DomainError as error:
            return None, [UserError.from_error(error)]
