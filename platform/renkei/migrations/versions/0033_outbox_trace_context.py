"""The outbox keeps the W3C trace context of the change that wrote each message.

`outbox.trace_context`: the `traceparent` (and `tracestate`) of the span that enqueued the
message, so the relay and the worker's job continue the request's trace (renkei.tracing). Null
for messages written outside a trace (cron jobs, the command line) and before this revision.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("trace_context", JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "trace_context")
