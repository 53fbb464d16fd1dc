"""Talent reads compiled: the skills taxonomy as reference data, and each match's explanation
also as the JSON text a compiled read sends.

The taxonomy is defined in renkei/talent/skills.json and read from memory by the resolvers; a
compiled read builds the same `Skill` objects from this table, written from that file. A change
of skills.json needs a migration that rewrites the table (a test compares the two).

A match's explanation (11 components with their words) is read far more often than written, and
building its JSON for each read took most of a firm's view of its proposals. A trigger writes it
once, when the explanation is written, as the compiled path would build it for all the fields of
`ExplanationComponent` in their declared order; a query selecting exactly those reads it as is.

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from renkei.talent.skills import default_taxonomy

revision = "0017"
down_revision = "0016"
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

    op.add_column(
        "matches",
        sa.Column("explanation_text", sa.Text(), server_default="[]", nullable=False),
    )
    op.execute(EXPLANATION_TRIGGER)
    op.execute("UPDATE matches SET explanation = explanation WHERE explanation <> '[]'")


def downgrade() -> None:
    op.execute("DROP TRIGGER matches_explanation_text ON matches")
    op.execute("DROP FUNCTION talent_explanation_text()")
    op.drop_column("matches", "explanation_text")
    op.drop_table("talent_skills")


def _text(key: str) -> str:
    return f"',\"{key}\":' || coalesce(to_json(coalesce(e.v->>'{key}', ''))::text, 'null')"


def _number(key: str) -> str:
    return f"',\"{key}\":' || coalesce((coalesce((e.v->>'{key}')::float8, 0))::text, 'null')"


_ELEMENT = " || ".join(
    [
        "'{\"component\":' || coalesce(to_json(e.v->>'component')::text, 'null')",
        _text("side"),
        _text("label"),
        _number("value"),
        _number("weight"),
        _number("points"),
        _text("text"),
        "'}'",
    ]
)
EXPLANATION_TRIGGER = f"""
CREATE FUNCTION talent_explanation_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.explanation_text := (
    SELECT coalesce('[' || string_agg({_ELEMENT}, ',' ORDER BY e.n) || ']', '[]')
      FROM jsonb_array_elements(NEW.explanation) WITH ORDINALITY e(v, n));
  RETURN NEW;
END $$;
CREATE TRIGGER matches_explanation_text BEFORE INSERT OR UPDATE OF explanation ON matches
  FOR EACH ROW EXECUTE FUNCTION talent_explanation_text();
"""
