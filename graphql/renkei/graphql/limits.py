"""Limits checked before execution: nesting, depth, aliases, tokens, page sizes and node count.

The node count is what the query could return at most: each connection multiplies what is
below it by its `first` or `last` (as GitHub and Shopify cost a query), so
`organizations(first: 100) { members(first: 100) }` is 10,100 nodes; `nodes(ids:)` multiplies
by the number of ids.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TypeInfo,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)
from graphql.language import Lexer, Token, TokenKind
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document

from renkei.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000
MAX_NODES = 20_000
# Braces and brackets, read before parsing: far more than a 12-deep query needs, and below the
# parser's own limit (200), whose error would not say what is allowed.
MAX_NESTING = 64
# Documents whose parse, nesting check and validation are remembered: clients send the same few.
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
            f"the document is nested more than {MAX_NESTING} levels deep: "
            f"a query may be at most {MAX_DEPTH} fields deep",
            source=Source(query),
            positions=[position],
            extensions={"code": "QUERY_TOO_DEEP"},
        )


def node_limit_rule(variables: dict[str, Any] | None) -> type[ValidationRule]:
    """A validation rule bound to this request's variables."""
    provided = variables or {}

    class NodeLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.values: dict[str, Any] = dict(provided)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            # A variable left out takes its default, which must be checked like a literal.
            defaults = {
                d.variable.name.value: value_from_ast_untyped(d.default_value)
                for d in node.variable_definitions or ()
                if d.default_value is not None
            }
            self.values = {**defaults, **provided}
            total = self._count(node.selection_set, root, 1, set())
            if total > MAX_NODES:
                self.report_error(
                    _error(
                        f"this query could return {total} nodes, more than the {MAX_NODES} "
                        "allowed: ask for smaller pages (first/last) or fewer nested lists",
                        node,
                        "QUERY_TOO_COSTLY",
                    )
                )

        def _page_size(self, field: FieldNode) -> int | None:
            for argument in field.arguments or ():
                if argument.name.value not in ("first", "last"):
                    continue
                value = argument.value
                size: Any = None
                if isinstance(value, IntValueNode):
                    size = int(value.value)
                elif isinstance(value, VariableNode):
                    size = self.values.get(value.name.value)
                if size is None:
                    continue
                if not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
                    self.report_error(
                        _error(
                            f"{argument.name.value} must be between 1 and {MAX_PAGE_SIZE}, "
                            f"got {size}",
                            argument,
                            "PAGE_SIZE_OUT_OF_RANGE",
                        )
                    )
                    return MAX_PAGE_SIZE
                return size
            return None

        def _id_count(self, field: FieldNode) -> int | None:
            """How many nodes `nodes(ids:)` asks for; None for other fields."""
            for argument in field.arguments or ():
                if argument.name.value != "ids":
                    continue
                ids: Any = argument.value
                if isinstance(ids, VariableNode):
                    ids = self.values.get(ids.name.value)
                elif isinstance(ids, ListValueNode):
                    ids = ids.values
                return len(ids) if isinstance(ids, list | tuple) else 1
            return None

        def _condition(
            self, condition: NamedTypeNode | None, parent: GraphQLNamedType
        ) -> GraphQLNamedType:
            """The type a fragment applies to: `... on Organization` under a Node field."""
            if condition is None:
                return parent
            return self.context.schema.get_type(condition.name.value) or parent

        def _selections(
            self, selection_set: SelectionSetNode, parent: GraphQLNamedType, seen: set[str]
        ) -> Iterator[tuple[FieldNode, GraphQLNamedType]]:
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    yield selection, parent
                elif isinstance(selection, InlineFragmentNode):
                    target = self._condition(selection.type_condition, parent)
                    yield from self._selections(selection.selection_set, target, seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is not None and name not in seen:
                        target = self._condition(fragment.type_condition, parent)
                        yield from self._selections(fragment.selection_set, target, seen | {name})

        def _count(
            self,
            selection_set: SelectionSetNode | None,
            parent: GraphQLNamedType,
            multiplier: int,
            seen: set[str],
        ) -> int:
            if selection_set is None:
                return 0
            total = 0
            for field, owner in self._selections(selection_set, parent, seen):
                if not isinstance(owner, GraphQLObjectType | GraphQLInterfaceType):
                    continue
                definition = owner.fields.get(field.name.value)
                if definition is None:
                    continue  # unknown fields are reported by the standard rules
                child = get_named_type(definition.type)
                size = self._page_size(field)
                ids = self._id_count(field)
                if child.name.endswith("Connection"):
                    size = size or DEFAULT_PAGE_SIZE
                    total += multiplier * size
                    total += self._count(field.selection_set, child, multiplier * size, seen)
                elif ids is not None:
                    total += multiplier * ids
                    total += self._count(field.selection_set, child, multiplier * ids, seen)
                elif field.selection_set is not None:
                    total += self._count(field.selection_set, child, multiplier, seen)
            return total

    return NodeLimit


def node_count_errors(
    schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None
) -> list[GraphQLError]:
    """The node-count rule on each operation, without walking the whole document again."""
    errors: list[GraphQLError] = []
    rule = node_limit_rule(variables)(
        ValidationContext(schema, document, TypeInfo(schema), errors.append)
    )
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            rule.enter_operation_definition(definition)  # type: ignore[attr-defined]
    return errors


# Errors of the rules that depend on the document alone, by query text and rules: an LRU.
_VALIDATED: OrderedDict[tuple[str, tuple[str, ...]], list[GraphQLError]] = OrderedDict()


def _rule_errors(
    schema: GraphQLSchema,
    query: str,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
) -> list[GraphQLError]:
    # The limiter extensions make their rule classes per request; their names say which.
    key = (query, tuple(rule.__name__ for rule in rules))
    errors = _VALIDATED.get(key)
    if errors is None:
        errors = _VALIDATED[key] = validate_document(schema, document, rules)
        if len(_VALIDATED) > CACHED_DOCUMENTS:
            _VALIDATED.popitem(last=False)
    else:
        _VALIDATED.move_to_end(key)
    return errors


# Strawberry's depth and alias rules, made once: its limiter extensions make a new rule class on
# every request.
DEPTH_RULE = depth_rule(MAX_DEPTH, None, None)
ALIASES_RULE = aliases_rule(MAX_ALIASES)


class QueryLimits(SchemaExtension):
    """Refuses documents nested too deeply to parse; validates each query text once (with the
    depth and alias limits), then checks the node count, which depends on the variables, on
    every request."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, DEPTH_RULE, ALIASES_RULE)
        yield

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is not None:
            check_nesting(query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.pre_execution_errors is None and document is not None and context.query:
            schema = context.schema._schema
            errors = _rule_errors(schema, context.query, document, tuple(context.validation_rules))
            if not errors:
                errors = node_count_errors(schema, document, context.variables)
            context.pre_execution_errors = errors
        yield


def limit_extensions() -> list[Any]:
    # Factories, so that each request gets fresh extension instances.
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        QueryLimits,
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
    ]
