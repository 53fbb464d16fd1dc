"""Plans: the compiled statement of a query, cached by its text, and what happens without one.

A query that leaves the compiled path is counted (`renkei_compiled_fallback_total{reason}`) and
logged with its operation name and the field to blame, on every request, so that a new field
nobody declared shows up in the metrics instead of quietly making every dashboard slow.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    VariableDefinitionNode,
    is_non_null_type,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import get_variable_values
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from renkei.graphql.compiled.json_sql import RawJson
from renkei.graphql.compiled.spec import (
    MESSAGES,
    READER_LOCALE,
    REQUEST_PARAMETERS,
    ROOT_SCOPES,
    NotCompilable,
)
from renkei.graphql.compiled.sql import Compiler, Deferred
from renkei.graphql.context import Context
from renkei.i18n.messages import current_locale, gettext

logger = logging.getLogger(__name__)

FALLBACKS = Counter(
    "renkei_compiled_fallback_total",
    "Queries, or fields of them, answered by the resolvers instead of the compiled statement",
    ["reason"],
)


@dataclass(frozen=True)
class Plan:
    sql: str
    params: dict[str, Any]
    # The root fields by response key, and whether each may be null: a fault fills them in.
    roots: dict[str, tuple[FieldNode, bool]]
    # The scopes a token needs for the root fields (their `requires(...)`).
    scopes: frozenset[str]
    # Fields the statement leaves to their resolvers (placeholders), and what their document
    # needs from the client's: its variable definitions and fragments, printed.
    deferred: tuple[Deferred, ...] = ()
    variable_definitions: tuple[VariableDefinitionNode, ...] = ()
    fragments: tuple[FragmentDefinitionNode, ...] = ()
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    # The graphql-core schema that resolves the deferred fields.
    schema: Any = None

    @cached_property
    def reads_request(self) -> bool:
        """Whether the SQL reads a request parameter: looked up once, not on every request."""
        return bool(self.messages) or any(f":{name}" in self.sql for name in REQUEST_PARAMETERS)

    @cached_property
    def messages(self) -> tuple[str, ...]:
        """The message parameters its SQL writes words with (spec.message)."""
        return tuple(name for name in MESSAGES if f":{name}" in self.sql)

    @cached_property
    def localized(self) -> bool:
        """Whether its answer depends on the reader's locale."""
        return bool(self.messages) or READER_LOCALE in self.sql

    def bound(self, scopes: frozenset[str], public_url: str) -> dict[str, Any]:
        """The parameters for one request: the plan's, and what its SQL reads of the request
        (renkei.graphql.compiled.spec.VIEWER_SCOPES), never kept in the shared plan. Words
        are in the reader's locale (renkei.i18n.messages.current_locale)."""
        if not self.reads_request:
            return self.params
        return {
            **self.params,
            "viewer_scopes": orjson.dumps(sorted(scopes)).decode(),
            "public_url": public_url,
            "locale": current_locale(),
            **{name: gettext(MESSAGES[name]) for name in self.messages},
        }

    def failed(self, error: Exception) -> GraphQLExecutionResult:
        """What the resolvers would answer when reading fails: null data, one located error."""
        key, (node, _) = next(iter(self.roots.items()))
        data = {k: None for k in self.roots} if all(n for _, n in self.roots.values()) else None
        located = GraphQLError(str(error), nodes=[node], path=[key], original_error=error)
        return GraphQLExecutionResult(data=data, errors=[located])


@dataclass(frozen=True)
class Fallback:
    """Why a query goes to the resolvers whole: the counter's reason and the field to blame."""

    reason: str
    field: str | None


