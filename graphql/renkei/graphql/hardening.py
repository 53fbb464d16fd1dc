"""What a production API owes the Internet, around the routes that do the work.

- A body limit (413 above `max_body_bytes`), enforced while the body is read: a Content-Length
  over it is refused at once, and a chunked body is counted as it comes.
- Security headers on every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy`,
  `X-Frame-Options`, `Cache-Control: no-store` unless the route chose its own caching; in
  production also HSTS and, on HTML pages, a Content-Security-Policy that runs no script.
- A fault never reaches the client as Starlette's plain-text 500: an unreachable database (or
  Redis) is a GraphQL-shaped 503 `SERVICE_UNAVAILABLE` with Retry-After, anything else a masked
  500 `INTERNAL_ERROR` (logged with its traceback).
- In production, introspection is for the platform's operators only (or everyone, by a setting),
  and validation errors do not suggest field names ("Did you mean …"): the schema is not handed
  to whoever probes it.
- Readiness checks that each answer within a time budget, run side by side, so /readyz answers
  within two seconds whatever hangs.
- /metrics on a listener of its own (`metrics_app`), never the public one in production.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
import redis.exceptions
from graphql import FieldNode, GraphQLError, ValidationRule
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from renkei.db import SessionFactory
from renkei.i18n.messages import N_, _
from renkei.operators.service import is_operator

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Each readiness check gets this long; they run at once, so /readyz answers within ~1.5 s.
CHECK_TIMEOUT_SECONDS = 1.5
RETRY_AFTER_SECONDS = 5
HSTS = "max-age=63072000; includeSubDomains"
# Renkei's HTML pages (sign-in pages) carry inline styles and no script at all.
HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
UNAVAILABLE = N_("the service is unavailable for a moment: try again shortly")
MASKED = N_("Internal error: it has been logged; try again later.")
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
_INTROSPECTION = re.compile(r"\b__(?:schema|type)\b")
# Errors that say a backing server cannot be reached, whatever the statement was.
_UNREACHABLE: tuple[type[BaseException], ...] = (
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection in time
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
)
# SQLSTATEs of a server going away: connection exceptions (class 08), and the server shutting
# down or starting (57P01-57P03). A lock timeout or a cancelled statement is not an outage.
_SHUTDOWN_STATES = ("57P01", "57P02", "57P03")


def _says_unreachable(error: BaseException) -> bool:
    if isinstance(error, _UNREACHABLE):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return bool(error.connection_invalidated)
    if isinstance(error, psycopg.Error):
        state = error.sqlstate
        if state is None:  # no answer from the server at all: refused, reset, closed
            return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
        return state.startswith("08") or state in _SHUTDOWN_STATES
    return False


@dataclass(frozen=True)
class Hardening:
    """How hardened the app is; `production` turns on HSTS, the CSP, and closes introspection."""

    production: bool
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # In production: introspection for everyone, not only the platform's operators.
    public_introspection: bool = False


def without_suggestions(message: str) -> str:
    """A validation message without its "Did you mean …?", which would leak the schema."""
    return _SUGGESTION.sub("", message)


def is_outage(error: BaseException) -> bool:
    """Whether the error (or one it came from) says a backing server cannot be reached."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if _says_unreachable(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _graphql_error(status: int, message: str, code: str, headers: dict[str, str]) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class _BodyTooLarge(Exception):
    pass


