"""The ASGI application: GraphQL, the signing keys, health, readiness and metrics."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as redis
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import Span
from prometheus_client import Counter, Histogram
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from renkei import logs, tracing
from renkei.db import SessionFactory
from renkei.graphql.auth import SignInConfig, SignInRoutes
from renkei.graphql.console.app import Console, static_files
from renkei.graphql.console.graphiql import GraphiQLPage
from renkei.graphql.dev_mail import DevMailRoutes
from renkei.graphql.documents import DocumentSettings, PersistedDocuments
from renkei.graphql.exports import ExportEndpoints
from renkei.graphql.hardening import Hardening, harden, readiness
from renkei.graphql.http import GraphQLEndpoint
from renkei.graphql.input_guard import RefuseNulInUrl
from renkei.graphql.oauth import TokenEndpoint
from renkei.graphql.reports import ReportRoutes
from renkei.graphql.schema import build_schema
from renkei.graphql.throttle import SignInLimit, Throttle, Throttling
from renkei.i18n.messages import activate, current_locale
from renkei.i18n.negotiation import choose
from renkei.identity.tokens import TokenService
from renkei.webhooks.service import WebhookConfig

logger = logging.getLogger("renkei.http")

REQUESTS = Counter("renkei_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "renkei_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class RequestContext:
    """Gives every request an id (kept from X-Request-ID when sent), logs it, and counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        # Only printable ASCII is echoed: other bytes would not come back as they were sent.
        usable = incoming.isascii() and incoming.isprintable() and incoming
        rid = incoming[:64] if usable else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        # What the request is about (operation, organization, user), filled in as it is read.
        fields = logs.bind()
        # The reader's language until the viewer is known (renkei.graphql.http.resolve_viewer).
        accept_language = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        activate(choose(accept_language=accept_language))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", rid.encode()),
                    (b"content-language", current_locale().encode()),
                    (b"vary", b"Accept-Language"),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            # A series lives as long as the process: a client's made-up methods get none.
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            logs.unbind(fields)
            logs.request_id.reset(token)


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/exports/projects/{id}/{file}`), as the
    router left it in the scope; `other` when none did (a 404, or refused before routing).
    Templates are the app's own, so the label's values are as few as its routes."""
    route = scope.get("route")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "other"


def create_app(
    *,
    sessions: SessionFactory,
    tokens: TokenService,
    redis_url: str,
    development: bool,
    sign_in: SignInConfig | None = None,
    compiled_reads: bool = True,
    hardening: Hardening | None = None,
    throttling: Throttling | None = None,
    mail_folder: Path | None = None,
    webhooks: WebhookConfig | None = None,
    documents: DocumentSettings | None = None,
) -> Starlette:
    """The API; without `throttling` nothing is rate-limited (tests not about limits).
    `mail_folder`: the embedded SMTP server's, read at /dev/mail in development only."""
    hardening = hardening or Hardening(production=not development)
    throttle = Throttle(redis_url, throttling) if throttling else None
    schema = build_schema()
    # Operations sent by id: automatic persisted queries and registered documents.
    persisted = PersistedDocuments(redis_url, documents)
    graphql = GraphQLEndpoint(
        schema,
        sessions,
        tokens,
        # GraphiQL in development, on Renkei's own copies of its assets (no CDN).
        graphiql=GraphiQLPage(sign_in) if development else None,
        mask_faults=not development,
        sign_in=sign_in,
        compiled_reads=compiled_reads,
        throttle=throttle,
        webhooks=webhooks,
        documents=persisted,
    )
    # Made on first use, so that the app also works where no lifespan runs (test transports).
    redis_client = redis.Redis.from_url(redis_url)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await redis_client.aclose()
            await persisted.close()
            if throttle is not None:
                await throttle.close()

    async def jwks(_: Request) -> Response:
        return JSONResponse(tokens.jwks(), headers={"Cache-Control": "public, max-age=300"})

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        ready, checks = await readiness(sessions, redis_client)
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    app = Starlette(
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            Route("/.well-known/jwks.json", jwks),
            Route(
                "/oauth/token",
                TokenEndpoint(sessions, tokens, allow_http=development).handle,
                methods=["POST"],
            ),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # /metrics is never here: it has a listener of its own (RENKEI_METRICS_PORT).
            *(SignInRoutes(sign_in, sessions, tokens).routes() if sign_in else []),
            # The web console: pages for people on the public schema (renkei.graphql.console).
            *(Console(graphql, sign_in, development=development).routes() if sign_in else []),
            # The console's and GraphiQL's scripts and styles, served by Renkei itself.
            static_files(),
            *ExportEndpoints(sessions, tokens, sign_in).routes(),
            # Published 効果検証 reports, readable without signing in (renkei.graphql.reports).
            *ReportRoutes(sessions).routes(),
            # What the embedded SMTP server received; never served in production.
            *(
                DevMailRoutes(mail_folder).routes()
                if development and mail_folder is not None
                else []
            ),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(RefuseNulInUrl)
    if throttle is not None:
        app.add_middleware(SignInLimit, throttle=throttle)
    harden(app, hardening)
    app.add_middleware(RequestContext)  # it counts what hardening answers too
    if tracing.active():
        # Outermost: the request's span holds everything, the request log line included.
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        app.add_middleware(
            OpenTelemetryMiddleware,
            excluded_urls="/healthz$,/readyz$,/metrics$,/static/",
            default_span_details=_span_details,
            server_request_hook=_without_query,
            exclude_spans=["receive", "send"],
        )
    return app


def _without_query(span: Span, scope: Scope) -> None:
    """The URL on the request's span, without its query string: a GET's variables may name a
    person, and no span carries personal data."""
    if span.is_recording() and scope.get("query_string"):
        path = scope.get("path", "")
        span.set_attribute("http.target", path)
        url = (span.attributes or {}).get("http.url") if isinstance(span, ReadableSpan) else None
        if isinstance(url, str):
            span.set_attribute("http.url", url.split("?", 1)[0])


def _span_details(scope: Scope) -> tuple[str, dict[str, str]]:
    """A request span's name and route: the route's template, never the path's ids."""
    method = scope.get("method", "HTTP")
    for route in getattr(scope.get("app"), "routes", []):
        match, _child = route.matches(scope)
        if match == Match.FULL and getattr(route, "path", None) is not None:
            return f"{method} {route.path}", {"http.route": route.path}
    return method, {}
