"""Talent explanations in Japanese and English: the words of each component per locale, and the
JSON text a compiled read sends, once per locale.

A match's explanation stored each component's label and text in Japanese only. The engine now
stores both as {"ja": ..., "en": ...}, and the reader's locale picks one. The trigger of 0017
wrote the JSON text compiled reads send as is; it now writes it per locale, into
explanation_text_ja (the former explanation_text) and explanation_text_en, and a compiled read
chooses the column by its `:locale` parameter (so one cached plan serves every reader).

Existing rows: their labels are fixed per component and become bilingual here; their texts were
written in Japanese from the need and the profile as they were then, so they stay Japanese in
every locale (still readable) until the engine proposes the pair again.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import json

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

LOCALES = ("ja", "en")

# The components' labels as the engine writes them now (renkei.talent.scoring, the catalogs).
LABELS = {
    "REQUIRED_SKILLS": {"ja": "必須スキル", "en": "Required skills"},
    "PREFERRED_SKILLS": {"ja": "歓迎スキル", "en": "Preferred skills"},
    "SENIORITY": {"ja": "経験・習熟度", "en": "Experience and proficiency"},
    "AVAILABILITY": {"ja": "稼働開始・余力", "en": "Start date and capacity"},
    "FIRM_FEE": {"ja": "報酬（予算との適合）", "en": "Fee (fit with the budget)"},
    "LOCATION": {"ja": "勤務地への近さ", "en": "Closeness to the workplace"},
    "FIRM_TIES": {"ja": "地域とのつながり", "en": "Ties to the region"},
    "SKILL_USE": {"ja": "得意スキルの活用", "en": "Use of their strongest skills"},
    "PROFESSIONAL_FEE": {"ja": "報酬（希望との適合）", "en": "Fee (fit with their wishes)"},
    "WORK_STYLE": {"ja": "働き方", "en": "Way of working"},
    "PROFESSIONAL_TIES": {
        "ja": "ゆかりのある地域への貢献",
        "en": "Contribution to a region they have ties to",
    },
}


def words(value: str, locale: str | None) -> str:
    """SQL: a component's words (`value` is `e.v->'label'` or the like) in a locale: a
    {locale: text} map's entry, else its Japanese; a plain string as it is. None: 0017's
    reading (the string itself)."""
    if locale is None:
        return f"coalesce({value} #>> '{{}}', '')"
    fallback = (
        f"{value}->>'{locale}'" if locale == "ja" else f"{value}->>'{locale}', {value}->>'ja'"
    )
    return (
        f"CASE jsonb_typeof({value}) WHEN 'object' THEN coalesce({fallback}, '')"
        f" ELSE coalesce({value} #>> '{{}}', '') END"
    )


def _text(key: str, locale: str | None) -> str:
    value = words("e.v->'" + key + "'", locale)
    return f"',\"{key}\":' || coalesce(to_json({value})::text, 'null')"


def _number(key: str) -> str:
    return f"',\"{key}\":' || coalesce((coalesce((e.v->>'{key}')::float8, 0))::text, 'null')"


def element(locale: str | None) -> str:
    """One component as the compiled path builds it for all the fields of
    ExplanationComponent, in their declared order, in a locale."""
    return " || ".join(
        [
            "'{\"component\":' || coalesce(to_json(e.v->>'component')::text, 'null')",
            _text("side", None),
            _text("label", locale),
            _number("value"),
            _number("weight"),
            _number("points"),
            _text("text", locale),
            "'}'",
        ]
    )


def _aggregate(locale: str | None) -> str:
    return (
        f"(SELECT coalesce('[' || string_agg({element(locale)}, ',' ORDER BY e.n) || ']', '[]')"
        " FROM jsonb_array_elements(NEW.explanation) WITH ORDINALITY e(v, n))"
    )


def trigger(columns: dict[str, str | None]) -> str:
    """The trigger writing each column's JSON text (column: locale) when the explanation is."""
    sets = "\n".join(
        f"  NEW.{column} := {_aggregate(locale)};" for column, locale in columns.items()
    )
    return f"""
CREATE FUNCTION talent_explanation_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{sets}
  RETURN NEW;
END $$;
CREATE TRIGGER matches_explanation_text BEFORE INSERT OR UPDATE OF explanation ON matches
  FOR EACH ROW EXECUTE FUNCTION talent_explanation_text();
"""


_LABELS_JSON = json.dumps(LABELS, ensure_ascii=False).replace("'", "''")
# Each stored label that is a Japanese string becomes {"ja": ..., "en": ...}.
BILINGUAL_LABELS = f"""UPDATE matches m SET explanation = (
  SELECT jsonb_agg(CASE WHEN jsonb_typeof(e.v->'label') = 'string'
          AND '{_LABELS_JSON}'::jsonb ? (e.v->>'component')
    THEN jsonb_set(e.v, '{{label}}', '{_LABELS_JSON}'::jsonb -> (e.v->>'component'))
    ELSE e.v END ORDER BY e.n)
  FROM jsonb_array_elements(m.explanation) WITH ORDINALITY e(v, n))
 WHERE m.explanation <> '[]'"""


def _drop_trigger() -> None:
    op.execute("DROP TRIGGER matches_explanation_text ON matches")
    op.execute("DROP FUNCTION talent_explanation_text()")


def upgrade() -> None:
    _drop_trigger()
    op.execute("ALTER TABLE matches RENAME COLUMN explanation_text TO explanation_text_ja")
    op.execute("ALTER TABLE matches ADD COLUMN explanation_text_en text DEFAULT '[]' NOT NULL")
    op.execute(trigger({f"explanation_text_{locale}": locale for locale in LOCALES}))
    # Labels become bilingual; the update writes both texts through the trigger.
    op.execute(BILINGUAL_LABELS)


def downgrade() -> None:
    _drop_trigger()
    # Back to Japanese strings, as 0017 read them.
    op.execute(
        """UPDATE matches m SET explanation = (
  SELECT jsonb_agg(e.v
    || CASE jsonb_typeof(e.v->'label') WHEN 'object'
       THEN jsonb_build_object('label', coalesce(e.v->'label'->>'ja', '')) ELSE '{}' END
    || CASE jsonb_typeof(e.v->'text') WHEN 'object'
       THEN jsonb_build_object('text', coalesce(e.v->'text'->>'ja', '')) ELSE '{}' END
    ORDER BY e.n)
  FROM jsonb_array_elements(m.explanation) WITH ORDINALITY e(v, n))
 WHERE m.explanation <> '[]'"""
    )
    op.execute("ALTER TABLE matches DROP COLUMN explanation_text_en")
    op.execute("ALTER TABLE matches RENAME COLUMN explanation_text_ja TO explanation_text")
    op.execute(trigger({"explanation_text": None}))
    op.execute("UPDATE matches SET explanation = explanation WHERE explanation <> '[]'")
