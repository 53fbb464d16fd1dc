"""Explanations of a proposal: each score component in words a user understands, with its
number. Firms and professionals read these, so they are in Japanese."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import NamedTuple

from renkei.geography.data import PREFECTURES_BY_CODE, PrefectureData
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

TIE_WORDS: dict[TieKind, str] = {
    TieKind.HOMETOWN: "出身地",
    TieKind.PAST_RESIDENCE: "過去の居住地",
    TieKind.SECOND_HOME: "二地域居住先",
    TieKind.FURUSATO_NOZEI: "ふるさと納税先",
}


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

    The numbers are fixed when the pair is scored; the words are written when first read, as
    a full recompute proposes far more pairs than anyone reads.
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
        self._render: Callable[[], tuple[str, ...]] | None = render
        self._texts: tuple[str, ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        if self._render is not None:
            self._texts = self._render()
            self._render = None
        return self._texts

    @property
    def contributions(self) -> tuple[Contribution, ...]:
        return tuple(
            Contribution(c, c.side, c.label, round(v, 3), w, round(v * w, 3), t)
            for c, v, w, t in zip(COMPONENTS, self.values, self.weights, self.texts, strict=True)
        )

    def text(self, component: Component) -> str:
        return self.texts[component.column]

    def as_json(self) -> list[dict[str, str | float]]:
        """The contributions as plain data, e.g. to store with a match."""
        return [
            {
                "component": c.component.name,
                "side": c.side.value,
                "label": c.label,
                "value": c.value,
                "weight": c.weight,
                "points": c.points,
                "text": c.text,
            }
            for c in self.contributions
        ]


def _name(code: str) -> str:
    prefecture: PrefectureData = PREFECTURES_BY_CODE[code]
    return prefecture.name


def yen(amount: int) -> str:
    """40万円, 125万円, 1,234円."""
    if amount and amount % 10_000 == 0:
        return f"{amount // 10_000:,}万円"
    return f"{amount:,}円"


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


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
_NO_TIE = ("募集地域とのつながりの登録なし", "ゆかりのある地域の案件ではない")


class Explainer:
    """Writes explanations; one NeedExplainer per need keeps what all its pairs share."""

    def __init__(self, taxonomy: SkillTaxonomy) -> None:
        self.names = {s.slug: s.name_ja for s in taxonomy}

    def for_need(self, need: NeedSpec) -> NeedExplainer:
        return NeedExplainer(self.names, need)

    def explain(
        self, need: NeedSpec, pro: ProfessionalSpec, values: Sequence[float]
    ) -> Explanation:
        return self.for_need(need).explain(pro, values)


class NeedExplainer:
    def __init__(self, names: dict[str, str], need: NeedSpec) -> None:
        self.names = names
        self.need = need
        self.required = list(need.required_skills or need.preferred_skills)
        self.preferred = list(need.preferred_skills) if need.required_skills else []
        self.weights = _WEIGHTS[bool(self.preferred)]
        self.start = f"開始希望日（{_day(need.start_date)}）から稼働可能"
        self.budget = f"（予算 {yen(need.fee_min)}〜{yen(need.fee_max)}）"
        self.ceiling = f"予算上限 {yen(need.fee_max)}・希望 "
        self.place = _name(need.workplace_prefecture_code)
        policy = need.remote_policy
        if policy is RemotePolicy.REMOTE:
            self.work_style = "フルリモートで働ける"
        elif policy is RemotePolicy.HYBRID:
            self.work_style = (
                f"リモート中心、{self.place}への訪問は月{need.site_visits_per_month}回"
            )
        else:
            self.work_style = f"{self.place}での常駐"

    def _listed(self, slugs: Sequence[str]) -> str:
        return f"（{', '.join(self.names[s] for s in slugs)}）" if slugs else ""

    def explain(self, pro: ProfessionalSpec, values: Sequence[float]) -> Explanation:
        """The explanation of this need with a professional, given the component values."""
        return Explanation(values, self.weights, partial(self.texts, pro))

    def texts(self, pro: ProfessionalSpec) -> tuple[str, ...]:
        """What each component means for this need with this professional."""
        need, skills = self.need, pro.skills
        got_required = [s for s in self.required if s in skills]
        got_preferred = [s for s in self.preferred if s in skills]
        required = f"必須スキル {len(self.required)}件中{len(got_required)}件が一致" + self._listed(
            got_required
        )
        preferred = (
            f"歓迎スキル {len(self.preferred)}件中{len(got_preferred)}件が一致"
            + self._listed(got_preferred)
            if self.preferred
            else "歓迎スキルの指定なし（その分を必須スキルで評価）"
        )
        if got_required:
            level = sum(skills[s].level for s in got_required) / len(got_required)
            years = sum(skills[s].years for s in got_required) / len(got_required)
            seniority = (
                f"一致した必須スキルの習熟度 平均Lv{level:.1f}（5段階）・経験 平均{years:.1f}年"
            )
        else:
            seniority = "必須スキルの一致なし"
        late = (pro.available_from - need.start_date).days
        availability = (
            self.start if late <= 0 else f"開始希望日の{late}日後から稼働可能"
        ) + f"・現在の案件 {pro.current_engagements}/{pro.max_concurrent_engagements}件"
        firm_fee = f"想定月額 {yen(max(need.fee_min, pro.fee_min))}{self.budget}"
        pro_fee = f"{self.ceiling}{yen(pro.fee_min)}〜{yen(pro.fee_max)}" + (
            "（希望の上限まで届く）" if need.fee_max >= pro.fee_max else ""
        )
        home = pro.residence_prefecture_code
        work_style = self.work_style
        if need.remote_policy is RemotePolicy.REMOTE:
            location = "フルリモートの募集のため居住地を問わない"
        elif home == need.workplace_prefecture_code:
            location = f"{_name(home)}在住で勤務地に通える"
            if need.remote_policy is RemotePolicy.ONSITE:
                work_style += "（地元）"
        else:
            if home in need.region_prefecture_codes:
                near = "（同じ広域リージョン）"
            elif (
                int(BLOC_MASKS[PREFECTURE_INDEX[need.workplace_prefecture_code]])
                >> (PREFECTURE_INDEX[home])
                & 1
            ):
                near = "（同じ広域地方計画の圏域）"
            else:
                near = ""
            location = f"{_name(home)}在住{near}、{self.place}へ移動可能"
            if need.remote_policy is RemotePolicy.ONSITE:
                work_style += "（転居か通勤）"
        tie = best_tie(need, pro)
        if tie is None:
            firm_ties, pro_ties = _NO_TIE
        else:
            t, at_workplace = tie
            where = "勤務地" if at_workplace else "広域リージョン内"
            kind, prefecture = TIE_WORDS[t.kind], _name(t.prefecture_code)
            firm_ties = f"{prefecture}が{kind}（{where}）"
            pro_ties = f"{kind}の{prefecture}に関われる"
        used = sorted([*got_required, *got_preferred], key=lambda s: -skills[s].level)
        skill_use = "活かせるスキル " + "、".join(
            f"{self.names[s]} Lv{skills[s].level}" for s in used
        )
        return (
            required,
            preferred,
            seniority,
            availability,
            firm_fee,
            location,
            firm_ties,
            skill_use,
            pro_fee,
            work_style,
            pro_ties,
        )


def summary(score: float, firm: float, professional: float) -> str:
    return (
        f"総合 {score:.2f}：企業側 {firm:.2f} と本人側 {professional:.2f} の幾何平均"
        "（双方にとって良い組み合わせほど高い）"
    )
