"""The projects domain's outbox handlers, exported as HANDLERS: an invited participant is told.

Run by a worker as the platform; each re-reads its rows and notifies at most once per message
and person, so a message handled twice notifies once.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from renkei import outbox
from renkei.i18n.messages import _
from renkei.notifications.service import MANAGERS, people_to_tell, tell
from renkei.notifications.subjects import global_id
from renkei.projects.models import PARTICIPANT_ROLES, Project, ProjectParticipant
from renkei.projects.service import PROJECT_INVITED
from renkei.regions.models import ParticipationStatus


async def project_invited(
    session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    participant = await session.get(ProjectParticipant, uuid.UUID(payload["participant_id"]))
    if participant is None or participant.status is not ParticipationStatus.INVITED:
        return
    project = await session.get(Project, participant.project_id)
    assert project is not None
    await tell(
        session,
        outbox_id,
        await people_to_tell(session, [participant.organization_id], MANAGERS),
        kind="project.invited",
        subject_id=global_id("ProjectParticipant", participant.id),
        text=lambda: (
            _("Invitation to the project {project}", project=project.name),
            _(
                "Your organization is invited to {project} as {role}. An owner or admin answers"
                " with answerProjectParticipation (see projectInvitations).",
                project=project.name,
                role=_(PARTICIPANT_ROLES[participant.role]),
            ),
        ),
    )


HANDLERS: dict[str, outbox.Handler] = {PROJECT_INVITED: project_invited}
