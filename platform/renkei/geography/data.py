"""Japan's reference geography: the 47 prefectures and the 広域地方計画 planning blocs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlanningBlocData:
    """A national 広域地方計画 planning bloc (国土形成計画法)."""

    code: str
    name: str
    name_romaji: str


@dataclass(frozen=True, slots=True)
class PrefectureData:
    """A prefecture with its JIS X 0401 code and its planning bloc, if any."""

    code: str
    name: str
    name_kana: str
    name_romaji: str
    planning_bloc: str | None


PLANNING_BLOCS: tuple[PlanningBlocData, ...] = (
    PlanningBlocData("TOHOKU", "東北圏", "Tohoku"),
    PlanningBlocData("SHUTOKEN", "首都圏", "Shutoken"),
    PlanningBlocData("HOKURIKU", "北陸圏", "Hokuriku"),
    PlanningBlocData("CHUBU", "中部圏", "Chubu"),
    PlanningBlocData("KINKI", "近畿圏", "Kinki"),
    PlanningBlocData("CHUGOKU", "中国圏", "Chugoku"),
    PlanningBlocData("SHIKOKU", "四国圏", "Shikoku"),
    PlanningBlocData("KYUSHU", "九州圏", "Kyushu"),
)

PLANNING_BLOCS_BY_CODE: dict[str, PlanningBlocData] = {b.code: b for b in PLANNING_BLOCS}

# 北海道 and 沖縄県 have plans of their own (北海道総合開発計画, 沖縄振興計画): no bloc.
PREFECTURES: tuple[PrefectureData, ...] = (
    PrefectureData("01", "北海道", "ホッカイドウ", "Hokkaido", None),
    PrefectureData("02", "青森県", "アオモリケン", "Aomori", "TOHOKU"),
    PrefectureData("03", "岩手県", "イワテケン", "Iwate", "TOHOKU"),
    PrefectureData("04", "宮城県", "ミヤギケン", "Miyagi", "TOHOKU"),
    PrefectureData("05", "秋田県", "アキタケン", "Akita", "TOHOKU"),
    PrefectureData("06", "山形県", "ヤマガタケン", "Yamagata", "TOHOKU"),
    PrefectureData("07", "福島県", "フクシマケン", "Fukushima", "TOHOKU"),
    PrefectureData("08", "茨城県", "イバラキケン", "Ibaraki", "SHUTOKEN"),
    PrefectureData("09", "栃木県", "トチギケン", "Tochigi", "SHUTOKEN"),
    PrefectureData("10", "群馬県", "グンマケン", "Gunma", "SHUTOKEN"),
    PrefectureData("11", "埼玉県", "サイタマケン", "Saitama", "SHUTOKEN"),
    PrefectureData("12", "千葉県", "チバケン", "Chiba", "SHUTOKEN"),
    PrefectureData("13", "東京都", "トウキョウト", "Tokyo", "SHUTOKEN"),
    PrefectureData("14", "神奈川県", "カナガワケン", "Kanagawa", "SHUTOKEN"),
    PrefectureData("15", "新潟県", "ニイガタケン", "Niigata", "TOHOKU"),
    PrefectureData("16", "富山県", "トヤマケン", "Toyama", "HOKURIKU"),
    PrefectureData("17", "石川県", "イシカワケン", "Ishikawa", "HOKURIKU"),
    PrefectureData("18", "福井県", "フクイケン", "Fukui", "HOKURIKU"),
    PrefectureData("19", "山梨県", "ヤマナシケン", "Yamanashi", "SHUTOKEN"),
    PrefectureData("20", "長野県", "ナガノケン", "Nagano", "CHUBU"),
    PrefectureData("21", "岐阜県", "ギフケン", "Gifu", "CHUBU"),
    PrefectureData("22", "静岡県", "シズオカケン", "Shizuoka", "CHUBU"),
    PrefectureData("23", "愛知県", "アイチケン", "Aichi", "CHUBU"),
    PrefectureData("24", "三重県", "ミエケン", "Mie", "CHUBU"),
    PrefectureData("25", "滋賀県", "シガケン", "Shiga", "KINKI"),
    PrefectureData("26", "京都府", "キョウトフ", "Kyoto", "KINKI"),
    PrefectureData("27", "大阪府", "オオサカフ", "Osaka", "KINKI"),
    PrefectureData("28", "兵庫県", "ヒョウゴケン", "Hyogo", "KINKI"),
    PrefectureData("29", "奈良県", "ナラケン", "Nara", "KINKI"),
    PrefectureData("30", "和歌山県", "ワカヤマケン", "Wakayama", "KINKI"),
    PrefectureData("31", "鳥取県", "トットリケン", "Tottori", "CHUGOKU"),
    PrefectureData("32", "島根県", "シマネケン", "Shimane", "CHUGOKU"),
    PrefectureData("33", "岡山県", "オカヤマケン", "Okayama", "CHUGOKU"),
    PrefectureData("34", "広島県", "ヒロシマケン", "Hiroshima", "CHUGOKU"),
    PrefectureData("35", "山口県", "ヤマグチケン", "Yamaguchi", "CHUGOKU"),
    PrefectureData("36", "徳島県", "トクシマケン", "Tokushima", "SHIKOKU"),
    PrefectureData("37", "香川県", "カガワケン", "Kagawa", "SHIKOKU"),
    PrefectureData("38", "愛媛県", "エヒメケン", "Ehime", "SHIKOKU"),
    PrefectureData("39", "高知県", "コウチケン", "Kochi", "SHIKOKU"),
    PrefectureData("40", "福岡県", "フクオカケン", "Fukuoka", "KYUSHU"),
    PrefectureData("41", "佐賀県", "サガケン", "Saga", "KYUSHU"),
    PrefectureData("42", "長崎県", "ナガサキケン", "Nagasaki", "KYUSHU"),
    PrefectureData("43", "熊本県", "クマモトケン", "Kumamoto", "KYUSHU"),
    PrefectureData("44", "大分県", "オオイタケン", "Oita", "KYUSHU"),
    PrefectureData("45", "宮崎県", "ミヤザキケン", "Miyazaki", "KYUSHU"),
    PrefectureData("46", "鹿児島県", "カゴシマケン", "Kagoshima", "KYUSHU"),
    PrefectureData("47", "沖縄県", "オキナワケン", "Okinawa", None),
)

PREFECTURES_BY_CODE: dict[str, PrefectureData] = {p.code: p for p in PREFECTURES}
