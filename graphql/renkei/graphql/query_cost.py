"""The size and cost of an operation once its fragments are expanded, measured in linear time.

A fragment spread twice counts twice: `fragment A on Query { ...B ...B }` doubles whatever B
holds, so 21 such fragments make an 834-byte document of two million fields. Walking the expanded
tree would take as long as running it; instead each fragment is measured once, on first use, and
its measure is reused at every spread (fragments multiply, their measures add up). The walk is
therefore linear in the size of the document, whatever it would expand to.

What is measured, per operation:
- `nodes`: what the query could return at most, the cost the API bills (as GitHub and Shopify
  cost a query): each connection multiplies what is below it by its `first` or `last` (20 when
  neither is given), so `organizations(first: 100) { members(first: 100) }` is 10,100 nodes;
  `nodes(ids:)` multiplies by the number of ids;
- `objects`: the same count, with the plain lists too (which `nodes` leaves out): each list of
  objects outside a connection multiplies what is below it by its estimated length (47 for
  prefectures, 20 for any other), which bounds the size of the response:
  `planningBlocs { prefectures { planningBloc { prefectures { ... } } } }` grows 47-fold a level;
- `fields`: how many fields the expanded operation selects, which bounds the work of validating
  and executing it;
- `depth`: how many fields with a selection nest, introspection included; a type's `ofType`
  (one wrapper of a list or non-null type) adds none, so that GraphiQL's introspection query
  (nine nested `ofType`) passes, and `wrappers`, the longest run of nested `ofType`, is limited
  on its own;
- `aliases`: how many aliased fields the expanded operation has;
- `repeats`: the most times one response name is selected in one selection set, fragments
  expanded, times the same below it (validation compares such fields pairwise: 1,200
  `prefectures { code }` in a row took over a second of CPU).
Counts saturate at `SATURATED`: beyond it, every limit is exceeded anyway.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
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
    Node,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)

from renkei.graphql.relay import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from renkei.i18n.messages import _

SATURATED = 10**15
# The estimated length of a plain list (not a connection) of objects, by the type of its items.
LIST_LENGTHS = {"Prefecture": 47}
DEFAULT_LIST_LENGTH = 20
# Selections nested through fields, fragments and inline fragments; the parser refuses more than
# 64 braces within one definition, this bounds the nesting of fragments into one another.
MAX_NESTING = 64


def _error(message: str, node: Node | None, code: str) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code})


class NestedTooDeep(Exception):
    """Fragments nest selections deeper than MAX_NESTING: refused before anything else."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.node = node

    def error(self) -> GraphQLError:
        return _error(
            _("the fragments of this document nest more than {most} levels deep", most=MAX_NESTING),
            self.node,
            "QUERY_TOO_DEEP",
        )


@dataclass
class Measure:
    """A selection set's measure, for one item of its parent (multiply by the parent's size)."""

    nodes: int = 0
    objects: int = 0
    fields: int = 0
    depth: int = 0
    aliases: int = 0
    # The longest run of nested `ofType` anywhere below, and the longest starting right here.
    wrappers: int = 0
    leading_wrappers: int = 0
    # The response names this selection set merges (through its fragments) with their counts;
    # `repeats`, the most times one name is merged here times the most below (graphql-core's
    # rule that fields of one name can merge compares them pairwise, and their subfields pairwise
    # for each pair); `below`, the most repeats of the subfields of this set's fields.
    names: dict[str, int] = field(default_factory=dict, repr=False)
    repeats: int = 1
    below: int = 1

    def add(self, other: Measure, times: int = 1) -> None:
        self.nodes = min(self.nodes + other.nodes * times, SATURATED)
        self.objects = min(self.objects + other.objects * times, SATURATED)
        self.fields = min(self.fields + other.fields, SATURATED)
        self.aliases = min(self.aliases + other.aliases, SATURATED)
        self.depth = max(self.depth, other.depth)
        self.wrappers = max(self.wrappers, other.wrappers)
        self.leading_wrappers = max(self.leading_wrappers, other.leading_wrappers)
        self.below = max(self.below, other.below)