def compile_operation(
    schema: Any,
    document: Any,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
) -> Plan | Fallback | None:
    """The statement for a query; a Fallback when it must go to the resolvers; None when it is no
    query at all (a mutation, an unknown operation, variables the executor will refuse)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name and o.name.value == operation_name)
        ),
        None,
    )
    if operation is None or operation.operation.value != "query":
        return None
    variables = get_variable_values(
        schema, operation.variable_definitions or (), raw_variables or {}
    )
    if isinstance(variables, list):
        return None  # the executor reports the variables' errors
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    compiler = Compiler(schema=schema, fragments=fragments, variables=variables)
    try:
        sql = compiler.root(operation)
    except NotCompilable as why:
        if why.reason == "introspection":
            return None  # the schema answers it; no compiled read was ever meant for it
        return Fallback(reason=why.reason, field=why.field)
    query_type = schema.query_type
    roots = {
        key: (nodes[0], not is_non_null_type(query_type.fields[nodes[0].name.value].type))
        for key, nodes in compiler.collect(operation.selection_set, query_type.name, {}).items()
        if nodes[0].name.value != "__typename"
    }
    scopes = frozenset(
        ROOT_SCOPES[n.name.value] for n, _ in roots.values() if n.name.value in ROOT_SCOPES
    ) | frozenset(compiler.scopes)
    return Plan(
        sql=sql,
        params=compiler.params,
        roots=roots,
        scopes=scopes,
        deferred=tuple(compiler.deferred),
        variable_definitions=tuple(operation.variable_definitions or ()),
        fragments=tuple(fragments.values()),
        variables=raw_variables,
        operation_name=operation.name.value if operation.name else None,
        schema=schema,
    )


# Plans by query text, operation and variables: dashboards send the same few again and again.
CACHED_PLANS = 256
_PLANS: OrderedDict[tuple[int, str, str | None, bytes], Plan | Fallback | None] = OrderedDict()
SORTED = orjson.OPT_SORT_KEYS


def _plan_key(
    schema: Any, query: str, operation_name: str | None, variables: dict[str, Any] | None
) -> tuple[int, str, str | None, bytes]:
    return (id(schema), query, operation_name, orjson.dumps(variables, option=SORTED))


def known_plan(
    schema: Any, query: str | None, operation_name: str | None, variables: dict[str, Any] | None
) -> Plan | None:
    """The plan of a request seen before, which passed parsing, validation and the limits then:
    the same query text, operation and variables pass them again."""
    if not query:
        return None
    try:
        plan = _PLANS.get(_plan_key(schema, query, operation_name, variables))
    except TypeError:
        return None
    return plan if isinstance(plan, Plan) else None


def cached_plan(
    schema: Any,
    query: str,
    document: Any,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> Plan | Fallback | None:
    try:
        key = _plan_key(schema, query, operation_name, variables)
    except TypeError:
        return compile_operation(schema, document, operation_name, variables)
    if key in _PLANS:
        _PLANS.move_to_end(key)
        return _PLANS[key]
    plan = _PLANS[key] = compile_operation(schema, document, operation_name, variables)
    if len(_PLANS) > CACHED_PLANS:
        _PLANS.popitem(last=False)
    return plan


def count_fallback(reason: str, field: str | None, operation_name: str | None) -> None:
    FALLBACKS.labels(reason=reason).inc()
    logger.info(
        "compiled read fell back to the resolvers",
        extra={"operation": operation_name or "(anonymous)", "field": field, "reason": reason},
    )


async def run_plan(context: Context, plan: Plan) -> GraphQLExecutionResult | None:
    """Run a plan in the request's transaction: its data as PostgreSQL wrote it, or the fault;
    fields it left to their resolvers are resolved then (renkei.graphql.compiled.partial).

    None when the resolvers must answer the whole query after all: a field left to them failed
    where null may not stand, and only the whole execution knows how far that null reaches.
    """
    try:
        params = plan.bound(context.viewer.scopes, public_url(context))
        raw = await context.run(lambda s: s.scalar(text(plan.sql), params))
    except SQLAlchemyError as error:
        return plan.failed(error)
    if plan.deferred:
        from renkei.graphql.compiled.partial import complete

        for deferred in plan.deferred:
            count_fallback("resolver_field", deferred.field, plan.operation_name)
        return await complete(context, plan, raw.encode())
    # The HTTP layer writes the raw text as it is (renkei.graphql.http); others call .parsed().
    return GraphQLExecutionResult(data=RawJson(raw.encode()), errors=None)  # type: ignore[arg-type]


def public_url(context: Context) -> str:
    """Where the server is reached, as the sign-in callbacks say it (empty without sign-in)."""
    return context.sign_in.public_url if context.sign_in else ""


def allowed(plan: Plan, context: Context) -> bool:
    """Whether the viewer's token carries the plan's scopes (else the resolvers refuse it)."""
    viewer = context.viewer
    return not viewer.is_authenticated or all(viewer.has_scope(s) for s in plan.scopes)


class CompiledReads(SchemaExtension):
    """Run a query as one statement where its fields are declared; count every other query."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if (
            isinstance(context, Context)
            and context.compile_reads
            and execution.graphql_document is not None
            and execution.operation_type == OperationType.QUERY
            and not execution.pre_execution_errors
        ):
            plan = cached_plan(
                execution.schema._schema,
                execution.query or "",
                execution.graphql_document,
                # As the client named it: strawberry's falls back to the document's first.
                context.operation_name,
                execution.variables,
            )
            if isinstance(plan, Fallback):
                count_fallback(plan.reason, plan.field, execution.operation_name)
            elif plan is not None and allowed(plan, context):
                ran = await run_plan(context, plan)
                if ran is not None:
                    execution.result = ran
        yield
