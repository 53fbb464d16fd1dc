"""The shape every mutation shares: input in, payload with `userErrors` out, all or nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import DomainError, ErrorCode, Forbidden
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.i18n.messages import _
from renkei.tenancy import Viewer

R = TypeVar("R")

UserErrorCode = described_enum(
    ErrorCode,
    name="UserErrorCode",
    description="Why a mutation changed nothing, as a stable code (the message says it in words).",
    values={
        "INVALID": "A value is not acceptable (too long, out of range, inconsistent).",
        "NOT_FOUND": "Nothing you may see has this id: missing and hidden look the same.",
        "CONFLICT": "Someone changed it since you read it (a stale version), or its state does"
        " not allow the step.",
        "FORBIDDEN": "You may see it but not do this (your role, your side, your token's scopes).",
        "UNAUTHENTICATED": "No one is signed in: send a bearer token, or sign in to the console.",
        "INVALID_ID": "Not a global id of the expected type.",
        "INVALID_CHECK_DIGIT": "A 法人番号 or 全国地方公共団体コード whose check digit is wrong.",
        "UNKNOWN_PREFECTURE": "Not a JIS X 0401 prefecture code (01 to 47).",
        "DUPLICATE": "It exists already (the same organization, match or entry).",
        "LAST_OWNER": "An organization keeps at least one owner.",
        "ORGANIZATION_UNVERIFIED": "Only an organization the platform verified may do this.",
        "CONFIRMATION_REQUIRED": "This step has consequences: repeat it with the confirmation"
        " the message names.",
        "INVALID_TRANSITION": "The step does not follow from the current status (a grant"
        " application goes 構想 → 申請 → 交付決定 → 実績報告 → 確定, one step at a time).",
    },
)


# What every mutation's `input` argument and `userErrors` field mean.
INPUT = strawberry.argument(
    description="What to do, in one object: its fields say what each value means. The mutation"
    " is all or nothing: with a userError, nothing of it was written."
)
USER_ERRORS = (
    "Why nothing was changed, one error per problem; empty when the mutation succeeded"
    " (then the payload's other fields hold the result)."
)


@strawberry.type(description="A problem with the input, for the user to fix. Nothing was changed.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault, by its camelCase name (e.g. `startsOn`);"
        " null when no one field is at fault."
    )
    code: UserErrorCode = strawberry.field(  # type: ignore[valid-type]
        description="What went wrong, as a stable code a program can test."
    )
    message: str = strawberry.field(
        description="What went wrong, in the reader's language (Japanese by default, or English)."
    )

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