@dataclass
class OperationMeasure:
    operation: OperationDefinitionNode
    nodes: int
    objects: int
    fields: int
    depth: int
    aliases: int
    wrappers: int
    repeats: int
    # Page sizes out of range, each reported once even when its fragment is spread many times.
    errors: list[GraphQLError] = field(default_factory=list)
    # The depth of each selection set walked, and the fields that add none (`ofType`), by id:
    # to find where the depth limit is exceeded.
    depths: dict[int, int] = field(default_factory=dict, repr=False)
    flat: set[int] = field(default_factory=set, repr=False)
    fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.operation.name.value if self.operation.name else "anonymous"

    def too_deep_at(self, max_depth: int) -> Node | None:
        """The first selection nested deeper than `max_depth`, as the depth limiter reports it."""
        if self.depth <= max_depth:
            return None
        return self._deeper(self.operation.selection_set, 0, max_depth)

    def _deeper(self, selection_set: SelectionSetNode, level: int, limit: int) -> Node | None:
        for selection in selection_set.selections:
            if level > limit:
                return selection
            inner, step = self._inner(selection)
            if inner is not None and level + step + self.depths.get(id(inner), 0) > limit:
                return self._deeper(inner, level + step, limit)
        return None

    def _inner(self, selection: SelectionNode) -> tuple[SelectionSetNode | None, int]:
        if isinstance(selection, FragmentSpreadNode):
            fragment = self.fragments.get(selection.name.value)
            return (fragment.selection_set if fragment else None), 0
        if isinstance(selection, InlineFragmentNode):
            return selection.selection_set, 0
        assert isinstance(selection, FieldNode)
        return selection.selection_set, 0 if id(selection) in self.flat else 1


