"""Prometheus series per GraphQL operation: how many, how many failed, how long, what cost,
and by which path they ran (`direct`: one exchange for a bearer token, `compiled`: a plan in
the viewer's transaction, `resolver`: strawberry's resolvers).

Operation names are chosen by clients, and a series lives as long as the process, so a label
holds a name only when it is registered (a registered document's: the console's and the other
manifests') or, up to `ADMITTED_NAMES`, the first names of operations that ran for a signed-in
viewer; any other named operation is `other`, an unnamed one `anonymous`. A client sending
random names costs at most ADMITTED_NAMES series, and none without signing in.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode
from prometheus_client import Counter, Histogram
from strawberry.types.execution import ExecutionResult

from renkei.errors import DomainError
from renkei.graphql import limits

OPERATIONS = Counter(
    "renkei_graphql_operations_total",
    "GraphQL operations run, by operation name, type (query, mutation) and path",
    ["operation", "type", "path"],
)
ERRORS = Counter(
    "renkei_graphql_operation_errors_total",
    "GraphQL operations answered with errors, by operation name and kind: request (never ran: "
    "parse, validation, variables), domain (a typed error such as NOT_FOUND), fault",
    ["operation", "kind"],
)
DURATION = Histogram(
    "renkei_graphql_operation_duration_seconds",
    "Time to run a GraphQL operation, from its request read to its answer built",
    ["operation", "path"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
COST = Histogram(
    "renkei_graphql_operation_cost",
    "What a GraphQL operation costs in budget points (a query: the nodes it could return)",
    ["operation"],
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000),
)

ADMITTED_NAMES = 200
MAX_NAME_LENGTH = 64
OTHER = "other"
ANONYMOUS = "anonymous"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


class OperationNames:
    """The label of an operation name, bounded (see the module)."""

    def __init__(self, registered: Iterable[str] = (), capacity: int = ADMITTED_NAMES) -> None:
        self.registered = frozenset(registered)
        self.capacity = capacity
        self._admitted: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None, *, ran: bool, signed_in: bool) -> str:
        if name is None:
            return ANONYMOUS
        if name in self.registered or name in self._admitted:
            return name
        if not (ran and signed_in) or len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
            return OTHER
        with self._lock:
            if len(self._admitted) >= self.capacity:
                return OTHER
            self._admitted.add(name)
        return name


@dataclass(frozen=True)
class Operation:
    name: str | None
    type: str  # query, mutation, subscription; "unknown" when the document names none


async def operation_of(query: str | None, operation_name: str | None) -> Operation:
    """The operation a request runs, from its (remembered) parsed document."""
    if not query:
        return Operation(operation_name, "unknown")
    try:
        document = await limits.document_of(query)
    except GraphQLError:
        return Operation(operation_name, "unknown")
    chosen = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if len(chosen) != 1:
        return Operation(operation_name, "unknown")
    (operation,) = chosen
    name = operation.name.value if operation.name else None
    return Operation(name, operation.operation.value)


def error_kinds(result: ExecutionResult, *, request_error: bool) -> set[str]:
    if not result.errors:
        return set()
    if request_error:
        return {"request"}
    kinds = set()
    for error in result.errors:
        original = error.original_error
        if original is None or isinstance(original, DomainError | GraphQLError):
            kinds.add("domain")
        else:
            kinds.add("fault")
    return kinds


def observe(
    names: OperationNames,
    operation: Operation,
    *,
    path: str,
    started: float,
    result: ExecutionResult,
    request_error: bool,
    cost: int | None,
    signed_in: bool,
) -> None:
    """Count one operation that was answered (not one refused before it ran)."""
    label = names.label(operation.name, ran=not request_error, signed_in=signed_in)
    count, duration, costs = _series(label, operation.type, path)
    count.inc()
    duration.observe(time.perf_counter() - started)
    for kind in error_kinds(result, request_error=request_error):
        ERRORS.labels(label, kind).inc()
    if cost is not None:
        costs.observe(cost)


@functools.lru_cache(maxsize=4096)
def _series(label: str, kind: str, path: str) -> tuple[Any, Any, Any]:
    """The children of one label set, looked up once (`labels()` takes a lock each time);
    the label sets are bounded, so is this."""
    return OPERATIONS.labels(label, kind, path), DURATION.labels(label, path), COST.labels(label)
