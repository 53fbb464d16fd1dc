"""Prefectures and planning blocs: reference data served from memory, no query needed.

The types wrap the in-memory records (renkei.geography.data), whose names are the columns'.
"""

from __future__ import annotations

import strawberry

from renkei.geography import models
from renkei.geography.codes import normalize_prefecture_code
from renkei.geography.data import (
    PLANNING_BLOCS,
    PLANNING_BLOCS_BY_CODE,
    PREFECTURES,
    PREFECTURES_BY_CODE,
    PlanningBlocData,
    PrefectureData,
)
from renkei.graphql.compiled.json_sql import global_id_sql
from renkei.graphql.compiled.spec import JsonText, Many, One, column, sql, table
from renkei.graphql.relay import Node, to_global_id


@table(models.PlanningBloc)
@strawberry.type(
    description="広域地方計画: a national planning bloc. Declared regions need not follow them."
)
class PlanningBloc:
    row: strawberry.Private[PlanningBlocData]
    code: str = column(
        models.PlanningBloc.code,
        description="The bloc's code, e.g. KYUSHU or SHUTOKEN.",
    )
    name: str = column(
        models.PlanningBloc.name,
        description="Its name in Japanese, e.g. 九州圏.",
    )
    name_romaji: str = column(
        models.PlanningBloc.name_romaji,
        description="Its name in romaji, e.g. Kyushu.",
    )

    @strawberry.field(
        description="The prefectures of this bloc, in JIS X 0401 order.",
        metadata=sql(Many("Prefecture", "{c}.planning_bloc_code = {t}.code", "{c}.code")),
    )
    def prefectures(self) -> list[Prefecture]:
        return [Prefecture.from_data(p) for p in PREFECTURES if p.planning_bloc == self.row.code]

    @classmethod
    def from_data(cls, data: PlanningBlocData) -> PlanningBloc:
        return cls(row=data)


@table(models.Prefecture)
@strawberry.type(description="都道府県: one of the 47 prefectures, by its JIS X 0401 code.")
class Prefecture(Node):
    row: strawberry.Private[PrefectureData]
    id: strawberry.ID = strawberry.field(
        description="The prefecture's global id; node(id:) fetches it without a token.",
        metadata=sql(JsonText(global_id_sql("Prefecture", "{t}.code"))),
    )
    code: str = column(
        models.Prefecture.code, description="JIS X 0401 code, from 01 (北海道) to 47 (沖縄県)."
    )
    name: str = column(
        models.Prefecture.name,
        description="Its name in Japanese, e.g. 福岡県.",
    )
    name_kana: str = column(
        models.Prefecture.name_kana,
        description="Its reading in katakana, e.g. フクオカケン.",
    )
    name_romaji: str = column(
        models.Prefecture.name_romaji,
        description="Its name in romaji, e.g. Fukuoka.",
    )

    @strawberry.field(
        description="Null for 北海道 and 沖縄県, which have plans of their own.",
        metadata=sql(One("PlanningBloc", "{c}.code = {t}.planning_bloc_code")),
    )
    def planning_bloc(self) -> PlanningBloc | None:
        code = self.row.planning_bloc
        return PlanningBloc.from_data(PLANNING_BLOCS_BY_CODE[code]) if code else None

    @classmethod
    def from_data(cls, data: PrefectureData) -> Prefecture:
        return cls(id=to_global_id("Prefecture", data.code), row=data)

    @classmethod
    def by_code(cls, code: str) -> Prefecture | None:
        """The prefecture of a code as stored or as typed (４３, 4); None for no prefecture."""
        data = PREFECTURES_BY_CODE.get(code) or PREFECTURES_BY_CODE.get(
            normalize_prefecture_code(code)
        )
        return cls.from_data(data) if data else None


def all_prefectures(planning_bloc: str | None = None) -> list[Prefecture]:
    return [
        Prefecture.from_data(p)
        for p in PREFECTURES
        if planning_bloc is None or p.planning_bloc == planning_bloc
    ]


def all_planning_blocs() -> list[PlanningBloc]:
    return [PlanningBloc.from_data(b) for b in PLANNING_BLOCS]
