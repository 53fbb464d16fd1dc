import pytest

from renkei.talent.skills import Skill, SkillCategory, SkillTaxonomy, default_taxonomy, fold


@pytest.fixture(scope="module")
def taxonomy() -> SkillTaxonomy:
    return default_taxonomy()


def slugs(taxonomy: SkillTaxonomy, text: str) -> list[str]:
    return [s.slug for s in taxonomy.resolve(text)]


def test_half_width_katakana_and_full_width_latin_are_found(taxonomy):
    assert slugs(taxonomy, "ﾌｧｲﾅﾝｽとＤＸ推進の経験") == ["finance", "dx"]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("財務戦略の立案", "finance"),
        ("Corporate Finance", "finance"),
        ("ふぁいなんすの相談", "finance"),
        ("digital transformation lead", "dx"),
        ("ＤＸ 推進", "dx"),
        ("EXPORT SALES in ASEAN", "export-sales"),
        ("ﾃﾞｰﾀ分析", "data-analysis"),
        ("data-analysis with SQL", "data-analysis"),
        ("広報・PR", "pr"),
        ("広報ＰＲ担当", "pr"),
        ("Ｍ＆Ａの実務", "m-and-a"),
        ("ｲﾝﾊﾞｳﾝﾄﾞ誘致", "inbound"),
        ("人事労務", "hr"),
    ],
)
def test_japanese_english_and_width_variants_resolve_to_one_skill(taxonomy, text, slug):
    assert slug in slugs(taxonomy, text)


def test_the_longest_name_wins_where_names_overlap(taxonomy):
    assert slugs(taxonomy, "海外販路開拓") == ["export-sales"]
    assert slugs(taxonomy, "販路開拓") == ["market-development"]


def test_latin_abbreviations_match_whole_words_only(taxonomy):
    assert slugs(taxonomy, "Chrome extension developer") == []
    assert slugs(taxonomy, "HR and M&A") == ["hr", "m-and-a"]
    # MA (marketing automation) is not M&A
    assert slugs(taxonomy, "MAツールの運用") == ["marketing-automation"]


def test_skills_come_once_in_order_of_first_mention(taxonomy):
    text = "品質管理と生産管理、それから品質管理の仕組みづくり"
    assert slugs(taxonomy, text) == ["quality-control", "production-management"]


def test_lookup_takes_a_whole_name(taxonomy):
    assert taxonomy.lookup("ＦＩＮＡＮＣＥ").slug == "finance"
    assert taxonomy.lookup("ふぁいなんす").slug == "finance"
    assert taxonomy.lookup("財務の経験") is None


def test_the_seeded_taxonomy_names_each_skill_in_both_languages(taxonomy):
    assert 150 <= len(taxonomy) <= 260
    for skill in taxonomy:
        assert skill.name_ja and skill.name_en
        assert skill.category in taxonomy.categories
        # every name finds its own skill
        assert all(taxonomy.lookup(name) is skill for name in skill.names)


def test_a_name_shared_by_two_skills_after_normalization_is_refused():
    categories = [SkillCategory("finance", "財務・会計", "Finance")]
    skills = [
        Skill("finance", "財務", "Finance", "finance", ("ファイナンス",)),
        Skill("corporate-finance", "企業財務", "Corporate finance", "finance", ("ﾌｧｲﾅﾝｽ",)),
    ]
    with pytest.raises(ValueError, match="names both 'finance' and 'corporate-finance'"):
        SkillTaxonomy(categories, skills)


def test_folding_normalizes_width_case_kana_and_punctuation():
    assert fold("ＡＢＣ　ﾃﾞｰﾀ・分析") == "abc データ 分析"
    assert fold("ふぁいなんす") == fold("ファイナンス")
