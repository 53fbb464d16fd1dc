"""効果検証 in the API: evaluation rounds, who took part by 産官学金労言, the KPIs reviewed with
their frozen attainment, findings and improvements; and the national goals of the 総合戦略.
Each field is also compiled into the one-statement read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import strawberry

from renkei.evaluations import models
from renkei.evaluations import repository as evaluations
from renkei.evaluations.participation import (
    CATEGORY_OF_KIND,
    REQUIRED,
    SectorCategory,
    category_of,
    participation,
)
from renkei.graphql.compiled.json_sql import global_id_sql
from renkei.graphql.compiled.spec import (
    WORD,
    Filter,
    JsonText,
    Many,
    Rows,
    Scalar,
    column,
    computed,
    decode_global_id,
    register_root,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.graphql.nodes import register_node
from renkei.graphql.permissions import requires
from renkei.graphql.relay import Node, decode_id, to_global_id
from renkei.graphql.types.kpis import KpiDirection
from renkei.identity.scopes import PROJECTS_READ

Sector = described_enum(
    SectorCategory,
    name="SectorCategory",
    description="Which of 産官学金労言 an organization stands for in a 効果検証 round; the record "
    "asks for all six to take part.",
    values={
        "INDUSTRY": "産: firms and economic organizations (経済団体).",
        "GOVERNMENT": "官: the state, prefectures, municipalities and 広域連合.",
        "ACADEMIA": "学: universities, research institutes and 地方独立行政法人.",
        "FINANCE": "金: banks and other financial institutions.",
        "LABOR": "労: trade unions.",
        "MEDIA": "言: newspapers, broadcasters and other media.",
        "OTHER": "Licensed professionals (士業), NPOs and others: welcome, not one of the six.",
    },
)
FindingKind = described_enum(
    models.FindingKind,
    name="EvaluationFindingKind",
    description="What a round's entry is: a finding, or an improvement decided on it.",
    values={
        "FINDING": "What the review found (所見).",
        "IMPROVEMENT": "A decided improvement (改善策) with an owner and a due date; it becomes a"
        " milestone of a project.",
    },
)

# The category of a kind, in SQL, from the one mapping (renkei.evaluations.participation).
_CASES = " ".join(f"WHEN '{kind.value}' THEN '{c.value}'" for kind, c in CATEGORY_OF_KIND.items())
CATEGORY_SQL = "(CASE {k} " + _CASES + " ELSE 'OTHER' END)"
_REQUIRED = ", ".join(f"'{c.value}'" for c in REQUIRED)
_ALL = ", ".join(f"'{c.value}'" for c in SectorCategory)


def _id_sql(type_name: str, column: str) -> JsonText:
    """The global id of a nullable reference, as JSON text."""
    key = "{t}." + column
    return JsonText(f"CASE WHEN {key} IS NULL THEN 'null' ELSE {global_id_sql(type_name, key)} END")


def _id(type_name: str, key: uuid.UUID | None) -> strawberry.ID | None:
    return None if key is None else to_global_id(type_name, key)


def _sectors(which: str) -> str:
    """The categories that took part (`which` = EXISTS) or are missing (NOT EXISTS), as JSON."""
    listed = _ALL if which == "EXISTS" else _REQUIRED
    taking_part = CATEGORY_SQL.format(k="p.kind")
    return (
        "(SELECT coalesce(json_agg(u.c ORDER BY u.o), '[]')::text"
        f" FROM unnest(ARRAY[{listed}]) WITH ORDINALITY u(c, o) WHERE {which} ("
        "SELECT 1 FROM evaluation_participants p WHERE p.round_id = {t}.id"
        f" AND {taking_part} = u.c))"
    )


@table(models.EvaluationParticipant)
@strawberry.type(
    description="An organization that took part in a round, with its name and kind on the day."
)
class EvaluationParticipant:
    row: strawberry.Private[models.EvaluationParticipant]
    organization_name: str = column(
        models.EvaluationParticipant.organization_name,
        description="The organization's name on the day.",
    )
    kind: str = column(
        models.EvaluationParticipant.kind,
        description="Its OrganizationKind on the day (e.g. COMPANY, WIDE_AREA_UNION).",
    )
    category: Sector = computed(  # type: ignore[valid-type]
        Scalar(CATEGORY_SQL.format(k="{t}.kind"), WORD),
        lambda row: category_of(row.kind),
        description="Which of 産官学金労言 it counts for (OTHER: none of the six).",
    )

    @strawberry.field(
        description="The organization's global id (null if it was since deleted).",
        metadata=sql(_id_sql("Organization", "organization_id")),
    )
    def organization_id(self) -> strawberry.ID | None:
        return _id("Organization", self.row.organization_id)

    @classmethod
    def from_row(cls, row: models.EvaluationParticipant) -> EvaluationParticipant:
        return cls(row=row)


@table(models.EvaluationKpiReview)
@strawberry.type(
    description="A KPI the round reviewed, with its attainment at the round's date; frozen "
    "(frozenAt) once the round is recorded: later observations do not change it."
)
class EvaluationKpiReview:
    row: strawberry.Private[models.EvaluationKpiReview]
    kpi_name: str = column(
        models.EvaluationKpiReview.kpi_name, description="The KPI's name on the day."
    )
    unit: str = column(
        models.EvaluationKpiReview.unit, description="The KPI's unit, e.g. 人, 億円, %."
    )
    direction: KpiDirection = column(  # type: ignore[valid-type]
        models.EvaluationKpiReview.direction, description="Whether more or less is better."
    )
    baseline: float = column(
        models.EvaluationKpiReview.baseline, description="The KPI's baseline (基準値)."
    )
    target: float | None = column(
        models.EvaluationKpiReview.target, description="The target chosen at the round's date."
    )
    target_period: str | None = column(
        models.EvaluationKpiReview.target_period,
        description="Which target: FY2026 (年度, ends 31 March 2027) or CY2030 (暦年, ends 31 "
        "December 2030); the one with the earliest deadline on or after the latest observation.",
    )
    latest: float | None = column(
        models.EvaluationKpiReview.latest,
        description="The value of the period that ended last on or before the round's date.",
    )
    latest_period_start: date | None = column(
        models.EvaluationKpiReview.latest_period_start,
        description="The start of the latest observation's period.",
    )
    latest_period_end: date | None = column(
        models.EvaluationKpiReview.latest_period_end,
        description="The end of the latest observation's period.",
    )
    percent: float | None = column(
        models.EvaluationKpiReview.percent,
        description="(latest − baseline) ÷ (target − baseline) × 100, rounded half up to one "
        "decimal; null when there is none (see reasonCode).",
    )
    achieved: bool = column(
        models.EvaluationKpiReview.achieved,
        description="Whether the latest value meets the target.",
    )
    reason_code: str | None = column(
        models.EvaluationKpiReview.reason_code,
        description="Why there is no percent: NO_OBSERVATION, NO_TARGET, TARGET_IS_BASELINE, "
        "WRONG_SIDE.",
    )
    relative_target_name: str | None = column(
        models.EvaluationKpiReview.relative_target_name,
        description="The reference of a relative target, e.g. 東京圏の水準.",
    )
    relative_target_value: float | None = column(
        models.EvaluationKpiReview.relative_target_value,
        description="The value the relative target set (reference × factor).",
    )
    relative_achieved: bool | None = column(
        models.EvaluationKpiReview.relative_achieved,
        description="Whether the latest value meets the relative target.",
    )
    national_goal: str | None = column(
        models.EvaluationKpiReview.national_goal,
        description="The national goal of the 総合戦略 the KPI contributes to, as named then.",
    )
    comment: str = column(
        models.EvaluationKpiReview.comment, description="What the round said of the KPI."
    )
    frozen_at: datetime | None = column(
        models.EvaluationKpiReview.frozen_at, description="When the round froze these figures."
    )

    @classmethod
    def from_row(cls, row: models.EvaluationKpiReview) -> EvaluationKpiReview:
        return cls(row=row)


@table(models.EvaluationFinding)
@strawberry.type(description="A finding (所見) or an improvement (改善策) of a round.")
class EvaluationFinding:
    row: strawberry.Private[models.EvaluationFinding]
    kind: FindingKind = column(  # type: ignore[valid-type]
        models.EvaluationFinding.kind, description="FINDING (所見) or IMPROVEMENT (改善策)."
    )
    body: str = column(models.EvaluationFinding.body, description="What was found or decided.")
    owner_name: str | None = column(
        models.EvaluationFinding.owner_name,
        description="The organization that owns an improvement, as named then.",
    )
    due_on: date | None = column(
        models.EvaluationFinding.due_on, description="When an improvement is due (期限)."
    )

    @strawberry.field(
        description="The milestone an improvement became (its global id).",
        metadata=sql(_id_sql("Milestone", "milestone_id")),
    )
    def milestone_id(self) -> strawberry.ID | None:
        return _id("Milestone", self.row.milestone_id)

    @classmethod
    def from_row(cls, row: models.EvaluationFinding) -> EvaluationFinding:
        return cls(row=row)


@table(models.EvaluationRound)
@strawberry.type(
    description="An evaluation round (効果検証) of a region or a project: who took part, the "
    "KPIs reviewed with their attainment at its date, findings and improvements. Members read "
    "it; once published, anyone reads its report at reportUrl."
)
class EvaluationRound(Node):
    row: strawberry.Private[models.EvaluationRound]
    title: str = column(
        models.EvaluationRound.title,
        description="The round's title, e.g. 令和8年度 第1回 効果検証会議.",
    )
    held_on: date = column(
        models.EvaluationRound.held_on, description="The round's date: attainment is read at it."
    )
    subject_name: str = column(
        models.EvaluationRound.subject_name,
        description="The region's or project's name when the round was opened.",
    )
    summary: str = column(models.EvaluationRound.summary, description="The round's summary (総括).")
    demo: bool = column(
        models.EvaluationRound.demo,
        description="Invented for the demonstration data, not a real round.",
    )
    recorded_at: datetime | None = column(
        models.EvaluationRound.recorded_at,
        description="When the round was recorded and its figures frozen; null for a draft.",
    )
    published_at: datetime | None = column(
        models.EvaluationRound.published_at,
        description="When its report was published; null while unpublished.",
    )
    region_id: strawberry.ID | None = computed(
        _id_sql("Region", "region_id"),
        lambda row: _id("Region", row.region_id),
        description="The region's global id, for a region's round.",
    )
    project_id: strawberry.ID | None = computed(
        _id_sql("Project", "project_id"),
        lambda row: _id("Project", row.project_id),
        description="The project's global id, for a project's round.",
    )
    report_url: str = computed(
        Scalar("'/reports/evaluations/' || {t}.id::text"),
        lambda row: f"/reports/evaluations/{row.id}",
        description="Where the published report is (HTML, with a print view); 404 until published.",
    )

    @classmethod
    def from_row(cls, row: models.EvaluationRound) -> EvaluationRound:
        return cls(id=to_global_id("EvaluationRound", row.id), row=row)

    @strawberry.field(
        description="The organizations that took part, in the order recorded.",
        metadata=sql(Many("EvaluationParticipant", "{c}.round_id = {t}.id", "{c}.position")),
    )
    async def participants(self, info: Info) -> list[EvaluationParticipant]:
        rows = await info.context.run(lambda s: evaluations.participants(s, [self.row.id]))
        return [EvaluationParticipant.from_row(r) for r in rows]

    @strawberry.field(
        description="The categories of 産官学金労言 (and OTHER) that took part.",
        metadata=sql(JsonText(_sectors("EXISTS"))),
    )
    async def sectors_present(self, info: Info) -> list[Sector]:  # type: ignore[valid-type]
        rows = await info.context.run(lambda s: evaluations.participants(s, [self.row.id]))
        return list(participation(r.kind for r in rows).present)

    @strawberry.field(
        description="The categories of 産官学金労言 none of whose organizations took part.",
        metadata=sql(JsonText(_sectors("NOT EXISTS"))),
    )
    async def sectors_missing(self, info: Info) -> list[Sector]:  # type: ignore[valid-type]
        rows = await info.context.run(lambda s: evaluations.participants(s, [self.row.id]))
        return list(participation(r.kind for r in rows).missing)

    @strawberry.field(
        description="The KPIs reviewed, in the order put on the agenda.",
        metadata=sql(Many("EvaluationKpiReview", "{c}.round_id = {t}.id", "{c}.position")),
    )
    async def kpi_reviews(self, info: Info) -> list[EvaluationKpiReview]:
        rows = await info.context.run(lambda s: evaluations.kpi_reviews(s, [self.row.id]))
        return [EvaluationKpiReview.from_row(r) for r in rows]

    @strawberry.field(
        description="Findings and improvements, in the order recorded.",
        metadata=sql(Many("EvaluationFinding", "{c}.round_id = {t}.id", "{c}.position")),
    )
    async def findings(self, info: Info) -> list[EvaluationFinding]:
        rows = await info.context.run(lambda s: evaluations.findings(s, [self.row.id]))
        return [EvaluationFinding.from_row(r) for r in rows]


@strawberry.type
class EvaluationQueries:
    @strawberry.field(
        description="A region's or a project's evaluation rounds (効果検証), the latest first.",
        extensions=requires(PROJECTS_READ),
    )
    async def evaluation_rounds(
        self,
        info: Info,
        region_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The region's global id.")
        ] = None,
        project_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The project's global id.")
        ] = None,
    ) -> list[EvaluationRound]:
        region = None if region_id is None else decode_id(region_id, "Region", field="regionId")
        project = (
            None if project_id is None else decode_id(project_id, "Project", field="projectId")
        )
        rows = await info.context.run(
            lambda s: evaluations.rounds(s, region_id=region, project_id=project)
        )
        return [EvaluationRound.from_row(r) for r in rows]


register_root(
    "evaluationRounds",
    Rows(
        "EvaluationRound",
        order="{c}.held_on DESC, {c}.id",
        filters={
            "region_id": Filter("{t}.region_id = {p}", decode_global_id("Region")),
            "project_id": Filter("{t}.project_id = {p}", decode_global_id("Project")),
        },
    ),
    scope=PROJECTS_READ,
)
register_node("EvaluationRound", models.EvaluationRound, EvaluationRound.from_row, PROJECTS_READ)
