"""Prefectures and planning blocs: reference data served from memory, no query needed."""

from __future__ import annotations

import strawberry

from renkei.geography.data import (
    PLANNING_BLOCS,
    PLANNING_BLOCS_BY_CODE,
    PREFECTURES,
    PREFECTURES_BY_CODE,
    PlanningBlocData,
    PrefectureData,
)
from renkei.graphql.compiled import (
    WORD,
    JsonText,
    One,
    Scalar,
    global_id_sql,
    register_table,
)
from renkei.graphql.relay import Node, to_global_id


@strawberry.type(
    description="広域地方計画: a national planning bloc. Declared regions need not follow them."
)
class PlanningBloc:
    code: str
    name: str
    name_romaji: str

    @strawberry.field(description="The prefectures of this bloc, in JIS X 0401 order.")
    def prefectures(self) -> list[Prefecture]:
        return [Prefecture.from_data(p) for p in PREFECTURES if p.planning_bloc == self.code]

    @classmethod
    def from_data(cls, data: PlanningBlocData) -> PlanningBloc:
        return cls(code=data.code, name=data.name, name_romaji=data.name_romaji)


@strawberry.type(description="都道府県: one of the 47 prefectures, by its JIS X 0401 code.")
class Prefecture(Node):
    code: str = strawberry.field(description="JIS X 0401 code, from 01 (北海道) to 47 (沖縄県).")
    name: str
    name_kana: str
    name_romaji: str
    planning_bloc_code: strawberry.Private[str | None]

    @strawberry.field(description="Null for 北海道 and 沖縄県, which have plans of their own.")
    def planning_bloc(self) -> PlanningBloc | None:
        code = self.planning_bloc_code
        return PlanningBloc.from_data(PLANNING_BLOCS_BY_CODE[code]) if code else None

    @classmethod
    def from_data(cls, data: PrefectureData) -> Prefecture:
        return cls(
            id=to_global_id("Prefecture", data.code),
            code=data.code,
            name=data.name,
            name_kana=data.name_kana,
            name_romaji=data.name_romaji,
            planning_bloc_code=data.planning_bloc,
        )

    @classmethod
    def by_code(cls, code: str) -> Prefecture | None:
        data = PREFECTURES_BY_CODE.get(code)
        return cls.from_data(data) if data else None


def all_prefectures(planning_bloc: str | None = None) -> list[Prefecture]:
    return [
        Prefecture.from_data(p)
        for p in PREFECTURES
        if planning_bloc is None or p.planning_bloc == planning_bloc
    ]


def all_planning_blocs() -> list[PlanningBloc]:
    return [PlanningBloc.from_data(b) for b in PLANNING_BLOCS]


register_table(
    "PlanningBloc",
    "planning_blocs",
    {
        "code": Scalar("{t}.code", WORD),
        "name": Scalar("{t}.name"),
        "name_romaji": Scalar("{t}.name_romaji"),
    },
)
register_table(
    "Prefecture",
    "prefectures",
    {
        "id": JsonText(global_id_sql("Prefecture", "{t}.code")),
        "code": Scalar("{t}.code", WORD),
        "name": Scalar("{t}.name"),
        "name_kana": Scalar("{t}.name_kana"),
        "name_romaji": Scalar("{t}.name_romaji"),
        "planning_bloc": One("PlanningBloc", "{c}.code = {t}.planning_bloc_code"),
    },
)
