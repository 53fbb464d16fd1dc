"""One DataLoader per relationship: keys in, results in the same order, one statement per batch."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from renkei.graphql.relay import Page, PageArgs, empty_page, fetch_pages
from renkei.identity import repository as identity
from renkei.identity.models import User
from renkei.organizations import repository as organizations
from renkei.organizations.models import Invitation, InvitationStatus, Membership


def _by_id(
    session: AsyncSession,
    lock: asyncio.Lock,
    fetch: Callable[[AsyncSession, list[uuid.UUID]], Awaitable[Sequence[Any]]],
) -> DataLoader[uuid.UUID, Any]:
    async def load(ids: list[uuid.UUID]) -> list[Any]:
        async with lock:
            rows = {row.id: row for row in await fetch(session, ids)}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


PageKey = tuple[uuid.UUID, PageArgs]


def _pages(
    session: AsyncSession,
    lock: asyncio.Lock,
    stmt: Callable[[], Select[Any]],
    *,
    parent: InstrumentedAttribute[Any],
    order_by: Sequence[InstrumentedAttribute[Any]],
) -> DataLoader[PageKey, Page[Any]]:
    """Pages of children per parent; parents asking for the same page share one statement."""

    async def load(keys: list[PageKey]) -> list[Page[Any]]:
        by_args: dict[PageArgs, list[uuid.UUID]] = defaultdict(list)
        for parent_id, args in keys:
            by_args[args].append(parent_id)
        found: dict[PageKey, Page[Any]] = {}
        async with lock:
            for args, parent_ids in by_args.items():
                pages = await fetch_pages(
                    session,
                    stmt().where(parent.in_(parent_ids)),
                    order_by=order_by,
                    args=args,
                    partition_by=parent,
                )
                for part, page in pages.items():
                    found[(cast(uuid.UUID, part), args)] = page
        return [found.get(key) or empty_page(key[1]) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    def __init__(self, session: AsyncSession, lock: asyncio.Lock) -> None:
        self._session = session
        self._lock = lock
        self._rows: dict[type[Any], DataLoader[uuid.UUID, Any]] = {}
        self._children: dict[str, DataLoader[PageKey, Page[Any]]] = {}
        self.organization = _by_id(session, lock, organizations.by_ids)
        self.user: DataLoader[uuid.UUID, User | None] = _by_id(session, lock, identity.users_by_ids)
        self.membership = _by_id(session, lock, organizations.memberships_by_ids)
        self.invitation = _by_id(session, lock, organizations.invitations_by_ids)
        self.organization_members = _pages(
            session,
            lock,
            organizations.memberships,
            parent=Membership.organization_id,
            order_by=(Membership.created_at, Membership.id),
        )
        self.user_memberships = _pages(
            session,
            lock,
            organizations.memberships,
            parent=Membership.user_id,
            order_by=(Membership.created_at, Membership.id),
        )
        self.organization_invitations = _pages(
            session,
            lock,
            lambda: organizations.invitations(status=InvitationStatus.PENDING),
            parent=Invitation.organization_id,
            order_by=(Invitation.created_at, Invitation.id),
        )

    def rows(self, model: type[Any]) -> DataLoader[uuid.UUID, Any]:
        """Rows of a mapped class by id (None where row-level security hides one)."""
        loader = self._rows.get(model)
        if loader is None:

            async def fetch(session: AsyncSession, ids: list[uuid.UUID]) -> Sequence[Any]:
                return (await session.scalars(select(model).where(model.id.in_(ids)))).all()

            loader = self._rows[model] = _by_id(self._session, self._lock, fetch)
        return loader

    def children(
        self,
        name: str,
        stmt: Callable[[], Select[Any]],
        *,
        parent: InstrumentedAttribute[Any],
        order_by: Sequence[InstrumentedAttribute[Any]],
    ) -> DataLoader[PageKey, Page[Any]]:
        """Pages of children per parent, one loader per relationship `name` in this request."""
        loader = self._children.get(name)
        if loader is None:
            loader = self._children[name] = _pages(
                self._session, self._lock, stmt, parent=parent, order_by=order_by
            )
        return loader
