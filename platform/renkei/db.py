"""Engines, sessions and the unit of work: one transaction per request or job."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum, FetchedValue, ForeignKeyConstraint, MetaData, Uuid, func
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column

from renkei import tracing
from renkei.tenancy import Viewer, set_viewer

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A project's `open_region_id`: its region while it is open to it (visibility REGION or PUBLIC),
# else this id, which no region has. A project's details copy it (`project_open_region_id`) so
# that row-level security asks "open to one of my regions?" of the row itself, with no lookup;
# a foreign key keeps the copy equal to the project's (ON UPDATE CASCADE) and a trigger fills it.
NO_OPEN_REGION = "00000000-0000-0000-0000-000000000000"


# The mapper arguments of a model with a copy (or projects): the database fills it, and the ORM
# must not read it back with RETURNING, which row-level security would check against a row
# (a new project, say) that its writer may not read yet; nothing in the application reads it.
NOT_FETCHED: dict[str, Any] = {"eager_defaults": False}


def open_region_copy(*, nullable: bool = False) -> MappedColumn[Any]:
    """The copy of the row's project's open region, filled by the database."""
    return mapped_column(Uuid, nullable=nullable, server_default=FetchedValue())


def open_region_key(
    project: str = "project_id", copy: str = "project_open_region_id"
) -> ForeignKeyConstraint:
    """The foreign key that keeps `copy` equal to the open region of the project in `project`."""
    return ForeignKeyConstraint(
        [copy, project], ["projects.open_region_id", "projects.id"], onupdate="CASCADE"
    )


def str_enum(enum: type[StrEnum], name: str) -> Enum:
    """A string column holding one of the enum's values, checked by a constraint."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class IdMixin:
    # Ids are made in Python so that an INSERT needs no RETURNING, which row-level security
    # would check against the SELECT policy of tables the writer may not read (the outbox).
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=lambda: datetime.now(UTC)
    )


def app_url_for(owner_url: str, role: str) -> str:
    """The owner's URL with the user swapped for the application role (trust or peer auth)."""
    return (
        make_url(owner_url).set(username=role, password=None).render_as_string(hide_password=False)
    )


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    from renkei.metrics import watch_pool

    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )
    watch_pool(engine)  # renkei_db_pool_connections
    tracing.instrument_engine(engine)  # a span per statement, when traces are recorded
    return engine


SessionFactory = async_sessionmaker[AsyncSession]


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def unit_of_work(sessions: SessionFactory, viewer: Viewer) -> AsyncIterator[AsyncSession]:
    """One transaction: the viewer is put into it first; commit at the end, roll back on error."""
    async with sessions() as session, session.begin():
        await set_viewer(session, viewer)
        yield session
