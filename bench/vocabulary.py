"""What the benchmark's names are made of: surnames, places, industries, project themes, KPIs
and milestone phases (bench/dataset.py draws from them)."""

from __future__ import annotations

import random

from renkei.geography.data import PLANNING_BLOCS_BY_CODE, PrefectureData
from renkei.kpis.models import KpiDirection
from renkei.organizations.models import OrganizationKind
from renkei.projects.models import ProjectCategory

KpiDefinition = tuple[str, str, KpiDirection, float]  # name, unit, direction, typical baseline
UP, DOWN = KpiDirection.INCREASE, KpiDirection.DECREASE

# -- vocabulary: what the names are made of ---------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


SURNAMES = words(
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上"
)
GIVEN_NAMES = words("翔太 陽子 健一 美咲 大輔 恵 直樹 由美 拓也 真理子 浩二 彩 誠 千尋 亮 奈々")
PLACE_STEMS = words(
    "東川 西山 南原 北野 中島 大浜 小松 高岡 上田 新津 本庄 若松 松原 桜井 朝日 青葉"
)
INDUSTRIES = words(
    "精密 電子 半導体 化学 食品 酒造 水産 観光 建設 エネルギー ソフトウェア 製作所 工業"
)
OFFICES = words("経済産業局 地方整備局 運輸局 農政局 地方環境事務所")
# {pref} 福岡県, {short} 福岡, {place} 福岡 or a town's name, {bloc} 九州 (or {short}).
NAME_TEMPLATES: dict[OrganizationKind, tuple[str, ...]] = {
    OrganizationKind.PREFECTURE: ("{pref}",),
    OrganizationKind.MUNICIPALITY: ("{place}市", "{place}町", "{place}村"),
    OrganizationKind.COMPANY: ("株式会社{place}{industry}", "{place}{industry}株式会社"),
    OrganizationKind.UNIVERSITY: ("{short}大学", "{place}工業大学", "{pref}立大学"),
    OrganizationKind.RESEARCH_INSTITUTE: ("{pref}工業技術センター", "{pref}農林総合研究センター"),
    OrganizationKind.FINANCIAL_INSTITUTION: ("{place}銀行", "{place}信用金庫", "{place}信用組合"),
    OrganizationKind.ECONOMIC_ORGANIZATION: ("{place}商工会議所", "{short}経済同友会"),
    OrganizationKind.NATIONAL_AGENCY: ("{bloc}{office}",),
    OrganizationKind.LABOR_ORGANIZATION: ("連合{short}", "{short}労働組合協議会"),
    OrganizationKind.MEDIA: ("{place}新聞社", "{place}放送", "{place}テレビ"),
    OrganizationKind.PROFESSIONAL_FIRM: ("{surname}法律事務所", "税理士法人{place}"),
    OrganizationKind.NPO: ("NPO法人{place}まちづくりネット", "特定非営利活動法人{place}地域づくり"),
    OrganizationKind.OTHER: ("{place}観光コンベンション協会", "一般社団法人{place}DMO"),
}
CATEGORY_THEMES: dict[ProjectCategory, list[str]] = {
    ProjectCategory.SEMICONDUCTOR: words(
        "半導体サプライチェーン強化 パワー半導体人材育成"
        " 半導体部材の共同調達 次世代半導体実装技術開発 半導体工場周辺インフラ整備"
    ),
    ProjectCategory.JOINT_RND: words(
        "産学官共同研究拠点形成 水素利活用技術の共同開発"
        " 医工連携による医療機器開発 スマート農業技術実証 新素材共同研究"
    ),
    ProjectCategory.CIRCUIT_TOURISM: words(
        "広域周遊観光ルート造成 インバウンド周遊促進"
        " サイクルツーリズム推進 温泉地連携観光 歴史街道周遊"
    ),
    ProjectCategory.GX_ENERGY: words(
        "洋上風力サプライチェーン構築 地域水素サプライチェーン"
        " 脱炭素先行地域連携 地熱資源活用 バイオマス発電連携"
    ),
    ProjectCategory.DX: words(
        "行政手続きオンライン化 中小企業DX伴走支援 データ連携基盤構築"
        " 広域MaaS実証 自治体システム標準化"
    ),
    ProjectCategory.FOOD_EXPORT: words(
        "農林水産物輸出拡大 日本酒海外販路開拓 水産物の高付加価値化"
        " 和牛ブランド輸出 食品加工クラスター形成"
    ),
    ProjectCategory.INFRASTRUCTURE: words(
        "広域道路ネットワーク整備 インフラ共同点検 流域治水の広域連携 港湾機能強化 上下水道の広域化"
    ),
    ProjectCategory.TALENT_DEVELOPMENT: words(
        "プロフェッショナル人材還流 副業・兼業人材活用促進"
        " 高専・大学連携人材育成 UIJターン就職支援 リスキリング推進"
    ),
}
# name unit typical-baseline; a negative baseline marks a KPI where less is better (DECREASE).
CATEGORY_KPIS_SPEC = {
    ProjectCategory.SEMICONDUCTOR: "関連企業の新規立地件数 件 12, 半導体関連雇用者数 人 3000,"
    " 域内調達率 % 35",
    ProjectCategory.JOINT_RND: "共同研究件数 件 40, 特許出願件数 件 15, 外部資金獲得額 百万円 250",
    ProjectCategory.CIRCUIT_TOURISM: "延べ宿泊者数 万人泊 320, 外国人観光客数 万人 45,"
    " 観光消費額 億円 900",
    ProjectCategory.GX_ENERGY: "CO2排出量 万t-CO2 -850, 再生可能エネルギー導入量 MW 600,"
    " 水素供給量 t 1200",
    ProjectCategory.DX: "DX導入企業数 社 400, オンライン申請率 % 45, データ連携件数 件 80",
    ProjectCategory.FOOD_EXPORT: "農林水産物輸出額 億円 150, 海外商談成約件数 件 60,"
    " 輸出事業者数 者 90",
    ProjectCategory.INFRASTRUCTURE: "点検完了施設数 施設 500, 修繕着手率 % 40,"
    " 要対策施設数 施設 -300",
    ProjectCategory.TALENT_DEVELOPMENT: "副業・兼業人材マッチング件数 件 150,"
    " UIJターン就職者数 人 800, リスキリング受講者数 人 2000",
}
REGION_KPIS_SPEC = (
    "域内総生産 兆円 40, 広域連携事業数 件 30, 関係人口 万人 60, 移住者数 人 5000,"
    " 域内雇用者数 万人 300"
)


