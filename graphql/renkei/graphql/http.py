"""GraphQL over HTTP (the GraphQL Foundation's specification) on Starlette.

`application/graphql-response+json` is preferred by the clients that name it in Accept: with it, a
request that cannot run (it fails to parse or validate, names no single operation, or its
variables do not fit) is a 400 whose body has no `data`. A client that sends no Accept, or one
that accepts `application/json` or only wildcards, gets `application/json` and the legacy 200.
GET runs queries only; a mutation over GET is a 405.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import orjson
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from graphql.error import GraphQLError as CoreError
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from renkei import logs, tracing
from renkei.db import SessionFactory
from renkei.errors import DomainError, Unauthenticated
from renkei.graphql import input_guard, operation_metrics, throttle
from renkei.graphql.auth import CSRF_HEADER, SESSION_COOKIE, SignInConfig
from renkei.graphql.compiled import direct
from renkei.graphql.compiled.json_sql import (
    RawJson,
)
from renkei.graphql.compiled.planner import (
    CACHED_PLANS,
    known_plan,
    run_plan,
)
from renkei.graphql.compiled.planner import (
    allowed as compiled_allowed,
)
from renkei.graphql.context import Context
from renkei.graphql.documents import PersistedDocuments
from renkei.graphql.hardening import is_outage, without_suggestions
from renkei.graphql.input_guard import RequestRefused
from renkei.graphql.limits import document_of
from renkei.graphql.media import GRAPHQL_RESPONSE, JSON, negotiate
from renkei.graphql.scalars import date_message, invalid_date_in
from renkei.graphql.throttle import Status, Throttle, request_cost, throttled
from renkei.i18n.messages import N_, _, activate
from renkei.i18n.negotiation import choose
from renkei.identity import signin
from renkei.identity.scopes import ALL_SCOPES
from renkei.identity.service import viewer_for, viewer_from_claims
from renkei.identity.tokens import TokenService
from renkei.tenancy import Viewer, set_viewer
from renkei.webhooks.service import WebhookConfig

logger = logging.getLogger(__name__)

MASKED_MESSAGE = N_("Internal error: it has been logged; try again later.")


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class GraphQLRequest:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def _object(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProtocolError(400, _("{name} must be a JSON object", name=name))
    return value


def _string(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(400, _("{name} must be a string", name=name))
    return value


def _from_mapping(data: Any) -> GraphQLRequest:
    if not isinstance(data, dict):
        raise ProtocolError(400, _("the body must be a JSON object with a query"))
    return GraphQLRequest(
        query=_string(data.get("query"), "query"),
        variables=_object(data.get("variables"), "variables"),
        # Some clients send an empty name for a document of one operation.
        operation_name=_string(data.get("operationName"), "operationName") or None,
        extensions=_object(data.get("extensions"), "extensions"),
    )


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return input_guard.loads(raw, name)
    except json.JSONDecodeError as exc:
        raise ProtocolError(400, _("{name} is not valid JSON", name=name)) from exc


async def parse_request(request: Request) -> GraphQLRequest:
    if request.method == "GET":
        params = request.query_params
        return _from_mapping(
            {
                "query": params.get("query"),
                "variables": _json_param(params.get("variables"), "variables"),
                "operationName": params.get("operationName"),
                "extensions": _json_param(params.get("extensions"), "extensions"),
            }
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise ProtocolError(415, _("send the request as application/json"))
    body = await request.body()
    try:
        data = input_guard.loads(body, None)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(400, _("the body is not valid JSON")) from exc
    return _from_mapping(data)


def bearer_token(request: Request) -> str | None:
    """The token of an Authorization: Bearer header; None without the header."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProtocolError(
            401,
            _("use an Authorization: Bearer <token> header"),
            {"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    return token.strip()


def _error_response(status: int, message: str, media: str, headers: dict[str, str]) -> Response:
    return JSONResponse(
        {"errors": [{"message": message}]}, status_code=status, media_type=media, headers=headers
    )


def _is_fault(error: CoreError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | DomainError)


def _outage(result: ExecutionResult) -> BaseException | None:
    """The error of a backing server that stopped answering during execution, if one did."""
    for error in result.errors or []:
        original = error.original_error
        if original is not None and is_outage(original):
            return original
    return None


def _is_request_error(result: ExecutionResult) -> bool:
    """True when the operation never ran: the response must then have no `data`.

    Besides parse and validation errors, variables that do not fit their types are found by
    graphql-core at the start of execution; they are the only errors without a path.
    """
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


async def resolve_viewer(
    session: AsyncSession,
    request: Request,
    claims: Any,
    sign_in: SignInConfig | None,
    *,
    check_csrf: bool,
) -> tuple[Viewer, uuid.UUID | None]:
    """The viewer of a bearer token, or of a browser session cookie, put into the transaction.

    A cookie-authenticated request that may change something must carry the session's CSRF
    token (`check_csrf`); a safe read (GET of an export) need not.
    """
    if claims is not None:
        viewer = describe_viewer(await viewer_from_claims(session, claims))
        return read_in_viewers_locale(viewer, request), None
    # Without sign-in configured there are no browser sessions, and a cookie means nothing.
    secret = request.cookies.get(SESSION_COOKIE) if sign_in else None
    if secret is None or sign_in is None:
        viewer = Viewer.anonymous()
        await set_viewer(session, viewer)
        return viewer, None
    await set_viewer(session, Viewer.platform())
    row = await signin.find_session(session, secret)
    if row is None:
        raise ProtocolError(401, _("your session has ended: sign in again"))
    if check_csrf and not signin.csrf_matches(
        secret, request.headers.get(CSRF_HEADER), sign_in.cookie_secret
    ):
        raise ProtocolError(403, _("a browser session needs its X-CSRF-Token header"))
    viewer = await viewer_for(
        session, row.user_id, organization_id=row.organization_id, scopes=ALL_SCOPES
    )
    return read_in_viewers_locale(describe_viewer(viewer), request), row.id


def describe_viewer(viewer: Viewer) -> Viewer:
    """Whose request this is, by ids, on its span and its log lines."""
    organization_id = str(viewer.organization_id) if viewer.organization_id else None
    user_id = str(viewer.user_id) if viewer.user_id else None
    tracing.annotate({tracing.ORGANIZATION_ID: organization_id, tracing.USER_ID: user_id})
    logs.annotate(organization_id=organization_id, user_id=user_id)
    return viewer


async def describe_operation(schema: Any, graphql_request: GraphQLRequest) -> None:
    """Name the current span after the operation (`mutation CreateProject`), with its cost."""
    name, kind = await _operation_of(graphql_request)
    logs.annotate(operation=name)
    if not tracing.active():
        return
    cost, _mutation = await request_cost(
        schema, graphql_request.query, graphql_request.variables, graphql_request.operation_name
    )
    span = trace.get_current_span()
    span.update_name(f"{kind} {name}" if name else kind)
    tracing.annotate(
        {tracing.OPERATION_NAME: name, tracing.OPERATION_TYPE: kind, tracing.COST: cost}
    )


async def _operation_of(graphql_request: GraphQLRequest) -> tuple[str | None, str]:
    """The name and type of the operation to run: the one named, else the document's only one."""
    if not graphql_request.query:
        return graphql_request.operation_name, "query"
    try:
        document = await document_of(graphql_request.query)
    except GraphQLError:
        return graphql_request.operation_name, "query"
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        name = operation.name.value if operation.name else None
        if name == graphql_request.operation_name or len(operations) == 1:
            return name, operation.operation.value
    return graphql_request.operation_name, "query"


def describe_path(path: str) -> None:
    """How the operation was answered: `direct` and `plan` are compiled, `resolvers` is not."""
    tracing.annotate({tracing.COMPILED: path != "resolvers", tracing.PATH: path})


def read_in_viewers_locale(viewer: Viewer, request: Request) -> Viewer:
    """From here on the request writes in the viewer's language (renkei.i18n.negotiation)."""
    activate(
        choose(
            preference=viewer.locale,
            accept_language=request.headers.get("accept-language"),
            organization_default=viewer.organization_locale,
        )
    )
    return viewer


class GraphQLEndpoint:
    """The /graphql route: one unit of work per request, committed unless a fault occurred."""

    def __init__(
        self,
        schema: Any,
        sessions: SessionFactory,
        tokens: TokenService,
        *,
        graphiql: Callable[[Request], Response] | None,
        mask_faults: bool,
        sign_in: SignInConfig | None = None,
        compiled_reads: bool = True,
        throttle: Throttle | None = None,
        webhooks: WebhookConfig | None = None,
        documents: PersistedDocuments | None = None,
    ) -> None:
        self.documents = documents
        self.throttle = throttle
        self.webhooks = webhooks
        self.sign_in = sign_in
        self.compiled_reads = compiled_reads
        self.schema = schema
        self.sessions = sessions
        self.tokens = tokens
        self.graphiql = graphiql
        self.mask_faults = mask_faults
        self.engine = direct.engine_of(sessions)
        self._direct_sql: dict[str, str] = {}
        # Operation names that label metrics without limit: the registered documents'.
        self.operation_names = operation_metrics.OperationNames(
            documents.registry.names() if documents is not None else ()
        )

    async def handle(self, request: Request) -> Response:
        # Named after the operation once it is read (describe_operation).
        with tracing.tracer.start_as_current_span("graphql"):
            return await self._handle(request)

    async def _handle(self, request: Request) -> Response:
        started = time.perf_counter()
        if request.method not in ("GET", "POST"):
            return _error_response(405, _("use GET or POST"), JSON, {"Allow": "GET, POST"})
        accept = request.headers.get("accept")
        if (
            request.method == "GET"
            and self.graphiql is not None
            and "text/html" in (accept or "")
            and "query" not in request.query_params
        ):
            return self.graphiql(request)
        media = negotiate(accept)
        if media is None:
            return _error_response(
                406,
                _(
                    "accept {graphql_response} or {json}",
                    graphql_response=GRAPHQL_RESPONSE,
                    json=JSON,
                ),
                JSON,
                {"Vary": "Accept"},
            )
        try:
            graphql_request = await parse_request(request)
            input_guard.check_request(
                graphql_request.query,
                graphql_request.operation_name,
                graphql_request.variables,
                graphql_request.extensions,
            )
            token = bearer_token(request)
            claims = self.tokens.verify(token) if token else None
            graphql_request = await self._document(graphql_request, claims)
            if claims is not None:  # whose it is, before any path (direct reads included)
                describe_viewer(
                    Viewer(user_id=claims.user_id, organization_id=claims.organization_id)
                )
        except ProtocolError as error:
            return _error_response(error.status, error.message, media, error.headers)
        except RequestRefused as error:
            return error.response(media)
        except Unauthenticated as error:
            return _error_response(
                401, error.message, media, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        # Its parse is the one the budget and the execution use (remembered).
        await describe_operation(self.schema._schema, graphql_request)
        # The budget is charged before any database work, unless only the browser session's
        # row says whose it is (then after the viewer is known).
        cost = None
        if claims is not None or not (self.sign_in and request.cookies.get(SESSION_COOKIE)):
            key = throttle.key_for_claims(claims) if claims else throttle.key_for_anonymous(request)
            cost = await self._charge(key, graphql_request)
            if cost is not None:
                tracing.annotate({tracing.COST: cost.cost})
            if cost is not None and not cost.allowed:
                return throttled(cost, media)
        if self.compiled_reads and claims is not None and self.engine is not None:
            answered = await self._direct(
                graphql_request,
                claims,
                media,
                cost,
                request.headers.get("accept-language"),
                started=started,
            )
            if answered is not None:
                return answered
        allowed = (
            {OperationType.QUERY}
            if request.method == "GET"
            else {OperationType.QUERY, OperationType.MUTATION}
        )
        async with self.sessions() as session:
            transaction = await session.begin()
            try:
                viewer, browser_session_id = await self._viewer(session, claims, request)
                await input_guard.refuse_anonymous_mutation(
                    request.method,
                    viewer,
                    graphql_request.query,
                    graphql_request.operation_name,
                    document_of,
                )
                if cost is None:
                    cost = await self._charge(
                        throttle.key_for_viewer(viewer, request), graphql_request
                    )
                    if cost is not None and not cost.allowed:
                        await transaction.rollback()
                        return throttled(cost, media)
                context = self._context(
                    request, viewer, session, graphql_request, browser_session_id, claims
                )
                result, path = await self._execute(context, graphql_request, allowed)
            except ProtocolError as error:
                await transaction.rollback()
                return _error_response(error.status, error.message, media, error.headers)
            except RequestRefused as error:
                await transaction.rollback()
                return error.response(media)
            except MissingQueryError:
                await transaction.rollback()
                return _error_response(400, _("no query was sent"), media, {})
            except InvalidOperationTypeError:
                await transaction.rollback()
                return _error_response(405, _("mutations need POST"), media, {"Allow": "POST"})
            except CannotGetOperationTypeError:
                await transaction.rollback()
                return _error_response(
                    400, _("name the operation to run (operationName)"), media, {}
                )
            except Unauthenticated as error:
                await transaction.rollback()
                return _error_response(
                    401, error.message, media, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
                )
            except BaseException:
                await transaction.rollback()
                raise
            faulted = any(_is_fault(e) for e in result.errors or [])
            outage = _outage(result)
            if outage is not None:
                # The database went away mid-operation: the hardening middleware says so (503),
                # rather than a masked fault with status 200.
                with contextlib.suppress(Exception):
                    await transaction.rollback()
                raise outage
            if faulted or _is_request_error(result):
                await transaction.rollback()
            else:
                await transaction.commit()
        await self._observe(
            graphql_request, result, path, started, cost, signed_in=viewer.is_authenticated
        )
        return self._response(result, media, cost)

    def _context(
        self,
        request: Request,
        viewer: Viewer,
        session: AsyncSession,
        graphql_request: GraphQLRequest,
        browser_session_id: uuid.UUID | None,
        claims: Any,
    ) -> Context:
        return Context(
            request=request,
            viewer=viewer,
            session=session,
            operation_name=graphql_request.operation_name,
            tokens=self.tokens,
            browser_session_id=browser_session_id,
            token_session_id=claims.session_id if claims else None,
            sign_in=self.sign_in,
            compile_reads=self.compiled_reads,
            webhooks=self.webhooks,
        )

    async def run(
        self, context: Context, graphql_request: GraphQLRequest, allowed: set[OperationType]
    ) -> ExecutionResult:
        """One operation in the viewer's transaction: its compiled plan when it has one."""
        result, _path = await self._execute(context, graphql_request, allowed)
        return result

    async def _execute(
        self, context: Context, graphql_request: GraphQLRequest, allowed: set[OperationType]
    ) -> tuple[ExecutionResult, str]:
        """`run`, and the path it took: `compiled` or `resolver`."""
        plan = (
            known_plan(
                self.schema._schema,
                graphql_request.query,
                graphql_request.operation_name,
                graphql_request.variables,
            )
            if self.compiled_reads
            else None
        )
        ran = (
            await run_plan(context, plan)
            if plan is not None and compiled_allowed(plan, context)
            else None
        )
        describe_path("plan" if ran is not None else "resolvers")
        if ran is not None:
            # Seen before: the same document and variables passed every check then.
            for fault in ran.errors or []:
                if isinstance(fault.original_error, SQLAlchemyError):
                    logger.error("compiled read failed", exc_info=fault.original_error)
            return ExecutionResult(data=ran.data, errors=ran.errors), "compiled"
        result: ExecutionResult = await self.schema.execute(
            graphql_request.query,
            variable_values=graphql_request.variables,
            context_value=context,
            operation_name=graphql_request.operation_name,
            allowed_operation_types=allowed,
        )
        return result, "resolver"

    async def _observe(
        self,
        graphql_request: GraphQLRequest,
        result: ExecutionResult,
        path: str,
        started: float,
        cost: Status | None,
        *,
        signed_in: bool,
    ) -> None:
        """The operation's metrics (renkei.graphql.operation_metrics); a document sent with its
        id is kept once it has run (renkei.graphql.documents)."""
        request_error = _is_request_error(result)
        extensions = graphql_request.extensions
        if (
            not request_error
            and self.documents is not None
            and graphql_request.query is not None
            and extensions
            and "persistedQuery" in extensions
        ):
            await self.documents.keep(graphql_request.query)
        operation = await operation_metrics.operation_of(
            graphql_request.query, graphql_request.operation_name
        )
        points = cost.cost if cost is not None else None
        if points is None and operation.type == "query":
            points, _mutation = await throttle.request_cost(
                self.schema._schema,
                graphql_request.query,
                graphql_request.variables,
                graphql_request.operation_name,
            )
        operation_metrics.observe(
            self.operation_names,
            operation,
            path=path,
            started=started,
            result=result,
            request_error=request_error,
            cost=points,
            signed_in=signed_in,
        )

    async def execute_for_browser(
        self,
        request: Request,
        graphql_request: GraphQLRequest,
        *,
        mutation: bool,
        bind: Callable[[Viewer], dict[str, Any]] | None = None,
    ) -> ExecutionResult:
        """An operation of the web console, run in process as the browser session's viewer.

        The console is a client of the public schema like any other: the same viewer, row-level
        security, scopes, budget and compiled plans. Its forms carry their own CSRF token, which
        the console checked before calling this. Raises ProtocolError (401 without a session,
        429 when the viewer's budget is spent). `bind` adds variables that depend on the viewer
        (the acting organization's id), known only once the session is read.
        """
        allowed = (
            {OperationType.QUERY, OperationType.MUTATION} if mutation else {OperationType.QUERY}
        )
        with tracing.tracer.start_as_current_span("graphql"):
            await describe_operation(self.schema._schema, graphql_request)
            return await self._execute_for_browser(request, graphql_request, allowed, bind)

    async def _execute_for_browser(
        self,
        request: Request,
        graphql_request: GraphQLRequest,
        allowed: set[OperationType],
        bind: Callable[[Viewer], dict[str, Any]] | None,
    ) -> ExecutionResult:
        started = time.perf_counter()
        async with self.sessions() as session:
            transaction = await session.begin()
            try:
                viewer, browser_session_id = await resolve_viewer(
                    session, request, None, self.sign_in, check_csrf=False
                )
                graphql_request = await self._document(graphql_request, None)
                if bind is not None:
                    variables = {**(graphql_request.variables or {}), **bind(viewer)}
                    graphql_request = replace(graphql_request, variables=variables)
                cost = await self._charge(throttle.key_for_viewer(viewer, request), graphql_request)
                if cost is not None and not cost.allowed:
                    raise ProtocolError(429, _("too many requests: wait a moment and try again"))
                context = self._context(
                    request, viewer, session, graphql_request, browser_session_id, None
                )
                result, path = await self._execute(context, graphql_request, allowed)
            except BaseException:
                await transaction.rollback()
                raise
            outage = _outage(result)
            if outage is not None:
                with contextlib.suppress(Exception):
                    await transaction.rollback()
                raise outage
            if any(_is_fault(e) for e in result.errors or []) or _is_request_error(result):
                await transaction.rollback()
            else:
                await transaction.commit()
        await self._observe(
            graphql_request, result, path, started, cost, signed_in=viewer.is_authenticated
        )
        return result

    async def _document(self, graphql_request: GraphQLRequest, claims: Any) -> GraphQLRequest:
        """The request with the text of the document it names by id (renkei.graphql.documents)."""
        if self.documents is None:
            return graphql_request
        resolved = await self.documents.resolve(
            graphql_request.query,
            graphql_request.extensions,
            api_client=claims is not None and claims.client_id is not None,
        )
        extensions = graphql_request.extensions
        if extensions and "persistedQuery" in extensions and not resolved.new:
            # Known already: nothing is left to keep once it has run.
            extensions = {k: v for k, v in extensions.items() if k != "persistedQuery"} or None
        return replace(graphql_request, query=resolved.text, extensions=extensions)

    async def _charge(self, key: str, graphql_request: GraphQLRequest) -> Status | None:
        if self.throttle is None:
            return None
        return await self.throttle.charge_operation(
            key,
            self.schema._schema,
            graphql_request.query,
            graphql_request.variables,
            graphql_request.operation_name,
        )

    async def _direct(
        self,
        graphql_request: GraphQLRequest,
        claims: Any,
        media: str,
        cost: Status | None,
        accept_language: str | None = None,
        *,
        started: float,
    ) -> Response | None:
        """A known compiled query for a bearer token, in one exchange (renkei.graphql.direct)."""
        plan = known_plan(
            self.schema._schema,
            graphql_request.query,
            graphql_request.operation_name,
            graphql_request.variables,
        )
        if plan is None or not direct.may_read(plan, claims) or self.engine is None:
            return None
        sql = self._direct_sql.get(plan.sql)
        if sql is None:
            sql = self._direct_sql[plan.sql] = direct.psycopg_sql(plan)
            if len(self._direct_sql) > CACHED_PLANS:
                self._direct_sql.clear()
        public_url = self.sign_in.public_url if self.sign_in else ""
        # One exchange on psycopg's own connection, which the SQLAlchemy instrumentation does
        # not see: its span is this one.
        with tracing.tracer.start_as_current_span(
            "SELECT direct",
            kind=SpanKind.CLIENT,
            attributes={"db.system": "postgresql", "db.statement": sql},
        ):
            answer = await direct.answer(
                self.engine,
                plan,
                sql,
                claims,
                public_url=public_url,
                accept_language=accept_language,
            )
        if answer.refused is not None:
            return _error_response(
                401, answer.refused, media, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        if answer.relocalize:
            return None
        describe_path("direct")
        if answer.fault is not None:
            if is_outage(answer.fault):
                raise answer.fault
            failed = plan.failed(answer.fault)
            result = ExecutionResult(data=failed.data, errors=failed.errors)
            await self._observe(graphql_request, result, "direct", started, cost, signed_in=True)
            return self._response(result, media, cost)
        assert answer.raw is not None
        result = ExecutionResult(data=RawJson(answer.raw), errors=None)  # type: ignore[arg-type]
        await self._observe(graphql_request, result, "direct", started, cost, signed_in=True)
        return self._response(result, media, cost)

    async def _viewer(
        self, session: AsyncSession, claims: Any, request: Request
    ) -> tuple[Viewer, uuid.UUID | None]:
        return await resolve_viewer(session, request, claims, self.sign_in, check_csrf=True)

    def _response(
        self, result: ExecutionResult, media: str, cost: Status | None = None
    ) -> Response:
        if cost is not None:
            result.extensions = {**(result.extensions or {}), "cost": cost.extension()}
        if isinstance(result.data, RawJson) and not result.errors:
            # PostgreSQL wrote the data as JSON already: pass it on as it is.
            extensions = orjson.dumps(result.extensions) if result.extensions else None
            return Response(
                b'{"data":'
                + result.data.raw
                + (b',"extensions":' + extensions if extensions else b"")
                + b"}",
                media_type=media,
            )
        body: dict[str, Any] = {}
        request_error = _is_request_error(result)
        if not request_error:
            body["data"] = result.data
        if result.errors:
            body["errors"] = [self._format(error) for error in result.errors]
        if result.extensions:
            body["extensions"] = result.extensions
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        # orjson: a dashboard's answer is over 100 kB, and the standard encoder takes
        # milliseconds for it.
        return Response(orjson.dumps(body), status_code=status, media_type=media)

    def _format(self, error: CoreError) -> dict[str, Any]:
        """A domain error carries its code; a fault is masked outside development (and logged)."""
        formatted: dict[str, Any] = dict(error.formatted)
        invalid_date = invalid_date_in(error)
        if invalid_date is not None:
            # graphql-core's English around it, replaced by one sentence in the reader's language.
            formatted["message"] = date_message(error, invalid_date)
        if self.mask_faults:  # production: no "Did you mean …" that would leak the schema
            formatted["message"] = without_suggestions(formatted["message"])
        original = error.original_error
        if isinstance(original, DomainError):
            extensions = {"code": original.code.value}
            if original.field:
                extensions["field"] = original.field
            formatted["extensions"] = {**(formatted.get("extensions") or {}), **extensions}
        elif _is_fault(error):
            if self.mask_faults:
                formatted["message"] = _(MASKED_MESSAGE)
            formatted["extensions"] = {"code": "INTERNAL_ERROR"}
        elif not (formatted.get("extensions") or {}).get("code") and error.path is None:
            # A document that does not parse or validate, or variables that do not fit: every
            # error carries a code a client can branch on (Apollo's names for these).
            code = (
                "GRAPHQL_PARSE_FAILED"
                if isinstance(error, GraphQLSyntaxError)
                else "GRAPHQL_VALIDATION_FAILED"
            )
            formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
        return formatted
