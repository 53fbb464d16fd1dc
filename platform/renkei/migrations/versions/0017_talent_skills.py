"""The skills taxonomy as reference data, so that compiled reads name a need's skills in SQL.

The taxonomy is defined in renkei/talent/skills.json and read from memory by the resolvers; a
compiled read builds the same `Skill` objects from this table, written from that file. A change
of skills.json needs a migration that rewrites the table (a test compares the two).

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from renkei.talent.skills import default_taxonomy

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "talent_skills",
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("name_ja", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("synonyms", postgresql.ARRAY(sa.Text()), nullable=False),
        # The taxonomy's own order: how `skills` lists them without a search.
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_talent_skills")),
    )
    table = sa.table(
        "talent_skills",
        sa.column("slug"),
        sa.column("name_ja"),
        sa.column("name_en"),
        sa.column("category"),
        sa.column("synonyms", postgresql.ARRAY(sa.Text())),
        sa.column("position"),
    )
    op.bulk_insert(
        table,
        [
            {
                "slug": s.slug,
                "name_ja": s.name_ja,
                "name_en": s.name_en,
                "category": s.category,
                "synonyms": list(s.synonyms),
                "position": n,
            }
            for n, s in enumerate(default_taxonomy())
        ],
    )
    app_role = context.config.attributes.get("app_role", "renkei_app")
    op.execute(f'GRANT SELECT ON talent_skills TO "{app_role}"')


def downgrade() -> None:
    op.drop_table("talent_skills")
