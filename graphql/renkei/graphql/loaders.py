"""The request's loaders, declared in one place: one DataLoader per relationship, keys in and
results in the same order, one statement per batch.

`Loaders` is built once per request on its context (phoenix's `DataLoaders`) and dropped with it.
A resolver reads `info.context.loaders.<relationship>`; a loader not declared here does not
exist, and nothing outside the request (no module-level cache) ever holds one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from renkei.activity import repository as activity
from renkei.activity.models import Activity
from renkei.evaluations import models as evaluations
from renkei.grants import models as grants
from renkei.grants import repository as grant_repository
from renkei.graphql.relay import Page, PageArgs, empty_page, fetch_pages
from renkei.identity import repository as identity
from renkei.identity.models import User
from renkei.intermediaries import models as intermediaries
from renkei.kpis import models as kpis
from renkei.kpis import repository as kpi_repository
from renkei.milestones import models as milestones
from renkei.milestones import repository as milestone_repository
from renkei.notifications.models import Notification
from renkei.organizations import repository as organizations
from renkei.organizations.models import Invitation, InvitationStatus, Membership, Organization
from renkei.projects import models as projects
from renkei.projects import repository as project_repository
from renkei.regions import models as regions
from renkei.regions import repository as region_repository
from renkei.talent import models as talent
from renkei.talent import repository as talent_repository

T = TypeVar("T")
V = TypeVar("V")
F = TypeVar("F", bound=Hashable)

# A parent's page of children: (parent id, page arguments).
PageKey = tuple[uuid.UUID, PageArgs]
# The same with the filter the children are read through, e.g. the statuses asked for.
FilteredPageKey = tuple[uuid.UUID, PageArgs, F]


class RowLoader(DataLoader[uuid.UUID, T | None], Generic[T]):
    """Rows of one mapped class by id; None where row-level security hides one."""

    def __init__(
        self,
        session: AsyncSession,
        lock: asyncio.Lock,
        model: type[T],
        fetch: Callable[[AsyncSession, list[uuid.UUID]], Awaitable[Sequence[T]]] | None = None,
    ) -> None:
        self.model = model

        async def by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> Sequence[T]:
            column = cast(Any, model).id
            return (await session.scalars(select(model).where(column.in_(ids)))).all()

        read = fetch or by_ids

        async def load(ids: list[uuid.UUID]) -> list[T | None]:
            async with lock:
                rows = {cast(Any, row).id: row for row in await read(session, ids)}
            return [rows.get(i) for i in ids]

        super().__init__(load_fn=load)


async def _pages_of(
    session: AsyncSession,
    lock: asyncio.Lock,
    keys: Sequence[tuple[uuid.UUID, PageArgs, Any]],
    stmt: Callable[[Any], Select[Any]],
    parent: InstrumentedAttribute[Any],
    order_by: Sequence[InstrumentedAttribute[Any]],
) -> list[Page[Any]]:
    """One statement per (page arguments, filter); parents asking for the same page share it."""
    by_query: dict[tuple[PageArgs, Any], list[uuid.UUID]] = defaultdict(list)
    for parent_id, args, filtered in keys:
        by_query[(args, filtered)].append(parent_id)
    found: dict[tuple[uuid.UUID, PageArgs, Any], Page[Any]] = {}
    async with lock:
        for (args, filtered), parent_ids in by_query.items():
            pages = await fetch_pages(
                session,
                stmt(filtered).where(parent.in_(parent_ids)),
                order_by=order_by,
                args=args,
                partition_by=parent,
            )
            for part, page in pages.items():
                found[(cast(uuid.UUID, part), args, filtered)] = page
    return [found.get(key) or empty_page(key[1]) for key in keys]


def _pages(
    session: AsyncSession,
    lock: asyncio.Lock,
    stmt: Callable[[], Select[Any]],
    *,
    parent: InstrumentedAttribute[Any],
    order_by: Sequence[InstrumentedAttribute[Any]],
) -> DataLoader[PageKey, Page[Any]]:
    """Pages of children per parent."""

    async def load(keys: list[PageKey]) -> list[Page[Any]]:
        keyed = [(parent_id, args, None) for parent_id, args in keys]
        return await _pages_of(session, lock, keyed, lambda _: stmt(), parent, order_by)

    return DataLoader(load_fn=load)


def _filtered_pages(
    session: AsyncSession,
    lock: asyncio.Lock,
    stmt: Callable[[F], Select[Any]],
    *,
    parent: InstrumentedAttribute[Any],
    order_by: Sequence[InstrumentedAttribute[Any]],
) -> DataLoader[FilteredPageKey[F], Page[Any]]:
    """Pages of children per parent, read through a filter that is part of the key."""

    async def load(keys: list[FilteredPageKey[F]]) -> list[Page[Any]]:
        return await _pages_of(session, lock, keys, stmt, parent, order_by)

    return DataLoader(load_fn=load)


def _grouped(
    session: AsyncSession,
    lock: asyncio.Lock,
    fetch: Callable[[AsyncSession, list[uuid.UUID]], Awaitable[Mapping[uuid.UUID, V]]],
    missing: Callable[[], V],
) -> DataLoader[uuid.UUID, V]:
    """Something per id (a list, a latest row), `missing()` for an id with nothing."""

    async def load(ids: list[uuid.UUID]) -> list[V]:
        async with lock:
            found = await fetch(session, ids)
        return [found[i] if i in found else missing() for i in ids]

    return DataLoader(load_fn=load)


async def _latest_observations(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, kpis.KpiObservation]:
    return {o.kpi_id: o for o in await kpi_repository.latest_observations(session, ids)}


async def _targets(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[kpis.KpiTarget]]:
    found: dict[uuid.UUID, list[kpis.KpiTarget]] = defaultdict(list)
    for target in await kpi_repository.targets_of(session, ids):
        found[target.kpi_id].append(target)
    return found


async def _calendar_targets(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[kpis.KpiCalendarTarget]]:
    found: dict[uuid.UUID, list[kpis.KpiCalendarTarget]] = defaultdict(list)
    for target in await kpi_repository.calendar_targets_of(session, ids):
        found[target.kpi_id].append(target)
    return found


async def _predecessors(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[milestones.Milestone]]:
    return await milestone_repository.linked(session, ids, upstream=True)


async def _successors(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[milestones.Milestone]]:
    return await milestone_repository.linked(session, ids, upstream=False)


# What a region's projects are read through: (category, status, prefecture code, search
# bigrams as a tuple), each None for any.
ProjectFilter = tuple[
    projects.ProjectCategory | None,
    projects.ProjectStatus | None,
    str | None,
    tuple[str, ...] | None,
]
MilestoneStatuses = tuple[milestones.MilestoneStatus, ...]


@dataclass(frozen=True)
class Loaders:
    """Every loader of a request, by relationship. Built by `for_request`."""

    # Rows by id (None where row-level security hides one). Organizations are a public
    # directory, not under row-level security: an organization's id always finds it.
    organization: DataLoader[uuid.UUID, Organization]
    user: RowLoader[User]
    membership: RowLoader[Membership]
    invitation: RowLoader[Invitation]
    region: RowLoader[regions.Region]
    region_member: RowLoader[regions.RegionMember]
    project: RowLoader[projects.Project]
    project_participant: RowLoader[projects.ProjectParticipant]
    funding_source: RowLoader[projects.FundingSource]
    milestone: RowLoader[milestones.Milestone]
    baseline: RowLoader[milestones.Baseline]
    kpi: RowLoader[kpis.Kpi]
    kpi_observation: RowLoader[kpis.KpiObservation]
    activity: RowLoader[Activity]
    talent_need: RowLoader[talent.TalentNeed]
    professional: RowLoader[talent.Professional]
    match: RowLoader[talent.Match]
    match_cost: RowLoader[talent.MatchCost]
    intermediary: RowLoader[intermediaries.Intermediary]
    intermediary_authorization: RowLoader[intermediaries.IntermediaryAuthorization]
    notification: RowLoader[Notification]
    national_goal: RowLoader[kpis.NationalGoal]
    evaluation_round: RowLoader[evaluations.EvaluationRound]
    # Pages of children, per parent.
    organization_members: DataLoader[PageKey, Page[Membership]]
    user_memberships: DataLoader[PageKey, Page[Membership]]
    organization_invitations: DataLoader[PageKey, Page[Invitation]]
    region_signatories: DataLoader[PageKey, Page[regions.RegionMember]]
    region_represented: DataLoader[PageKey, Page[regions.RegionMember]]
    region_members: DataLoader[
        FilteredPageKey[regions.ParticipationStatus], Page[regions.RegionMember]
    ]
    region_projects: DataLoader[FilteredPageKey[ProjectFilter], Page[projects.Project]]
    region_kpis: DataLoader[PageKey, Page[kpis.Kpi]]
    region_activity: DataLoader[PageKey, Page[Activity]]
    project_participants: DataLoader[
        FilteredPageKey[regions.ParticipationStatus | None], Page[projects.ProjectParticipant]
    ]
    project_funding_sources: DataLoader[PageKey, Page[projects.FundingSource]]
    # The project itself, where it is one whose details the viewer may read.
    project_details: DataLoader[PageKey, Page[projects.Project]]
    project_milestones: DataLoader[FilteredPageKey[MilestoneStatuses], Page[milestones.Milestone]]
    project_kpis: DataLoader[PageKey, Page[kpis.Kpi]]
    kpi_observations: DataLoader[PageKey, Page[kpis.KpiObservation]]
    activity_of_subject: DataLoader[PageKey, Page[Activity]]
    need_matches: DataLoader[FilteredPageKey[talent.MatchStatus | None], Page[talent.Match]]
    # Everything of a parent at once.
    project_all_milestones: DataLoader[uuid.UUID, list[milestones.Milestone]]
    project_baselines: DataLoader[uuid.UUID, list[milestones.Baseline]]
    baseline_milestones: DataLoader[uuid.UUID, list[milestones.BaselineMilestone]]
    milestone_predecessors: DataLoader[uuid.UUID, list[milestones.Milestone]]
    milestone_successors: DataLoader[uuid.UUID, list[milestones.Milestone]]
    kpi_targets: DataLoader[uuid.UUID, list[kpis.KpiTarget]]
    kpi_calendar_targets: DataLoader[uuid.UUID, list[kpis.KpiCalendarTarget]]
    kpi_latest_observation: DataLoader[uuid.UUID, kpis.KpiObservation | None]
    # A project's grant applications (its participants'), and their schemes by id.
    project_grant_applications: DataLoader[uuid.UUID, list[grants.GrantApplication]]
    grant_scheme: RowLoader[grants.GrantScheme]

    @classmethod
    def for_request(cls, session: AsyncSession, lock: asyncio.Lock) -> Loaders:
        """The loaders of one request, reading through its session one statement at a time."""
        s, k = session, lock
        return cls(
            organization=cast(
                DataLoader[uuid.UUID, Organization],
                RowLoader(s, k, Organization, organizations.by_ids),
            ),
            user=RowLoader(s, k, User, identity.users_by_ids),
            membership=RowLoader(s, k, Membership, organizations.memberships_by_ids),
            invitation=RowLoader(s, k, Invitation, organizations.invitations_by_ids),
            region=RowLoader(s, k, regions.Region),
            region_member=RowLoader(s, k, regions.RegionMember),
            project=RowLoader(s, k, projects.Project),
            project_participant=RowLoader(s, k, projects.ProjectParticipant),
            funding_source=RowLoader(s, k, projects.FundingSource),
            milestone=RowLoader(s, k, milestones.Milestone),
            baseline=RowLoader(s, k, milestones.Baseline),
            kpi=RowLoader(s, k, kpis.Kpi),
            kpi_observation=RowLoader(s, k, kpis.KpiObservation),
            activity=RowLoader(s, k, Activity),
            talent_need=RowLoader(s, k, talent.TalentNeed),
            professional=RowLoader(s, k, talent.Professional),
            match=RowLoader(s, k, talent.Match),
            match_cost=RowLoader(s, k, talent.MatchCost),
            intermediary=RowLoader(s, k, intermediaries.Intermediary),
            intermediary_authorization=RowLoader(s, k, intermediaries.IntermediaryAuthorization),
            notification=RowLoader(s, k, Notification),
            national_goal=RowLoader(s, k, kpis.NationalGoal),
            evaluation_round=RowLoader(s, k, evaluations.EvaluationRound),
            organization_members=_pages(
                s,
                k,
                organizations.memberships,
                parent=Membership.organization_id,
                order_by=(Membership.created_at, Membership.id),
            ),
            user_memberships=_pages(
                s,
                k,
                organizations.memberships,
                parent=Membership.user_id,
                order_by=(Membership.created_at, Membership.id),
            ),
            organization_invitations=_pages(
                s,
                k,
                lambda: organizations.invitations(status=InvitationStatus.PENDING),
                parent=Invitation.organization_id,
                order_by=(Invitation.created_at, Invitation.id),
            ),
            region_signatories=_pages(
                s,
                k,
                region_repository.signatories,
                parent=regions.RegionMember.region_id,
                order_by=(regions.RegionMember.created_at, regions.RegionMember.id),
            ),
            region_represented=_pages(
                s,
                k,
                region_repository.represented,
                parent=regions.RegionMember.region_id,
                order_by=(regions.RegionMember.created_at, regions.RegionMember.id),
            ),
            region_members=_filtered_pages(
                s,
                k,
                lambda status: region_repository.members(status=status),
                parent=regions.RegionMember.region_id,
                order_by=(regions.RegionMember.created_at, regions.RegionMember.id),
            ),
            region_projects=_filtered_pages(
                s,
                k,
                lambda wanted: project_repository.projects(
                    category=wanted[0],
                    status=wanted[1],
                    prefecture_code=wanted[2],
                    search_terms=list(wanted[3]) if wanted[3] else None,
                ),
                parent=projects.Project.region_id,
                order_by=(projects.Project.name, projects.Project.id),
            ),
            region_kpis=_pages(
                s,
                k,
                kpi_repository.kpis,
                parent=kpis.Kpi.region_id,
                order_by=(kpis.Kpi.name, kpis.Kpi.id),
            ),
            region_activity=_pages(
                s,
                k,
                region_repository.activity,
                parent=Activity.region_id,
                order_by=(Activity.created_at, Activity.id),
            ),
            project_participants=_filtered_pages(
                s,
                k,
                lambda status: project_repository.participants(status=status),
                parent=projects.ProjectParticipant.project_id,
                order_by=(projects.ProjectParticipant.created_at, projects.ProjectParticipant.id),
            ),
            project_funding_sources=_pages(
                s,
                k,
                project_repository.funding_sources,
                parent=projects.FundingSource.project_id,
                order_by=(projects.FundingSource.created_at, projects.FundingSource.id),
            ),
            project_details=_pages(
                s,
                k,
                project_repository.projects_with_details,
                parent=projects.Project.id,
                order_by=(projects.Project.id,),
            ),
            project_milestones=_filtered_pages(
                s,
                k,
                lambda statuses: milestone_repository.of_projects(statuses=statuses),
                parent=milestones.Milestone.project_id,
                order_by=(milestones.Milestone.due_on, milestones.Milestone.id),
            ),
            project_kpis=_pages(
                s,
                k,
                kpi_repository.kpis,
                parent=kpis.Kpi.project_id,
                order_by=(kpis.Kpi.name, kpis.Kpi.id),
            ),
            kpi_observations=_pages(
                s,
                k,
                kpi_repository.observations,
                parent=kpis.KpiObservation.kpi_id,
                order_by=(kpis.KpiObservation.period_end, kpis.KpiObservation.id),
            ),
            activity_of_subject=_pages(
                s,
                k,
                activity.of_subjects,
                parent=Activity.subject_id,
                order_by=(Activity.created_at, Activity.id),
            ),
            need_matches=_filtered_pages(
                s,
                k,
                lambda status: talent_repository.matches(status=status),
                parent=talent.Match.need_id,
                order_by=(talent.Match.created_at, talent.Match.id),
            ),
            project_all_milestones=_grouped(s, k, milestone_repository.all_of_projects, list),
            project_baselines=_grouped(s, k, milestone_repository.baselines_of_projects, list),
            baseline_milestones=_grouped(s, k, milestone_repository.frozen_milestones, list),
            milestone_predecessors=_grouped(s, k, _predecessors, list),
            milestone_successors=_grouped(s, k, _successors, list),
            kpi_targets=_grouped(s, k, _targets, list),
            kpi_calendar_targets=_grouped(s, k, _calendar_targets, list),
            kpi_latest_observation=_grouped(s, k, _latest_observations, lambda: None),
            project_grant_applications=_grouped(
                s, k, grant_repository.applications_of_projects, list
            ),
            grant_scheme=RowLoader(s, k, grants.GrantScheme),
        )

    def rows_of(self, model: type[T]) -> RowLoader[T]:
        """The declared loader of `model`'s rows by id (for `node(id:)`)."""
        for declared in fields(self):
            loader = getattr(self, declared.name)
            if isinstance(loader, RowLoader) and loader.model is model:
                return cast(RowLoader[T], loader)
        raise LookupError(f"no loader of {model.__name__} rows is declared in Loaders")
