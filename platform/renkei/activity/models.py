"""Activity: every change to a region, project, milestone or KPI, and every match step;
append-only."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base, IdMixin, TimestampMixin, str_enum
from renkei.i18n.messages import N_, _


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
    MATCH = "MATCH"
    GRANT_APPLICATION = "GRANT_APPLICATION"


# What people read of an entry (Activity.summary): "<subject>: <action>", each a label.
SUBJECTS = {
    SubjectType.REGION: N_("region"),
    SubjectType.REGION_MEMBER: N_("region member"),
    SubjectType.PROJECT: N_("project"),
    SubjectType.PARTICIPANT: N_("project participant"),
    SubjectType.FUNDING_SOURCE: N_("funding source"),
    SubjectType.MILESTONE: N_("milestone"),
    SubjectType.BASELINE: N_("baseline"),
    SubjectType.KPI: N_("KPI"),
    SubjectType.KPI_OBSERVATION: N_("KPI observation"),
    SubjectType.MATCH: N_("match"),
    SubjectType.GRANT_APPLICATION: N_("grant application"),
}
ACTIONS = {
    "created": N_("created"),
    "updated": N_("updated"),
    "removed": N_("removed"),
    "added": N_("added"),
    "recorded": N_("recorded"),
    "corrected": N_("corrected"),
    "invited": N_("invitation sent"),
    "accepted": N_("accepted the invitation"),
    "declined": N_("declined the invitation"),
    "joined": N_("joined"),
    "left": N_("withdrew"),
    "vision_adopted": N_("vision adopted"),
    "representation_confirmed": N_("confirmed it was represented in the declaration"),
    "target_set": N_("target set"),
    "signed_off": N_("signed off"),
    "flagged_at_risk": N_("flagged at risk"),
    "dependency_added": N_("dependency added"),
    "dependency_removed": N_("dependency removed"),
    "status_changed": N_("status changed"),
    "progress_reported": N_("progress reported"),
    # A match's steps (renkei.talent.lifecycle.STEPS, and scout / apply)
    "scout": N_("professional scouted"),
    "apply": N_("applied to the need"),
    "introduce": N_("introduced by an intermediary"),
    "accept": N_("match accepted"),
    "decline": N_("match declined"),
    "withdraw": N_("match withdrawn"),
    "scheduleInterview": N_("interview scheduled"),
    "recordContract": N_("contract terms recorded"),
    "confirmContract": N_("contract confirmed"),
    "start": N_("work started"),
    "complete": N_("completed with a review"),
    "review": N_("reviewed"),
    # A grant application's steps (renkei.grants.service)
    "grant_applied": N_("applied for the grant (申請)"),
    "grant_decided": N_("grant decided (交付決定)"),
    "grant_reported": N_("performance reported (実績報告)"),
    "grant_settled": N_("grant settled (確定)"),
}
SUMMARY = N_("{subject}: {action}")


def summary(subject_type: str, action: str) -> str:
    """An entry in the reader's words; an action without a label shows its code."""
    subject = SUBJECTS.get(subject_type)  # type: ignore[call-overload]
    words = ACTIONS.get(action)
    return _(
        SUMMARY,
        subject=_(subject) if subject else subject_type,
        action=_(words) if words else action,
    )


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
