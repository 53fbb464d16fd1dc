"""Verified organizations and their public codes.

(A placeholder in the chain, reserved for organization verification:
filled in by that work, or removed.)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