class _Walker:
    """Measures one operation; each fragment once per type it is spread into."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.operation = operation
        # A variable left out takes its default, which must be checked like a literal.
        defaults = {
            d.variable.name.value: value_from_ast_untyped(d.default_value)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        self.values = {**defaults, **variables}
        self.memo: dict[tuple[str, str], Measure | None] = {}
        self.depths: dict[int, int] = {}
        self.flat: set[int] = set()
        self.errors: list[GraphQLError] = []
        self.reported: set[int] = set()

    def measure(self) -> OperationMeasure:
        root = self.schema.get_root_type(self.operation.operation)
        total = Measure()
        if root is not None:
            total = self._selection_set(self.operation.selection_set, root, 1)
        return OperationMeasure(
            self.operation,
            total.nodes,
            total.objects,
            total.fields,
            total.depth,
            total.aliases,
            total.wrappers,
            total.repeats,
            self.errors,
            self.depths,
            self.flat,
            self.fragments,
        )

    def _selection_set(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, level: int
    ) -> Measure:
        if level > MAX_NESTING:
            raise NestedTooDeep(selection_set)
        total = Measure()
        names: Counter[str] = Counter()
        spread: set[str] = set()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total.add(self._field(selection, parent, level))
                names[(selection.alias or selection.name).value] += 1
                continue
            if isinstance(selection, InlineFragmentNode):
                target = self._condition(selection.type_condition, parent)
                inner = self._selection_set(selection.selection_set, target, level + 1)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self._fragment(selection.name.value, parent, level + 1)
                if selection.name.value in spread:
                    # graphql-core compares a fragment's fields once however often it is spread.
                    total.add(inner)
                    continue
                spread.add(selection.name.value)
            else:
                continue
            total.add(inner)
            for name, count in inner.names.items():
                names[name] = min(names[name] + count, SATURATED)
        total.names = names
        total.repeats = min(max(names.values(), default=1) * total.below, SATURATED)
        self.depths[id(selection_set)] = total.depth
        return total

    def _fragment(self, name: str, parent: GraphQLNamedType, level: int) -> Measure:
        fragment = self.fragments.get(name)
        if fragment is None:
            return Measure()  # unknown fragments are reported by the standard rules
        target = self._condition(fragment.type_condition, parent)
        key = (name, target.name)
        if key in self.memo:
            # None while it is being measured: a cycle, which the standard rules report.
            return self.memo[key] or Measure()
        self.memo[key] = None
        measure = self.memo[key] = self._selection_set(fragment.selection_set, target, level)
        return measure

    def _field(self, node: FieldNode, parent: GraphQLNamedType, level: int) -> Measure:
        measure = Measure(fields=1, aliases=1 if node.alias else 0)
        if node.selection_set is None:
            return measure
        child: GraphQLNamedType | None = None
        is_list = False
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(node.name.value)
            if definition is not None:
                child = get_named_type(definition.type)
                is_list = is_list_type(get_nullable_type(definition.type))
        if child is None:
            # An unknown field (reported by the standard rules), or one of the introspection
            # fields, which types do not list: its type is found from the schema.
            child = self._introspection_type(node.name.value, parent)
        inner = self._selection_set(node.selection_set, child, level + 1)
        step = 1
        if node.name.value == "ofType" and parent.name == "__Type":
            step = 0
            self.flat.add(id(node))
            measure.leading_wrappers = 1 + inner.leading_wrappers
        measure.wrappers = max(inner.wrappers, measure.leading_wrappers)
        measure.below = inner.repeats
        measure.depth = step + inner.depth
        measure.fields = min(1 + inner.fields, SATURATED)
        measure.aliases = min(measure.aliases + inner.aliases, SATURATED)
        size = self._page_size(node)
        ids = self._id_count(node)
        if child.name.endswith("Connection"):
            size = size or DEFAULT_PAGE_SIZE
            measure.nodes = min(size + size * inner.nodes, SATURATED)
            measure.objects = min(size + size * inner.objects, SATURATED)
        elif ids is not None:
            measure.nodes = min(ids + ids * inner.nodes, SATURATED)
            measure.objects = min(ids + ids * inner.objects, SATURATED)
        elif is_list and not parent.name.endswith("Connection"):
            # A connection's nodes and edges are counted by the connection's page size.
            length = LIST_LENGTHS.get(child.name, DEFAULT_LIST_LENGTH)
            measure.nodes = inner.nodes
            measure.objects = min(length + length * inner.objects, SATURATED)
        else:
            measure.nodes = inner.nodes
            measure.objects = inner.objects
        return measure

    def _introspection_type(self, name: str, parent: GraphQLNamedType) -> GraphQLNamedType:
        found = {"__schema": "__Schema", "__type": "__Type"}.get(name)
        return (self.schema.get_type(found) if found else None) or parent

    def _condition(
        self, condition: NamedTypeNode | None, parent: GraphQLNamedType
    ) -> GraphQLNamedType:
        """The type a fragment applies to: `... on Organization` under a Node field."""
        if condition is None:
            return parent
        return self.schema.get_type(condition.name.value) or parent

    def _page_size(self, node: FieldNode) -> int | None:
        for argument in node.arguments or ():
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
                if id(argument) not in self.reported:
                    self.reported.add(id(argument))
                    self.errors.append(
                        _error(
                            _(
                                "{argument} must be between 1 and {most}, got {size}",
                                argument=argument.name.value,
                                most=MAX_PAGE_SIZE,
                                size=size,
                            ),
                            argument,
                            "PAGE_SIZE_OUT_OF_RANGE",
                        )
                    )
                return MAX_PAGE_SIZE
            return size
        return None

    def _id_count(self, node: FieldNode) -> int | None:
        """How many nodes `nodes(ids:)` asks for; None for other fields."""
        for argument in node.arguments or ():
            if argument.name.value != "ids":
                continue
            ids: Any = argument.value
            if isinstance(ids, VariableNode):
                ids = self.values.get(ids.name.value)
            elif isinstance(ids, ListValueNode):
                ids = ids.values
            return len(ids) if isinstance(ids, list | tuple) else 1
        return None


def measure_operations(
    schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None
) -> list[OperationMeasure]:
    """The measure of each operation of a document. Raises NestedTooDeep."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return [
        _Walker(schema, fragments, d, variables or {}).measure()
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> int:
    """What the operation that runs could return at most, in nodes (the cost billed for it).

    The operation is the one named, or the only one; 0 when there is none such. Fragments nested
    too deeply to measure cost SATURATED (such a document is refused before it runs).
    """
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if len(operations) != 1:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    try:
        return _Walker(schema, fragments, operations[0], variables or {}).measure().nodes
    except NestedTooDeep:
        return SATURATED
