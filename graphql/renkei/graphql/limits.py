"""Limits checked before execution: nesting, size, depth, aliases, tokens, page sizes, node count.

Each is counted on the operation as it would run, fragments expanded (renkei.graphql.query_cost
measures it in linear time). The node count is what the query could return at most: each
connection multiplies what is below it by its `first` or `last` (as GitHub and Shopify cost a
query), so `organizations(first: 100) { members(first: 100) }` is 10,100 nodes; `nodes(ids:)`
multiplies by the number of ids. It is also the cost a request is billed (`operation_cost`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    Source,
    parse,
)
from graphql.language import Lexer, Token, TokenKind
from strawberry.extensions import SchemaExtension

from renkei.graphql.budget import parsed, validated
from renkei.graphql.input_guard import StringsPostgresAccepts
from renkei.graphql.query_cost import (
    DEFAULT_LIST_LENGTH,
    LIST_LENGTHS,
    SATURATED,
    NestedTooDeep,
    OperationMeasure,
    measure_operations,
    operation_cost,
)
from renkei.i18n.messages import _

__all__ = ["check_document", "check_nesting", "limit_extensions", "operation_cost"]

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000
MAX_NODES = 20_000
# Fields of an operation once its fragments are expanded: as many as the largest document allowed
# (MAX_TOKENS) could spell out.
MAX_FIELDS = 5_000
# Nested `ofType` in an introspection query, which add no depth: as many as GraphiQL asks for.
MAX_TYPE_WRAPPERS = 9
# Fields of one response name merged into one selection set (`{ name name name }`), times the
# same within them.
MAX_REPEATS = 100
# Objects a response may hold, plain lists counted at their estimated length (query_cost): ten
# times the node limit, so that a query at the node limit may still select a short list per node.
MAX_OBJECTS = 200_000
# Braces and brackets, read before parsing: far more than a 12-deep query needs, and below the
# parser's own limit (200), whose error would not say what is allowed.
MAX_NESTING = 64
# Documents whose nesting check is remembered (their parse and validation are, in budget.py).
CACHED_DOCUMENTS = 256
OPENING = (TokenKind.BRACE_L, TokenKind.BRACKET_L)
CLOSING = (TokenKind.BRACE_R, TokenKind.BRACKET_R)


def _error(message: str, node: Any, code: str) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code})


def _too_deep(source: Source) -> Token | None:
    """The first token past MAX_NESTING levels, reading at most MAX_TOKENS tokens."""
    lexer = Lexer(source)
    depth = 0
    try:
        for _ in range(MAX_TOKENS):
            token = lexer.advance()
            if token.kind == TokenKind.EOF:
                return None
            if token.kind in OPENING:
                depth += 1
                if depth > MAX_NESTING:
                    return token
            elif token.kind in CLOSING:
                depth -= 1
    except GraphQLError:
        return None  # a syntax error, which the parser reports
    return None  # longer documents are refused by the token limit


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _too_deep_at(query: str) -> int | None:
    token = _too_deep(Source(query))
    return token.start if token is not None else None


def check_nesting(query: str) -> None:
    """Refuse, before parsing, a document nested beyond what any allowed query needs."""
    position = _too_deep_at(query)
    if position is not None:
        raise GraphQLError(
            _(
                "the document is nested more than {nesting} levels deep: "
                "a query may be at most {depth} fields deep",
                nesting=MAX_NESTING,
                depth=MAX_DEPTH,
            ),
            source=Source(query),
            positions=[position],
            extensions={"code": "QUERY_TOO_DEEP"},
        )


def parse_document(query: str) -> DocumentNode:
    """The document of a query text, refused if nested or long beyond what is allowed."""
    check_nesting(query)
    return parse(query, max_tokens=MAX_TOKENS)


async def document_of(query: str) -> DocumentNode:
    """The document of a query text, parsed off the event loop and remembered."""
    return await parsed(query, parse_document)


def _too_large(measure: OperationMeasure) -> GraphQLError:
    return _error(
        _(
            "this query selects {fields} fields once its fragments are expanded, more than "
            "the {most} allowed: spread fewer fragments or select fewer fields",
            fields=measure.fields,
            most=MAX_FIELDS,
        ),
        measure.operation,
        "QUERY_TOO_LARGE",
    )


def _too_costly(measure: OperationMeasure) -> GraphQLError:
    message = (
        _(
            "this query could return more than {nodes} nodes, more than the {most} allowed: "
            "ask for smaller pages (first/last) or fewer nested lists",
            nodes=SATURATED,
            most=MAX_NODES,
        )
        if measure.nodes >= SATURATED
        else _(
            "this query could return {nodes} nodes, more than the {most} allowed: "
            "ask for smaller pages (first/last) or fewer nested lists",
            nodes=measure.nodes,
            most=MAX_NODES,
        )
    )
    return _error(
        message,
        measure.operation,
        "QUERY_TOO_COSTLY",
    )


def _too_many_objects(measure: OperationMeasure) -> GraphQLError:
    counted = {
        "each": DEFAULT_LIST_LENGTH,
        "prefectures": LIST_LENGTHS["Prefecture"],
        "most": MAX_OBJECTS,
    }
    message = (
        _(
            "this query could return about more than {objects} objects, counting {each} for "
            "each list ({prefectures} for prefectures), more than the {most} allowed: "
            "nest fewer lists",
            objects=SATURATED,
            **counted,
        )
        if measure.objects >= SATURATED
        else _(
            "this query could return about {objects} objects, counting {each} for each list "
            "({prefectures} for prefectures), more than the {most} allowed: nest fewer lists",
            objects=measure.objects,
            **counted,
        )
    )
    return _error(
        message,
        measure.operation,
        "QUERY_TOO_LARGE",
    )


def _depth_errors(measures: list[OperationMeasure]) -> list[GraphQLError]:
    errors = []
    for measure in measures:
        node = measure.too_deep_at(MAX_DEPTH)
        if node is not None:
            # Worded as Strawberry's depth limiter, which counted introspection fields as none.
            errors.append(
                GraphQLError(
                    _(
                        "'{name}' exceeds maximum operation depth of {depth}",
                        name=measure.name,
                        depth=MAX_DEPTH,
                    ),
                    node,
                )
            )
        elif measure.wrappers > MAX_TYPE_WRAPPERS:
            errors.append(
                _error(
                    _(
                        "'{name}' nests ofType {levels} levels deep, more than the {most} allowed",
                        name=measure.name,
                        levels=measure.wrappers,
                        most=MAX_TYPE_WRAPPERS,
                    ),
                    measure.operation,
                    "QUERY_TOO_DEEP",
                )
            )
    return errors


async def check_document(
    schema: GraphQLSchema,
    query: str,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    variables: dict[str, Any] | None,
) -> list[GraphQLError]:
    """Every limit and the validation rules, cheapest first.

    The document is measured first, in linear time: one whose expanded operation is too large is
    refused before any rule walks it. Then the standard rules (in a worker thread, within a time
    budget, and remembered by query text), depth and aliases; the node count last, as it depends
    on the variables.
    """
    try:
        measures = measure_operations(schema, document, variables)
    except NestedTooDeep as error:
        return [error.error()]
    too_large = [_too_large(m) for m in measures if m.fields > MAX_FIELDS]
    too_large += [
        _error(
            _(
                "this query repeats a field {repeats} times over once its fragments are "
                "expanded (a repeated field within a repeated field multiplies), more than "
                "the {most} allowed: select each field once",
                repeats=m.repeats,
                most=MAX_REPEATS,
            ),
            m.operation,
            "QUERY_TOO_LARGE",
        )
        for m in measures
        if m.fields <= MAX_FIELDS and m.repeats > MAX_REPEATS
    ]
    if too_large:
        return too_large
    errors = [*await validated(schema, query, document, rules), *_depth_errors(measures)]
    aliases = min(sum(m.aliases for m in measures), SATURATED)
    if aliases > MAX_ALIASES:
        errors.append(
            GraphQLError(
                _("{aliases} aliases found. Allowed: {most}", aliases=aliases, most=MAX_ALIASES)
            )
        )
    if errors:
        return errors
    for measure in measures:
        errors.extend(measure.errors)
        if measure.nodes > MAX_NODES:
            errors.append(_too_costly(measure))
        elif measure.objects > MAX_OBJECTS:
            errors.append(_too_many_objects(measure))
    return errors


class QueryLimits(SchemaExtension):
    """Refuses documents nested too deeply to parse, then checks every limit (check_document)
    before strawberry's own validation, which it replaces. graphql-core's specified rules, which
    it runs, include MaxIntrospectionDepthRule (at most three nested lists of types)."""

    async def on_parse(self) -> AsyncIterator[None]:
        # Parsed here, off the event loop: Strawberry parses only when no document is set.
        context = self.execution_context
        if context.query and context.graphql_document is None:
            context.graphql_document = await document_of(context.query)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.pre_execution_errors is None and document is not None and context.query:
            context.pre_execution_errors = await check_document(
                context.schema._schema,
                context.query,
                document,
                (*context.validation_rules, StringsPostgresAccepts),
                context.variables,
            )
        yield


def limit_extensions() -> list[Any]:
    # Factories, so that each request gets fresh extension instances.
    return [QueryLimits]
