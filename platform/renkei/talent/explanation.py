"""Explanations of a proposal: each score component in words a user understands, with its
number. Firms and professionals read these in their own language: a match stores the words in
every locale (Japanese first, English beside it), and a reader is shown those of their locale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

from renkei.geography.data import PREFECTURES_BY_CODE
from renkei.i18n.formats import format_date
from renkei.i18n.messages import (
    DEFAULT_LOCALE,
    LOCALES,
    N_,
    Locale,
    current_locale,
    ngettext,
    translate_in,
    use_locale,
)
from renkei.talent.index import BLOC_MASKS, PREFECTURE_INDEX
from renkei.talent.scoring import (
    COMPONENTS,
    TIE_ELSEWHERE_IN_REGION,
    TIE_STRENGTH,
    Component,
    Side,
    component_weights,
)
from renkei.talent.skills import SkillTaxonomy
from renkei.talent.specs import NeedSpec, ProfessionalSpec, RemotePolicy, Tie, TieKind

# What a tie is, as a noun in the sentences that name it (translate with _()).
TIE_WORDS: dict[TieKind, str] = {
    TieKind.HOMETOWN: N_("hometown"),
    TieKind.PAST_RESIDENCE: N_("past residence"),
    TieKind.SECOND_HOME: N_("second home (dual residence)"),
    TieKind.FURUSATO_NOZEI: N_("furusato nozei destination"),
}


# Each message in each locale, looked up once: a recompute writes every proposal's words in
# every locale, and the catalog's own lookup took most of that time.
_MEMO: dict[Locale, dict[str, str]] = {locale: {} for locale in LOCALES}


def _(message: str, /, **params: Any) -> str:
    """renkei.i18n.messages.gettext, memoized per locale (extracted as `_` all the same)."""
    locale = current_locale()
    memo = _MEMO[locale]
    text = memo.get(message)
    if text is None:
        text = memo[message] = translate_in(locale, message)
    return text.format(**params) if params else text


def in_reader_locale(words: object) -> str:
    """Stored words in the reader's locale: a {locale: text} map, else Japanese; a plain
    string (written before explanations were bilingual) as it is, in every locale."""
    if isinstance(words, Mapping):
        found = words.get(current_locale())
        if found is None:
            found = words.get(DEFAULT_LOCALE)
        return "" if found is None else str(found)
    return "" if words is None else str(words)


class Contribution(NamedTuple):
    """One component of a proposal's score: its value in [0, 1], its weight on its side, the
    points it adds to that side's score (value × weight) and what it means."""

    component: Component
    side: Side
    label: str
    value: float
    weight: float
    points: float
    text: str


class Explanation:
    """Why a pair was proposed: per component (in COMPONENTS order) its value, weight and text.

    The numbers are fixed when the pair is scored; the words are written when first read, in
    the locale read, as a full recompute proposes far more pairs than anyone reads.
    """

    __slots__ = ("_render", "_texts", "values", "weights")

    def __init__(
        self,
        values: Sequence[float],
        weights: tuple[float, ...],
        render: Callable[[], tuple[str, ...]],
    ) -> None:
        self.values = tuple(values)
        self.weights = weights
        self._render = render
        self._texts: dict[Locale, tuple[str, ...]] = {}

    def texts_in(self, locale: Locale) -> tuple[str, ...]:
        """The components' texts in a locale, written once."""
        found = self._texts.get(locale)
        if found is None:
            found = self._texts[locale] = self._written_in(locale)
        return found

    def _written_in(self, locale: Locale) -> tuple[str, ...]:
        found = self._texts.get(locale)
        if found is None:
            with use_locale(locale):
                found = self._render()
        return found

    @property
    def texts(self) -> tuple[str, ...]:
        """The texts in the reader's locale."""
        return self.texts_in(current_locale())

    @property
    def contributions(self) -> tuple[Contribution, ...]:
        """The components in the reader's locale."""
        return tuple(
            Contribution(c, c.side, _(c.label), round(v, 3), w, round(v * w, 3), t)
            for c, v, w, t in zip(COMPONENTS, self.values, self.weights, self.texts, strict=True)
        )

    def text(self, component: Component) -> str:
        return self.texts[component.column]

    def as_json(self) -> list[dict[str, Any]]:
        """The contributions as plain data to store with a match: label and text in every
        locale ({"ja": ..., "en": ...}), read with in_reader_locale."""
        # Not kept: an engine stores every proposal's words once, and keeping them in both
        # locales held hundreds of megabytes that nobody read again.
        texts = {locale: self._written_in(locale) for locale in LOCALES}
        labels = {locale: _labels(locale) for locale in LOCALES}
        return [
            {
                "component": c.name,
                "side": c.side.value,
                "label": {locale: labels[locale][c.column] for locale in LOCALES},
                "value": round(v, 3),
                "weight": w,
                "points": round(v * w, 3),
                "text": {locale: texts[locale][c.column] for locale in LOCALES},
            }
            for c, v, w in zip(COMPONENTS, self.values, self.weights, strict=True)
        ]