class HardeningMiddleware:
    """The body limit, the security headers and the last word on faults (see the module)."""

    def __init__(self, app: ASGIApp, hardening: Hardening) -> None:
        self.app = app
        self.hardening = hardening

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.hardening.max_body_bytes
        too_large = _graphql_error(
            413,
            _("the request body is larger than {limit} bytes", limit=limit),
            "PAYLOAD_TOO_LARGE",
            {},
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large(scope, receive, self._with_headers(send))
            return
        try:
            body = await self._read_body(receive, limit)
        except _BodyTooLarge:
            await too_large(scope, receive, self._with_headers(send))
            return
        started = False
        headed = self._with_headers(send)

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                message, body = body, None
                return message
            return await receive()

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await headed(message)

        try:
            await self.app(scope, replay, tracked)
        except Exception as error:
            if started:
                raise
            if is_outage(error):
                logger.warning("a backing server is unavailable", exc_info=error)
                answer = _graphql_error(
                    503,
                    _(UNAVAILABLE),
                    "SERVICE_UNAVAILABLE",
                    {"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            else:
                logger.error("unhandled fault", exc_info=error)
                answer = _graphql_error(500, _(MASKED), "INTERNAL_ERROR", {})
            await answer(scope, receive, headed)

    @staticmethod
    async def _read_body(receive: Receive, limit: int) -> Message | None:
        """The whole body as one message, counted while it comes; None if not a body."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message  # a disconnect: handed on as it is
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    def _with_headers(self, send: Send) -> Send:
        production = self.hardening.production

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                wanted = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"no-store"),
                ]
                if production:
                    wanted.append((b"strict-transport-security", HSTS.encode()))
                    if content_type.startswith(b"text/html"):
                        wanted.append((b"content-security-policy", HTML_POLICY.encode()))
                headers.extend((name, value) for name, value in wanted if name not in present)
                message["headers"] = headers
            await send(message)

        return headed


class NoIntrospection(ValidationRule):
    """Refuses `__schema` and `__type` (not `__typename`, which every client needs)."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value in ("__schema", "__type"):
            self.report_error(
                GraphQLError(
                    _(
                        "introspection is off on this server: the schema is published with the "
                        "API's documentation"
                    ),
                    node,
                    extensions={"code": "INTROSPECTION_DISABLED"},
                )
            )


async def _introspection_allowed(context: Any) -> bool:
    request: Request | None = getattr(context, "request", None)
    hardening = getattr(request.app.state, "hardening", None) if request is not None else None
    if not isinstance(hardening, Hardening):
        return True  # not served by create_app (no app state): nothing to close
    if not hardening.production or hardening.public_introspection:
        return True
    user_id = context.viewer.user_id
    if user_id is None:
        return False
    found: bool = await context.run(lambda session: is_operator(session, user_id))
    return found


class IntrospectionGate(SchemaExtension):
    """In production, introspection is for the platform's operators (or all, by a setting).

    The operator is looked up only when the document asks for `__schema` or `__type`."""

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context
        query = context.query or ""
        if _INTROSPECTION.search(query) and not await _introspection_allowed(context.context):
            context.validation_rules = (*context.validation_rules, NoIntrospection)
        yield


Check = Callable[[], Awaitable[dict[str, str]]]


async def _bounded(name: str, check: Check, seconds: float) -> dict[str, str]:
    try:
        async with asyncio.timeout(seconds):
            return await check()
    except TimeoutError:
        return {name: f"unavailable: no answer within {seconds:g} s"}
    except Exception as exc:  # readiness reports any failure
        return {name: f"unavailable: {type(exc).__name__}"}


async def readiness(
    sessions: SessionFactory, redis_client: Any, *, seconds: float = CHECK_TIMEOUT_SECONDS
) -> tuple[bool, dict[str, str]]:
    """Whether this process can serve: the database (and its migrations) and Redis, checked at
    once, each within `seconds`; the checks say what failed."""

    # Imported here: renkei.migrate loads Alembic, which the schema (this module's other user)
    # does not need.
    from renkei.migrate import schema_state

    async def database() -> dict[str, str]:
        async with sessions() as session:
            version = await session.scalar(text("SELECT version_num FROM alembic_version"))
        return {"database": "ok", "migrations": schema_state(version)}

    async def redis_ping() -> dict[str, str]:
        await redis_client.ping()
        return {"redis": "ok"}

    answers = await asyncio.gather(
        _bounded("database", database, seconds), _bounded("redis", redis_ping, seconds)
    )
    checks = {name: state for answer in answers for name, state in answer.items()}
    return all(state == "ok" for state in checks.values()), checks


async def _metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


METRICS_ROUTE = Route("/metrics", _metrics)


def metrics_app() -> Starlette:
    """Prometheus' /metrics alone, for the listener of RENKEI_METRICS_PORT (not the public one)."""
    return Starlette(routes=[METRICS_ROUTE])


def harden(app: Starlette, hardening: Hardening) -> None:
    app.state.hardening = hardening
    app.add_middleware(HardeningMiddleware, hardening=hardening)
