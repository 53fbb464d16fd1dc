"""At-risk reasons in every locale: a milestone flagged by the platform says why in each language.

When a predecessor slips past a milestone's start, the job `flag_at_risk_dependents` explains
why. It wrote one English sentence into milestones.at_risk_reason, which every reader read.
Now it writes the reason in every locale into `at_risk_reasons` ({"ja": ..., "en": ...}) and
each reader reads their own: the resolvers with the reader's locale, the compiled reads with a
bind parameter (`:locale`), so that a cached plan serves readers of every language. A reason a
person typed stays in at_risk_reason, as typed, for every reader.

Reasons the platform wrote before stay as they are (in English) until the job flags the
milestone again.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

CHECK = (
    "at_risk_reasons IS NULL OR (jsonb_typeof(at_risk_reasons) = 'object'"
    " AND at_risk_reasons ?& ARRAY['ja', 'en'])"
)


def upgrade() -> None:
    op.add_column("milestones", sa.Column("at_risk_reasons", JSONB(), nullable=True))
    op.create_check_constraint(op.f("ck_milestones_at_risk_reasons_by_locale"), "milestones", CHECK)


def downgrade() -> None:
    # The English reason is kept where no person's reason was: readers still see why.
    op.execute(
        "UPDATE milestones SET at_risk_reason = at_risk_reasons ->> 'en'"
        " WHERE at_risk_reasons IS NOT NULL AND at_risk_reason IS NULL"
    )
    op.drop_constraint(op.f("ck_milestones_at_risk_reasons_by_locale"), "milestones")
    op.drop_column("milestones", "at_risk_reasons")