_LABELS: dict[Locale, tuple[str, ...]] = {}


def _labels(locale: Locale) -> tuple[str, ...]:
    """The components' labels in a locale, in COMPONENTS order."""
    found = _LABELS.get(locale)
    if found is None:
        with use_locale(locale):
            found = _LABELS[locale] = tuple(_(c.label) for c in COMPONENTS)
    return found


def _name(code: str) -> str:
    """A prefecture's name in the reader's locale: 福岡県, Fukuoka."""
    prefecture = PREFECTURES_BY_CODE[code]
    return prefecture.name if current_locale() == "ja" else prefecture.name_romaji


def yen(amount: int) -> str:
    """In Japanese 40万円, 125万円, 1,234円; in English ¥400,000."""
    if current_locale() != "ja":
        return f"¥{amount:,}"  # renkei.i18n.formats.format_yen, for whole yen
    if amount and amount % 10_000 == 0:
        return f"{amount // 10_000:,}万円"
    return f"{amount:,}円"


def _listing(items: Sequence[str]) -> str:
    return ("、" if current_locale() == "ja" else ", ").join(items)


def best_tie(need: NeedSpec, pro: ProfessionalSpec) -> tuple[Tie, bool] | None:
    """The professional's strongest tie to the need's place, and whether it is the workplace."""
    best: tuple[float, Tie, bool] | None = None
    for tie in pro.ties:
        at_workplace = tie.prefecture_code == need.workplace_prefecture_code
        if not at_workplace and tie.prefecture_code not in need.region_prefecture_codes:
            continue
        strength = TIE_STRENGTH[tie.kind] * (1.0 if at_workplace else TIE_ELSEWHERE_IN_REGION)
        if best is None or strength > best[0]:
            best = (strength, tie, at_workplace)
    return None if best is None else (best[1], best[2])


_WEIGHTS = {
    has_preferred: tuple(component_weights(has_preferred)[c] for c in COMPONENTS)
    for has_preferred in (False, True)
}


class Explainer:
    """Writes explanations; one NeedExplainer per need keeps what all its pairs share."""

    def __init__(self, taxonomy: SkillTaxonomy) -> None:
        self.names: dict[Locale, dict[str, str]] = {
            "ja": {s.slug: s.name_ja for s in taxonomy},
            "en": {s.slug: s.name_en for s in taxonomy},
        }

    def for_need(self, need: NeedSpec) -> NeedExplainer:
        return NeedExplainer(self.names, need)

    def explain(
        self, need: NeedSpec, pro: ProfessionalSpec, values: Sequence[float]
    ) -> Explanation:
        return self.for_need(need).explain(pro, values)


class _NeedWords(NamedTuple):
    """What every pair of a need shares, in one locale."""

    names: dict[str, str]
    start: str
    budget: tuple[str, str]
    ceiling: str
    place: str


