from collections import Counter

from renkei.geography.data import (
    PLANNING_BLOCS,
    PREFECTURES,
    PREFECTURES_BY_CODE,
    PlanningBlocData,
    PrefectureData,
)


def test_forty_seven_prefectures_in_jis_order() -> None:
    assert len(PREFECTURES) == 47
    assert [p.code for p in PREFECTURES] == [f"{i:02d}" for i in range(1, 48)]
    assert len(PREFECTURES_BY_CODE) == 47
    assert all(PREFECTURES_BY_CODE[p.code] is p for p in PREFECTURES)


def test_names_are_unique_and_suffixed() -> None:
    assert len({p.name for p in PREFECTURES}) == 47
    assert len({p.name_kana for p in PREFECTURES}) == 47
    assert len({p.name_romaji for p in PREFECTURES}) == 47
    for p in PREFECTURES:
        assert p.name[-1] in "都道府県"
        assert p.name_romaji.isascii() and p.name_romaji.isalpha()


def test_every_prefecture_in_a_bloc_except_hokkaido_and_okinawa() -> None:
    bloc_codes = {b.code for b in PLANNING_BLOCS}
    for p in PREFECTURES:
        if p.code in ("01", "47"):
            assert p.planning_bloc is None
        else:
            assert p.planning_bloc in bloc_codes


def test_bloc_membership_counts() -> None:
    counts = Counter(p.planning_bloc for p in PREFECTURES if p.planning_bloc)
    assert counts == {
        "TOHOKU": 7,
        "SHUTOKEN": 8,
        "HOKURIKU": 3,
        "CHUBU": 5,
        "KINKI": 6,
        "CHUGOKU": 5,
        "SHIKOKU": 4,
        "KYUSHU": 7,
    }


def test_planning_blocs() -> None:
    assert [(b.code, b.name) for b in PLANNING_BLOCS] == [
        ("TOHOKU", "東北圏"),
        ("SHUTOKEN", "首都圏"),
        ("HOKURIKU", "北陸圏"),
        ("CHUBU", "中部圏"),
        ("KINKI", "近畿圏"),
        ("CHUGOKU", "中国圏"),
        ("SHIKOKU", "四国圏"),
        ("KYUSHU", "九州圏"),
    ]
    assert isinstance(PLANNING_BLOCS[0], PlanningBlocData)


def test_spot_checks() -> None:
    assert PREFECTURES_BY_CODE["13"] == PrefectureData(
        "13", "東京都", "トウキョウト", "Tokyo", "SHUTOKEN"
    )
    assert PREFECTURES_BY_CODE["01"] == PrefectureData(
        "01", "北海道", "ホッカイドウ", "Hokkaido", None
    )
    assert PREFECTURES_BY_CODE["15"].name == "新潟県"
    assert PREFECTURES_BY_CODE["15"].planning_bloc == "TOHOKU"
    assert PREFECTURES_BY_CODE["35"].name == "山口県"
    assert PREFECTURES_BY_CODE["35"].planning_bloc == "CHUGOKU"
    assert PREFECTURES_BY_CODE["27"].name_kana == "オオサカフ"
    assert PREFECTURES_BY_CODE["26"].name == "京都府"
    assert PREFECTURES_BY_CODE["44"].name_romaji == "Oita"
    assert PREFECTURES_BY_CODE["19"].planning_bloc == "SHUTOKEN"
