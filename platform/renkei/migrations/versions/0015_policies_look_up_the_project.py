"""Policies ask about the row's project, instead of unnesting every project the viewer sees.

A project's details (milestones, KPIs, their targets and observations, funding, baselines,
dependencies, activity) were visible when `project_id IN (SELECT renkei_project_ids())`: each
policy of a statement read the acting organization's visible projects out of the transaction's
setting, parsed them from text in PL/pgSQL and hashed them, so every policy of a statement paid
for all the projects the viewer sees (a region's secretariat sees its region's projects): half of
the dashboard statement at 1,522 visible projects. The same question is now asked in its two
parts, renkei_project_ids()'s own definition, so what each organization sees does not change:

- the project is open to its region (`REGION` or `PUBLIC`) and the acting organization is an
  active member of that region (`renkei_region_ids()`, a handful of ids, as an array so that the
  index on projects (id) or (region_id, visibility, id) is used whatever the planner guesses of
  the function's rows), or
- the acting organization takes part in it (the index on participants (project_id,
  organization_id)).

Each is an EXISTS on the row's project: the planner looks each row's project up by its key, or,
for a policy that reads many rows, hashes the ids the index gives (no PL/pgSQL, no text), as it
finds cheaper. projects_select admits a project by the same tests, with the cheapest first (the
region's open projects, then the organization's own participations and invitations) and no
table of its own, so that nesting it in those lookups adds no further lookups.
project_participants_select may not look into projects (whose lookups read participants: a
recursion), so it keeps renkei_project_ids(), asked after the test of the row's own
organization, which settles an organization's own participations without building the set.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SYSTEM = "(SELECT renkei_is_system())"
ORGANIZATION = "(SELECT renkei_organization_id())"


def _sees(column: str) -> str:
    """renkei_project_ids()'s answer for the project in `column`: open to a region the acting
    organization is an active member of, or taken part in by it."""
    return (
        f"EXISTS (SELECT 1 FROM projects p WHERE p.id = {column}"
        " AND p.visibility IN ('REGION', 'PUBLIC')"
        " AND p.region_id = ANY (ARRAY(SELECT renkei_region_ids())))"
        f" OR EXISTS (SELECT 1 FROM project_participants pp WHERE pp.project_id = {column}"
        f" AND pp.organization_id = {ORGANIZATION} AND pp.status = 'ACTIVE')"
    )


_OLD_SEES = "{column} IN (SELECT renkei_project_ids())"
_ROLE = "(SELECT renkei_role()) = ANY (ARRAY['OWNER', 'ADMIN', 'MEMBER'])"

# (table, policy, USING or WITH CHECK, the new condition, the old one)
_POLICIES: list[tuple[str, str, str, str, str]] = [
    (
        "projects",
        "projects_select",
        "USING",
        f"{SYSTEM} OR ((SELECT renkei_user_id()) IS NOT NULL AND visibility = 'PUBLIC')"
        " OR (visibility IN ('REGION', 'PUBLIC') AND region_id IN (SELECT renkei_region_ids()))"
        " OR id IN (SELECT renkei_participating_project_ids())"
        " OR id IN (SELECT renkei_invited_project_ids())",
        f"{SYSTEM} OR ((SELECT renkei_user_id()) IS NOT NULL AND visibility = 'PUBLIC')"
        " OR id IN (SELECT renkei_project_ids()) OR id IN (SELECT renkei_invited_project_ids())",
    ),
    (
        "project_participants",
        "project_participants_select",
        "USING",
        f"{SYSTEM} OR organization_id = {ORGANIZATION}"
        " OR project_id IN (SELECT renkei_project_ids())",
        f"{SYSTEM} OR project_id IN (SELECT renkei_project_ids())"
        f" OR organization_id = {ORGANIZATION}",
    ),
    *(
        (
            table,
            f"{table}_select",
            "USING",
            f"{SYSTEM} OR {_sees(f'{table}.project_id')}{rest}",
            f"{SYSTEM} OR {_OLD_SEES.format(column='project_id')}{rest}",
        )
        for table, rest in (
            ("milestones", ""),
            ("baselines", ""),
            ("baseline_milestones", ""),
            ("funding_sources", ""),
            ("kpis", " OR region_id IN (SELECT renkei_region_ids())"),
            ("kpi_targets", " OR region_id IN (SELECT renkei_region_ids())"),
            ("kpi_observations", " OR region_id IN (SELECT renkei_region_ids())"),
            (
                "activities",
                " OR (project_id IS NULL AND region_id IN (SELECT renkei_region_ids()))",
            ),
        )
    ),
    (
        "milestone_dependencies",
        "milestone_dependencies_select",
        "USING",
        f"{SYSTEM} OR {_sees('milestone_dependencies.successor_project_id')}"
        f" OR {_sees('milestone_dependencies.predecessor_project_id')}",
        f"{SYSTEM} OR {_OLD_SEES.format(column='successor_project_id')}"
        f" OR {_OLD_SEES.format(column='predecessor_project_id')}",
    ),
    (
        "milestone_dependencies",
        "milestone_dependencies_insert",
        "WITH CHECK",
        f"{SYSTEM} OR (successor_project_id IN (SELECT renkei_participating_project_ids())"
        f" AND ({_sees('milestone_dependencies.predecessor_project_id')}) AND {_ROLE})",
        f"{SYSTEM} OR (successor_project_id IN (SELECT renkei_participating_project_ids())"
        f" AND {_OLD_SEES.format(column='predecessor_project_id')} AND {_ROLE})",
    ),
]


def upgrade() -> None:
    for table, policy, clause, new, _old in _POLICIES:
        op.execute(f"ALTER POLICY {policy} ON {table} {clause} ({new})")


def downgrade() -> None:
    for table, policy, clause, _new, old in _POLICIES:
        op.execute(f"ALTER POLICY {policy} ON {table} {clause} ({old})")
