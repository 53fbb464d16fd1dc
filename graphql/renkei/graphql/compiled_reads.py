"""Running compiled reads: plans cached by request, run in the request's transaction, and the
schema extension that answers a fully compiled query with its plan (renkei.graphql.compiled)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from renkei.graphql.compiled import Plan, compile_operation
from renkei.graphql.compiled_json import CompiledData
from renkei.graphql.context import Context

# Plans by query text, operation and variables: dashboards send the same few again and again.
CACHED_PLANS = 256
_PLANS: OrderedDict[tuple[int, str, str | None, bytes], Plan | None] = OrderedDict()


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
        return _PLANS.get(_plan_key(schema, query, operation_name, variables))
    except TypeError:
        return None


def cached_plan(
    schema: Any,
    query: str,
    document: Any,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> Plan | None:
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


SORTED = orjson.OPT_SORT_KEYS


async def run_plan(context: Context, plan: Plan) -> GraphQLExecutionResult:
    """Run a plan in the request's transaction: its data as PostgreSQL wrote it, or the fault."""
    try:
        raw = await context.run(lambda s: s.scalar(text(plan.sql), plan.params))
    except SQLAlchemyError as error:
        return plan.failed(error)
    return GraphQLExecutionResult(data=CompiledData(raw.encode()), errors=None)


def allowed(plan: Plan, context: Context) -> bool:
    """Whether the viewer's token carries the plan's scopes (else the resolvers refuse it)."""
    viewer = context.viewer
    return not viewer.is_authenticated or all(viewer.has_scope(s) for s in plan.scopes)


class CompiledReads(SchemaExtension):
    """Run a fully registered query as one statement; leave every other operation alone."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
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
            if plan is not None and allowed(plan, context):
                execution.result = await run_plan(context, plan)
        yield
