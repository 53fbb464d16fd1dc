"""How GraphQL errors are logged: faults at ERROR with their traceback, the rest at INFO.

Strawberry logs every error of a result at ERROR with a traceback, a refused document or a
`userError`-worthy domain error alike: under a fuzz run thousands of them buried the few faults.
A domain error (renkei.errors.DomainError) or a GraphQL error (a document that does not
validate, a limit) is the client's problem, answered with a code; a fault is anything else
raised while running, which the operator must see.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from renkei.errors import DomainError

# Strawberry's own logger, so that handlers configured for it keep working.
logger = logging.getLogger("strawberry.execution")


def is_fault(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | DomainError)


def code_of(error: GraphQLError) -> str | None:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code.value
    code: Any = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else None


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            path = ".".join(str(p) for p in error.path or ())
            if is_fault(error):
                logger.error(
                    "fault at %s: %s", path or "-", error.message, exc_info=error.original_error
                )
            else:
                logger.info(
                    "refused at %s: %s %s", path or "-", code_of(error) or "-", error.message
                )
