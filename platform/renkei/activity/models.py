"""Activity: every change to a region, project, milestone or KPI, append-only."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum


class SubjectType(StrEnum):
    REGION = "REGION"
    REGION_MEMBER = "REGION_MEMBER"
    PROJECT = "PROJECT"
    PARTICIPANT = "PARTICIPANT"
    FUNDING_SOURCE = "FUNDING_SOURCE"
    MILESTONE = "MILESTONE"
    BASELINE = "BASELINE"
    KPI = "KPI"
    KPI_OBSERVATION = "KPI_OBSERVATION"


class Activity(IdMixin, TimestampMixin, Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_subject_id_created_at", "subject_id", "created_at", "id"),
        Index("ix_activities_project_id_created_at", "project_id", "created_at", "id"),
        Index("ix_activities_region_id_created_at", "region_id", "created_at", "id"),
    )

    subject_type: Mapped[SubjectType] = mapped_column(str_enum(SubjectType, "subject_type"))
    subject_id: Mapped[uuid.UUID]
    # Where the subject lives: row-level security shows the entry to whoever sees that.
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE")
    )
    action: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
