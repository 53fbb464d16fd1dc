"""The skills taxonomy: canonical skills with Japanese and English names and synonyms, and the
normalization that lets free text find them (ﾌｧｲﾅﾝｽ, ファイナンス, ふぁいなんす and Finance are
one skill).

Text is folded as renkei.text_search folds it (NFKC, case, hiragana as katakana), but word breaks
are kept as single spaces: Latin abbreviations need them (HR must not match inside "chrome", nor
MA "marketing automation" match M&A), while Japanese words may be written with or without a
space or a 中黒 (広報・PR, 広報 PR, 広報PR).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Shipped inside the package, so that an installed Renkei (the container image) has it too.
SKILLS_FILE = Path(__file__).resolve().parent / "skills.json"

_HIRAGANA_TO_KATAKANA = str.maketrans(
    {chr(c): chr(c + 0x60) for c in range(ord("ぁ"), ord("ゖ") + 1)}
)
_SEPARATORS = re.compile(r"[^\w]+|_+")


def fold(text: str) -> str:
    """NFKC (full-width ASCII to ASCII, half-width kana to full width), case-folded, hiragana as
    katakana, and every run of white space or punctuation as one space."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_HIRAGANA_TO_KATAKANA)
    return _SEPARATORS.sub(" ", text).strip()


def _is_ascii_word_char(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _key(folded: str) -> str:
    """Folded text with only the breaks that matter: those between two Latin letters or digits
    (m a for M&A, ma for MA), so that 広報・PR, 広報 PR and 広報PR share one key."""
    return "".join(
        c
        for i, c in enumerate(folded)
        if c != " " or (_is_ascii_word_char(folded[i - 1]) and _is_ascii_word_char(folded[i + 1]))
    )


def skill_key(text: str) -> str:
    """The key under which a skill name is looked up."""
    return _key(fold(text))


def _pattern(name: str) -> str | None:
    """A regular expression over folded text for one skill name, or None if it folds to nothing.

    A break between two Latin letters or digits is required (M&A is not MA); any other break is
    optional (広報・PR, 広報PR). A name that begins or ends with a Latin letter or digit must not
    continue a longer Latin word (HR is not found in "chrome").
    """
    folded = fold(name)
    if not folded:
        return None
    parts: list[str] = []
    for i, c in enumerate(folded):
        if c == " ":
            before, after = folded[i - 1], folded[i + 1]
            required = _is_ascii_word_char(before) and _is_ascii_word_char(after)
            parts.append(" " if required else " ?")
            continue
        previous = folded[i - 1] if i else " "
        if previous != " " and _is_ascii_word_char(previous) != _is_ascii_word_char(c):
            parts.append(" ?")  # DX推進 is also written DX 推進
        parts.append(re.escape(c))
    body = "".join(parts)
    if _is_ascii_word_char(folded[0]):
        body = "(?<![a-z0-9])" + body
    if _is_ascii_word_char(folded[-1]):
        body += "(?![a-z0-9])"
    return body


@dataclass(frozen=True, slots=True)
class SkillCategory:
    slug: str
    name_ja: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Skill:
    """A canonical skill. `names` are its Japanese and English names and its synonyms."""

    slug: str
    name_ja: str
    name_en: str
    category: str
    synonyms: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name_ja, self.name_en, *self.synonyms)


class SkillTaxonomy:
    """The canonical skills, and the lookup of skills in free text."""

    def __init__(self, categories: Iterable[SkillCategory], skills: Iterable[Skill]) -> None:
        self.categories: dict[str, SkillCategory] = {c.slug: c for c in categories}
        self.skills: tuple[Skill, ...] = tuple(skills)
        self.by_slug: dict[str, Skill] = {}
        self._by_key: dict[str, Skill] = {}
        patterns: dict[str, str] = {}
        for skill in self.skills:
            if skill.slug in self.by_slug:
                raise ValueError(f"skill {skill.slug!r} is defined twice")
            if skill.category not in self.categories:
                raise ValueError(f"skill {skill.slug!r} has an unknown category {skill.category!r}")
            self.by_slug[skill.slug] = skill
            for name in skill.names:
                key = skill_key(name)
                other = self._by_key.setdefault(key, skill)
                if other is not skill:
                    raise ValueError(
                        f"{name!r} names both {other.slug!r} and {skill.slug!r} after normalization"
                    )
                pattern = _pattern(name)
                if pattern is not None:
                    patterns.setdefault(fold(name), pattern)
        # Longest names first, so that 海外販路開拓 wins over 販路開拓 where both start.
        ordered = sorted(patterns.items(), key=lambda item: -len(item[0]))
        self._finder = re.compile("|".join(pattern for _, pattern in ordered))

    def __len__(self) -> int:
        return len(self.skills)

    def __iter__(self) -> Iterator[Skill]:
        return iter(self.skills)

    def __getitem__(self, slug: str) -> Skill:
        return self.by_slug[slug]

    def lookup(self, name: str) -> Skill | None:
        """The skill a whole name designates (財務, ＦＩＮＡＮＣＥ, ふぁいなんす), if any."""
        return self._by_key.get(skill_key(name))

    def resolve(self, free_text: str) -> list[Skill]:
        """The canonical skills named anywhere in a free text, in order of first mention."""
        found: dict[str, Skill] = {}
        for match in self._finder.finditer(fold(free_text)):
            skill = self._by_key[_key(match.group())]
            found.setdefault(skill.slug, skill)
        return list(found.values())

    @classmethod
    def from_document(cls, document: Mapping[str, object]) -> SkillTaxonomy:
        """Build from the structure of skills.json."""
        categories = document["categories"]
        skills = document["skills"]
        if not isinstance(categories, list) or not isinstance(skills, list):
            raise ValueError("a skills document has lists of categories and skills")
        return cls(
            (SkillCategory(c["slug"], c["name_ja"], c["name_en"]) for c in categories),
            (
                Skill(
                    slug=s["slug"],
                    name_ja=s["name_ja"],
                    name_en=s["name_en"],
                    category=s["category"],
                    synonyms=tuple(s.get("synonyms", ())),
                )
                for s in skills
            ),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> SkillTaxonomy:
        """Read a taxonomy file (by default the packaged skills.json)."""
        document = json.loads((path or SKILLS_FILE).read_text(encoding="utf-8"))
        return cls.from_document(document)


@cache
def default_taxonomy() -> SkillTaxonomy:
    """The seeded taxonomy, read once per process."""
    return SkillTaxonomy.load()
