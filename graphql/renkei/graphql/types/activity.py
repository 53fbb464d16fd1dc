"""Activity: the append-only record of changes, listed per object."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from renkei.activity.models import ACTIONS, SUBJECTS, SUMMARY, summary
from renkei.activity.models import Activity as ActivityRow
from renkei.activity.models import SubjectType as SubjectTypeValue
from renkei.graphql.compiled.spec import (
    Key,
    One,
    Page,
    Scalar,
    column,
    computed,
    message,
    sql,
    table,
)
from renkei.graphql.context import Info
from renkei.graphql.enums import described_enum
from renkei.graphql.nodes import register_node
from renkei.graphql.relay import Connection, Node, PageArgs, to_connection, to_global_id
from renkei.identity.scopes import PROJECTS_READ

if TYPE_CHECKING:
    from renkei.graphql.types.organizations import Organization, User

SubjectType = described_enum(
    SubjectTypeValue,
    name="ActivitySubjectType",
    description="What an activity entry (活動履歴) is about.",
    values={
        "REGION": "A region (広域リージョン): its declaration, vision or settings.",
        "REGION_MEMBER": "An organization's membership of a region: invited, joined, left.",
        "PROJECT": "A project: created, changed, its status moved.",
        "PARTICIPANT": "An organization taking part in a project.",
        "FUNDING_SOURCE": "A project's funding source (交付金, 補助金, ...).",
        "MILESTONE": "A milestone (マイルストーン): progress, status, sign-off, dependencies.",
        "BASELINE": "A frozen copy of a project's milestones (a baseline).",
        "KPI": "A KPI (重要業績評価指標): its definition or targets.",
        "KPI_OBSERVATION": "A KPI's observed value for a period.",
        "MATCH": "A match (マッチング) between a talent need and a professional.",
        "GRANT_APPLICATION": "A project's grant application (交付金の申請) and its steps.",
    },
)


def _label_sql(column: str, labels: dict[str, str]) -> str:
    """The reader's label of a code, as SQL: the code itself when it has none."""
    cases = " ".join(f"WHEN '{code}' THEN {message(label)}" for code, label in labels.items())
    return f"CASE {column} {cases} ELSE {column} END"


SUMMARY_SQL = Scalar(
    f"replace(replace({message(SUMMARY)}, '{{{{subject}}}}',"
    f" {_label_sql('{t}.subject_type::text', {str(k): v for k, v in SUBJECTS.items()})}),"
    f" '{{{{action}}}}', {_label_sql('{t}.action', ACTIONS)})"
)

# The activity of one object, oldest first: a subject's `activity` field declares
# `metadata=sql(ACTIVITY_OF_SUBJECT)` beside its resolver (activity_of below).
ORDER = (Key("created_at", "timestamptz"), Key("id", "uuid"))
ACTIVITY_OF_SUBJECT = Page("Activity", ORDER, join="{c}.subject_id = {t}.id")


@table(ActivityRow)
@strawberry.type(description="One change: who made it, for which organization, before and after.")
class Activity(Node):
    row: strawberry.Private[ActivityRow]
    subject_type: SubjectType = column(  # type: ignore[valid-type]
        ActivityRow.subject_type,
        description="What kind of object changed.",
    )
    action: str = column(
        ActivityRow.action,
        description="What happened, as a stable key: created, updated, invited, joined,"
        " vision_adopted, ...",
    )
    before: JSON | None = column(
        ActivityRow.before, description="The changed fields before, if any."
    )
    after: JSON | None = column(ActivityRow.after, description="The changed fields after, if any.")
    created_at: datetime = column(
        ActivityRow.created_at,
        description="When it happened.",
    )
    summary: str = computed(
        SUMMARY_SQL,
        lambda row: summary(row.subject_type, row.action),
        description="What happened, in the reader's language: 「マイルストーン: 更新」.",
    )

    @classmethod
    def from_row(cls, row: ActivityRow) -> Activity:
        return cls(id=to_global_id("Activity", row.id), row=row)

    @strawberry.field(
        description="Who made the change; null for the platform's own jobs.",
        metadata=sql(One("User", "{c}.id = {t}.actor_user_id")),
    )
    async def actor(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("renkei.graphql.types.organizations")] | None:
        from renkei.graphql.types.organizations import User

        if self.row.actor_user_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.actor_user_id)
        return User.from_row(row) if row else None

    @strawberry.field(
        description="The organization the actor was acting for.",
        metadata=sql(One("Organization", "{c}.id = {t}.actor_organization_id")),
    )
    async def acting_organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy("renkei.graphql.types.organizations")] | None:
        from renkei.graphql.types.organizations import Organization

        if self.row.actor_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.row.actor_organization_id)
        return Organization.from_row(row) if row else None


async def activity_of(info: Info, subject_id: uuid.UUID, args: PageArgs) -> Connection[Activity]:
    """The activity of one object, oldest first (`last: 20` for the newest)."""
    page = await info.context.loaders.activity_of_subject.load((subject_id, args))
    return to_connection(page, Activity.from_row)


register_node("Activity", ActivityRow, Activity.from_row, PROJECTS_READ)
