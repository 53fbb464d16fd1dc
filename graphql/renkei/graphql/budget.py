"""The parse and validation of a new document, off the event loop and within a time budget.

graphql-core's rules run in plain Python: however bounded the document (5,000 tokens, 5,000
fields once expanded), validating it takes a few milliseconds, and a crafted one much more. Run
on the event loop, that time is taken from every other client. So a document not seen before is
validated in a worker thread, while the loop serves others; a rule checks the clock at every node
of the document and aborts the validation once its budget is spent, which also frees the thread.
Parsing (at most 5,000 tokens) also runs in the thread. The document and the errors of each query
text are remembered (LRUs), so the documents clients send again and again are parsed and
validated once. Errors hold words in the reader's language, so they are remembered per locale.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from graphql.validation.validate import ValidationAbortedError
from strawberry.schema.schema import validate_document

from renkei.i18n.messages import _, current_locale

# Seconds of CPU a document's validation may take; legitimate ones take a few milliseconds.
VALIDATION_BUDGET = 1.0
CACHED_DOCUMENTS = 256
# Two threads: parses and validations queue rather than take every core from the event loop.
_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="renkei-documents")
_PARSED: OrderedDict[str, DocumentNode] = OrderedDict()
# Errors of the rules, by query text, rules and the reader's locale (the errors' language).
_VALIDATED: OrderedDict[tuple[str, tuple[str, ...], str], list[GraphQLError]] = OrderedDict()


def out_of_time() -> GraphQLError:
    return GraphQLError(
        _(
            "this document took more than {seconds} s of CPU to validate: "
            "simplify it (fewer fields, fragments or repeated selections)",
            seconds=VALIDATION_BUDGET,
        ),
        extensions={"code": "QUERY_TOO_COMPLEX"},
    )


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    if len(cache) > CACHED_DOCUMENTS:
        cache.popitem(last=False)


async def parsed(query: str, parse: Callable[[str], DocumentNode]) -> DocumentNode:
    """The document of a query text, parsed in a worker thread unless remembered."""
    document = _PARSED.get(query)
    if document is not None:
        _PARSED.move_to_end(query)
        return document
    # In the caller's context: an error says why in the reader's language (renkei.i18n).
    in_context = contextvars.copy_context().run
    document = await asyncio.get_running_loop().run_in_executor(_WORKERS, in_context, parse, query)
    _remember(_PARSED, query, document)
    return document


# The thread's own CPU time, less the garbage collections it ran: waiting for the GIL or for a
# busy machine is not the document's cost, nor is a collection of the whole heap that its
# allocations happened to trigger.
_collections = threading.local()


def _on_collection(phase: str, _info: dict[str, Any]) -> None:
    if phase == "start":
        _collections.started = time.thread_time()
    elif (started := getattr(_collections, "started", None)) is not None:
        _collections.spent = getattr(_collections, "spent", 0.0) + time.thread_time() - started


gc.callbacks.append(_on_collection)


def _spent() -> float:
    return time.thread_time() - getattr(_collections, "spent", 0.0)


def _deadline_rule(seconds: float) -> type[ASTValidationRule]:
    class Deadline(ASTValidationRule):
        """Aborts the validation once its budget is spent; graphql-core keeps the error."""

        def __init__(self, context: Any) -> None:
            super().__init__(context)
            self.deadline = _spent() + seconds

        def enter(self, *_: Any) -> None:
            if _spent() > self.deadline:
                raise ValidationAbortedError(
                    out_of_time().message, extensions={"code": "QUERY_TOO_COMPLEX"}
                )

    return Deadline


def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    budget: float,
) -> list[GraphQLError]:
    # The budget starts when the thread takes the work, not while it waits in the queue.
    return validate_document(schema, document, (_deadline_rule(budget), *rules))


async def validated(
    schema: GraphQLSchema,
    query: str,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    budget: float = VALIDATION_BUDGET,
) -> list[GraphQLError]:
    """The errors of the validation rules for this document, remembered by query text."""
    key = (query, tuple(rule.__name__ for rule in rules), current_locale())
    errors = _VALIDATED.get(key)
    if errors is not None:
        _VALIDATED.move_to_end(key)
        return errors
    loop = asyncio.get_running_loop()
    in_context = contextvars.copy_context().run
    errors = await loop.run_in_executor(
        _WORKERS, in_context, _validate, schema, document, rules, budget
    )
    if any(_timed_out(error) for error in errors):
        # Not remembered: however it is measured, time is not a property of the text alone.
        return [out_of_time()]
    _remember(_VALIDATED, key, errors)
    return errors


def _timed_out(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") == "QUERY_TOO_COMPLEX"
