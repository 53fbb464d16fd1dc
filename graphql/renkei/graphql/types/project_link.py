"""The project a row belongs to: one resolver for every type that names a project by id.

Each type declares its own field (description and compiled SQL), with this resolver behind it,
so the Python path of `TalentNeed.project`, `Kpi.project`, `Milestone.project` and
`Baseline.project` is written once: the request's project loader, null where there is no
project or row-level security hides it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Protocol

import strawberry

from renkei.graphql.context import Info

if TYPE_CHECKING:
    from renkei.graphql.types.projects import Project

ProjectRef = Annotated["Project", strawberry.lazy("renkei.graphql.types.projects")]


class _ProjectRow(Protocol):
    @property
    def project_id(self) -> uuid.UUID | None: ...


class _Wrapper(Protocol):
    @property
    def row(self) -> _ProjectRow: ...


async def project_of(root: _Wrapper, info: Info) -> ProjectRef | None:
    """The row's project, if it has one that the viewer sees."""
    from renkei.graphql.types.projects import Project

    project_id = root.row.project_id
    if project_id is None:
        return None
    row = await info.context.loaders.project.load(project_id)
    return Project.from_row(row) if row else None
