"""What a GraphQL request carries, checked before anything reads it.

- JSON nested deeper than any input needs is refused (a body 100,000 levels deep made the
  decoder raise RecursionError: a 500);
- strings PostgreSQL cannot store are refused wherever they come from (the query text, its
  string literals, variables, extensions, the operation name): the NUL character (a text value
  may not contain it) and lone UTF-16 surrogates (JSON's `"\\ud800"`, not valid UTF-8);
- a URL with a NUL is refused on every route (RefuseNulInUrl);
- a mutation without a viewer (no token, no browser session) is refused before its document is
  validated, let alone its input coerced: 401, as the exports answer.
Each refusal is a 4xx with a GraphQL-shaped body and a code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
)
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from renkei.i18n.messages import N_, _
from renkei.tenancy import Viewer

# Levels of arrays and objects in variables or extensions: far more than any input type nests.
MAX_JSON_DEPTH = 64
SIGN_IN_FIRST = N_("sign in first: send an Authorization: Bearer <token> header")
# Why PostgreSQL could not store a text, as `unstorable` says it (English, for logs and callers
# that word their own sentence); what the user reads is one of the sentences below.
NUL = "contains a NUL character"
SURROGATE = "contains a lone UTF-16 surrogate, which is not valid UTF-8"
# By where the text was: the request's members (query, operationName) or a string inside one
# (variables, extensions); {where} is the member's name as the client sent it.
_UNSTORABLE = {
    (NUL, False): N_("{where} contains a NUL character"),
    (SURROGATE, False): N_("{where} contains a lone UTF-16 surrogate, which is not valid UTF-8"),
    (NUL, True): N_("a string in {where} contains a NUL character"),
    (SURROGATE, True): N_(
        "a string in {where} contains a lone UTF-16 surrogate, which is not valid UTF-8"
    ),
}


class RequestRefused(Exception):
    """A request refused before it runs: a 4xx whose body is GraphQL-shaped and has a code."""

    def __init__(
        self, status: int, message: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}

    def response(self, media: str) -> Response:
        return JSONResponse(
            {"errors": [{"message": self.message, "extensions": {"code": self.code}}]},
            status_code=self.status,
            media_type=media,
            headers=self.headers,
        )


def _invalid(message: str) -> RequestRefused:
    return RequestRefused(400, message, "INVALID")


def unstorable(text: str) -> str | None:
    """Why PostgreSQL could not store this text, or None if it can."""
    if "\x00" in text:
        return NUL
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def _unstorable_in(where: str, problem: str, *, inside: bool) -> RequestRefused:
    return _invalid(_(_UNSTORABLE[problem, inside], where=where))


def loads(raw: str | bytes, what: str | None) -> Any:
    """JSON decoded, refused when nested beyond what the decoder can recurse into; `what` is
    the request's member (variables, extensions), None for the whole body."""
    try:
        return json.loads(raw)
    except RecursionError as error:
        if what is None:
            raise _invalid(_("the body is nested too deeply")) from error
        raise _invalid(_("{where} is nested too deeply", where=what)) from error


def check_value(value: Any, what: str) -> None:
    """Refuse decoded JSON nested deeper than MAX_JSON_DEPTH or with a string PostgreSQL refuses.

    Iterative, so that no nesting can exhaust the stack.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = unstorable(item)
            if problem is not None:
                raise _unstorable_in(what, problem, inside=True)
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _invalid(
                    _(
                        "{where} are nested more than {depth} levels deep",
                        where=what,
                        depth=MAX_JSON_DEPTH,
                    )
                )
            if isinstance(item, dict):
                stack.extend((key, depth + 1) for key in item)
                stack.extend((member, depth + 1) for member in item.values())
            else:
                stack.extend((member, depth + 1) for member in item)


def check_request(
    query: str | None,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    extensions: dict[str, Any] | None,
) -> None:
    for text, what in ((query, "query"), (operation_name, "operationName")):
        problem = unstorable(text) if text is not None else None
        if problem is not None:
            raise _unstorable_in(what, problem, inside=False)
    check_value(variables, "variables")
    check_value(extensions, "extensions")


class StringsPostgresAccepts(ASTValidationRule):
    """The string literals of a document: `"\\u0000"` parses into a NUL, which no text takes."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        problem = unstorable(node.value)
        if problem is not None:
            message = (
                _("this string contains a NUL character")
                if problem == NUL
                else _("this string contains a lone UTF-16 surrogate, which is not valid UTF-8")
            )
            self.report_error(GraphQLError(message, node, extensions={"code": "INVALID"}))


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (name is None or (d.name is not None and d.name.value == name))
    ]
    return operations[0] if len(operations) == 1 else None


async def refuse_anonymous_mutation(
    method: str,
    viewer: Viewer,
    query: str | None,
    operation_name: str | None,
    parse: Callable[[str], Any],
) -> None:
    """A mutation needs a viewer: refused (401) before its document is validated.

    `parse` gives the (remembered) document; a document that fails to parse, or does not say
    which operation runs, is left to the usual errors, as is a mutation over GET (405).
    """
    if method != "POST" or viewer.is_authenticated or not query:
        return
    try:
        document = await parse(query)
    except GraphQLError:
        return
    operation = _operation(document, operation_name)
    if operation is not None and operation.operation == OperationType.MUTATION:
        raise RequestRefused(
            401, _(SIGN_IN_FIRST), "UNAUTHENTICATED", {"WWW-Authenticate": "Bearer"}
        )


class RefuseNulInUrl:
    """ASGI middleware: a URL whose path or query carries a NUL (`%00`) is a 400 on every route,
    before a path parameter (an organization's slug at /auth/callback/...) or a query parameter
    reaches PostgreSQL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope.get("path", "")
            or b"%00" in scope.get("query_string", b"")
            or b"\x00" in scope.get("query_string", b"")
        ):
            refused = _invalid(_("the URL contains a NUL character"))
            await refused.response("application/json")(scope, receive, send)
            return
        await self.app(scope, receive, send)