def kpi_definitions(spec: str) -> list[KpiDefinition]:
    definitions = []
    for item in spec.split(","):
        name, unit, baseline = item.split()
        value = float(baseline)
        definitions.append((name, unit, UP if value > 0 else DOWN, abs(value)))
    return definitions


CATEGORY_KPIS = {category: kpi_definitions(spec) for category, spec in CATEGORY_KPIS_SPEC.items()}
REGION_KPIS = kpi_definitions(REGION_KPIS_SPEC)
# A roadmap's steps, in the order they happen; a project takes 10 of them, in this order.
MILESTONE_PHASES = words(
    "推進協議会の設立 現状調査の実施 基本計画の策定 参加事業者の公募 予算要求 実施設計"
    " 実証実験の開始 中間評価 設備導入 人材育成プログラム開始 試験運用 利用者アンケート"
    " 本格運用開始 成果報告会 KPIの見直し 次期計画の策定"
)
RISK_REASONS = words(
    "予算措置の遅れ 参加事業者間の調整の難航 資材調達の遅延 先行マイルストーンの遅延"
)


def organization_name(
    rng: random.Random, kind: OrganizationKind, prefecture: PrefectureData, place: str
) -> str:
    bloc = PLANNING_BLOCS_BY_CODE.get(prefecture.planning_bloc or "")
    return rng.choice(NAME_TEMPLATES[kind]).format(
        pref=prefecture.name,
        short=short_name(prefecture),
        place=place,
        bloc=bloc_label(bloc.name) if bloc else short_name(prefecture),
        industry=rng.choice(INDUSTRIES),
        office=rng.choice(OFFICES),
        surname=rng.choice(SURNAMES),
    )


def short_name(prefecture: PrefectureData) -> str:
    """福岡県 -> 福岡, 東京都 -> 東京, 北海道 stays."""
    name = prefecture.name
    return name if name == "北海道" else name[:-1]


def bloc_label(name: str) -> str:
    """九州圏 -> 九州, but 首都圏 stays."""
    return name if name == "首都圏" else name.removesuffix("圏")