class NeedExplainer:
    def __init__(self, names: dict[Locale, dict[str, str]], need: NeedSpec) -> None:
        self.names = names
        self.need = need
        self.required = list(need.required_skills or need.preferred_skills)
        self.preferred = list(need.preferred_skills) if need.required_skills else []
        self.weights = _WEIGHTS[bool(self.preferred)]
        self._words: dict[Locale, _NeedWords] = {}

    def _shared(self) -> _NeedWords:
        """The need's words in the reader's locale, written once per locale."""
        locale = current_locale()
        found = self._words.get(locale)
        if found is None:
            need = self.need
            found = self._words[locale] = _NeedWords(
                names=self.names.get(locale) or self.names[DEFAULT_LOCALE],
                start=format_date(need.start_date),
                budget=(yen(need.fee_min), yen(need.fee_max)),
                ceiling=yen(need.fee_max),
                place=_name(need.workplace_prefecture_code),
            )
        return found

    def explain(self, pro: ProfessionalSpec, values: Sequence[float]) -> Explanation:
        """The explanation of this need with a professional, given the component values."""
        return Explanation(values, self.weights, partial(self.texts, pro))

    def texts(self, pro: ProfessionalSpec) -> tuple[str, ...]:
        """What each component means for this need with this professional, in the reader's
        locale."""
        need, skills, words = self.need, pro.skills, self._shared()
        got_required = [s for s in self.required if s in skills]
        got_preferred = [s for s in self.preferred if s in skills]
        return (
            self._required(got_required, words),
            self._preferred(got_preferred, words),
            self._seniority(pro, got_required),
            self._availability(pro, words),
            _(
                "Expected monthly fee {fee} (budget {low} to {high})",
                fee=yen(max(need.fee_min, pro.fee_min)),
                low=words.budget[0],
                high=words.budget[1],
            ),
            self._location(pro, words),
            self._firm_ties(pro),
            self._skill_use(pro, [*got_required, *got_preferred], words),
            self._professional_fee(pro, words),
            self._work_style(pro, words),
            self._professional_ties(pro),
        )

    def _required(self, got: list[str], words: _NeedWords) -> str:
        total, matched = len(self.required), len(got)
        if not got:
            return _("{matched} of {total} required skills match", matched=matched, total=total)
        return _(
            "{matched} of {total} required skills match ({skills})",
            matched=matched,
            total=total,
            skills=", ".join(words.names[s] for s in got),
        )

    def _preferred(self, got: list[str], words: _NeedWords) -> str:
        if not self.preferred:
            return _("No preferred skills given (their weight goes to the required skills)")
        total, matched = len(self.preferred), len(got)
        if not got:
            return _("{matched} of {total} preferred skills match", matched=matched, total=total)
        return _(
            "{matched} of {total} preferred skills match ({skills})",
            matched=matched,
            total=total,
            skills=", ".join(words.names[s] for s in got),
        )

    def _seniority(self, pro: ProfessionalSpec, got: list[str]) -> str:
        if not got:
            return _("No required skill matches")
        skills = pro.skills
        level = sum(skills[s].level for s in got) / len(got)
        years = sum(skills[s].years for s in got) / len(got)
        return _(
            "Matched required skills: average level {level} of 5, average {years} years of "
            "practice",
            level=format(level, ".1f"),
            years=format(years, ".1f"),
        )

    def _availability(self, pro: ProfessionalSpec, words: _NeedWords) -> str:
        late = (pro.available_from - self.need.start_date).days
        current, most = pro.current_engagements, pro.max_concurrent_engagements
        if late <= 0:
            return _(
                "Available from the wished start date ({day}); current engagements "
                "{current}/{most}",
                day=words.start,
                current=current,
                most=most,
            )
        return ngettext(
            "Available {n} day after the wished start date; current engagements {current}/{most}",
            "Available {n} days after the wished start date; current engagements {current}/{most}",
            late,
            current=current,
            most=most,
        )

    def _professional_fee(self, pro: ProfessionalSpec, words: _NeedWords) -> str:
        low, high = yen(pro.fee_min), yen(pro.fee_max)
        if self.need.fee_max >= pro.fee_max:
            return _(
                "Budget ceiling {ceiling}; wished {low} to {high} (reaches the wished maximum)",
                ceiling=words.ceiling,
                low=low,
                high=high,
            )
        return _(
            "Budget ceiling {ceiling}; wished {low} to {high}",
            ceiling=words.ceiling,
            low=low,
            high=high,
        )

    def _location(self, pro: ProfessionalSpec, words: _NeedWords) -> str:
        need, home = self.need, pro.residence_prefecture_code
        if need.remote_policy is RemotePolicy.REMOTE:
            return _("A fully remote need: where they live does not matter")
        if home == need.workplace_prefecture_code:
            return _("Lives in {home} and can commute to the workplace", home=_name(home))
        if home in need.region_prefecture_codes:
            return _(
                "Lives in {home} (in the same region), can travel to {place}",
                home=_name(home),
                place=words.place,
            )
        workplace = PREFECTURE_INDEX[need.workplace_prefecture_code]
        if int(BLOC_MASKS[workplace]) >> (PREFECTURE_INDEX[home]) & 1:
            return _(
                "Lives in {home} (in the same planning bloc), can travel to {place}",
                home=_name(home),
                place=words.place,
            )
        return _("Lives in {home}, can travel to {place}", home=_name(home), place=words.place)

    def _work_style(self, pro: ProfessionalSpec, words: _NeedWords) -> str:
        need = self.need
        policy = need.remote_policy
        if policy is RemotePolicy.REMOTE:
            return _("Can work fully remotely")
        if policy is RemotePolicy.HYBRID:
            return ngettext(
                "Mostly remote, {n} visit a month to {place}",
                "Mostly remote, {n} visits a month to {place}",
                need.site_visits_per_month,
                place=words.place,
            )
        if pro.residence_prefecture_code == need.workplace_prefecture_code:
            return _("On site in {place} (their home prefecture)", place=words.place)
        return _("On site in {place} (moving or commuting)", place=words.place)

    def _firm_ties(self, pro: ProfessionalSpec) -> str:
        tie = best_tie(self.need, pro)
        if tie is None:
            return _("No tie to the need's region registered")
        t, at_workplace = tie
        kind, prefecture = _(TIE_WORDS[t.kind]), _name(t.prefecture_code)
        if at_workplace:
            return _(
                "{prefecture} is their {kind} (the workplace)", prefecture=prefecture, kind=kind
            )
        return _("{prefecture} is their {kind} (in the region)", prefecture=prefecture, kind=kind)

    def _professional_ties(self, pro: ProfessionalSpec) -> str:
        tie = best_tie(self.need, pro)
        if tie is None:
            return _("Not a need in a region they have ties to")
        t, _at_workplace = tie
        return _(
            "Can work for {prefecture}, their {kind}",
            prefecture=_name(t.prefecture_code),
            kind=_(TIE_WORDS[t.kind]),
        )

    def _skill_use(self, pro: ProfessionalSpec, used: list[str], words: _NeedWords) -> str:
        if not used:
            return _("None of their skills is asked for")
        skills = pro.skills
        ordered = sorted(used, key=lambda s: -skills[s].level)
        levels = [
            _("{skill} Lv{level}", skill=words.names[s], level=skills[s].level) for s in ordered
        ]
        return _("Skills they can use: {skills}", skills=_listing(levels))


def summary(score: float, firm: float, professional: float) -> str:
    """The score in words, in the reader's locale."""
    return _(
        "Overall {score}: the geometric mean of the firm's {firm} and the professional's "
        "{professional} (higher when the pair suits both)",
        score=format(score, ".2f"),
        firm=format(firm, ".2f"),
        professional=format(professional, ".2f"),
    )
