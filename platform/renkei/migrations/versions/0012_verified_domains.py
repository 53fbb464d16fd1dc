"""Verified email domains.

(A placeholder in the chain, reserved for domain verification and sign-in linking:
filled in by that work, or removed.)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
