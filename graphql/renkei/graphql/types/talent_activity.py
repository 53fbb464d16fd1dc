"""A match's activity: each step, with the side that took it (Match.activity).

Compiled like the rest of a match: the actor's SQL asks the same questions as `_actors` below,
and row-level security answers the identity's, so both paths show the professional by pseudonym
until both sides have accepted.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from renkei.activity.models import Activity as ActivityRow
from renkei.activity.models import summary
from renkei.graphql.compiled.spec import WORD, Many, Scalar, column, computed, sql, table
from renkei.graphql.context import Info
from renkei.graphql.types.activity import SUMMARY_SQL
from renkei.graphql.types.talent import MatchSide, MatchStatus
from renkei.talent import models, repository
from renkei.talent.lifecycle import Side
from renkei.talent.match_activity import mutually_accepted, steps_of

_SIDE = "({t}.after->>'side')"
_ACTOR = f"""(CASE WHEN {_SIDE} IN ('FIRM', 'INTERMEDIARY')
 THEN (SELECT o.name FROM organizations o WHERE o.id = {{t}}.actor_organization_id)
 ELSE coalesce(
  (SELECT p.full_name FROM matches m JOIN professionals p ON p.id = m.professional_id
    WHERE m.id = {{t}}.subject_id
    AND m.firm_accepted_at IS NOT NULL AND m.professional_accepted_at IS NOT NULL),
  (SELECT pp.pseudonym FROM matches m JOIN professional_profiles pp
    ON pp.professional_id = m.professional_id WHERE m.id = {{t}}.subject_id),
  '') END)"""

# Match.activity's SQL: the match's entries, oldest first.
ACTIVITY_OF_MATCH = Many(
    "MatchStep",
    join="{c}.subject_id = {t}.id AND {c}.subject_type = 'MATCH'",
    order="{c}.created_at, {c}.id",
)


def _side(row: ActivityRow) -> Side | None:
    side = str((row.after or {}).get("side"))
    return Side(side) if side in Side.__members__ else None


def _status(row: ActivityRow) -> models.MatchStatus | None:
    status = str((row.after or {}).get("status"))
    return models.MatchStatus(status) if status in models.MatchStatus.__members__ else None


@table(ActivityRow)
@strawberry.type(description="One step of a match, from the activity log.")
class MatchStep:
    row: strawberry.Private[ActivityRow]
    actor_name: strawberry.Private[str]
    step: str = column(ActivityRow.action, description="The step: scout, apply, accept, ...")
    side: MatchSide | None = computed(  # type: ignore[valid-type]
        Scalar(_SIDE, WORD), _side, description="The side that took it."
    )
    status: MatchStatus | None = computed(  # type: ignore[valid-type]
        Scalar("({t}.after->>'status')", WORD),
        _status,
        description="Where the step left the match.",
    )
    summary: str = computed(
        SUMMARY_SQL,
        lambda row: summary(row.subject_type, row.action),
        description="What happened, in the reader's language.",
    )
    at: datetime = column(
        ActivityRow.created_at,
        description="When the step was taken.",
    )

    @strawberry.field(
        description="Who took it: the firm's or the intermediary's name, or the professional's "
        "pseudonym until both sides have accepted (their name afterwards).",
        metadata=sql(Scalar(_ACTOR)),
    )
    def actor(self) -> str:
        return self.actor_name


async def _actors(info: Info, match: models.Match) -> dict[str, str]:
    """The name shown for each side."""
    firm = await info.context.loaders.organization.load(match.organization_id)
    profile = await info.context.run(lambda s: repository.profile(s, match.professional_id))
    professional = profile.pseudonym if profile is not None else ""
    if mutually_accepted(match):
        # Row-level security shows the identity to the firm only once both have accepted.
        identity = await info.context.loaders.professional.load(match.professional_id)
        if identity is not None:
            professional = identity.full_name
    introducer = None
    if match.introduced_by_organization_id is not None:
        introducer = await info.context.loaders.organization.load(
            match.introduced_by_organization_id
        )
    return {
        Side.FIRM.value: firm.name if firm else "",
        Side.PROFESSIONAL.value: professional,
        Side.INTERMEDIARY.value: introducer.name if introducer else "",
    }


async def activity_of_match(info: Info, match: models.Match) -> list[MatchStep]:
    """Match.activity: its steps, oldest first."""
    rows = await info.context.run(lambda s: steps_of(s, match.id))
    if not rows:
        return []
    actors = await _actors(info, match)
    return [
        MatchStep(row=row, actor_name=actors.get(str((row.after or {}).get("side")), ""))
        for row in rows
    ]
