"""A project's details copy the region it is open to; their policies ask the row, not projects.

Since 0015 a detail (milestone, KPI, its targets and observations, funding, baselines,
dependencies) was visible when its project was open to a region the acting organization is an
active member of, asked by an EXISTS on projects, or when the organization takes part in it.
The planner answered that EXISTS by hashing every project open to the viewer's regions (itself
under projects' policy) once per policy of the statement: a third of the region dashboard at
2,000 projects. Now:

- projects.open_region_id (generated, stored) is the project's region while its visibility is
  REGION or PUBLIC, else the nil uuid, which no region has;
- each detail copies it (`project_open_region_id`; a dependency copies both ends'), kept equal
  by a foreign key (copy, project_id) -> projects (open_region_id, id) ON UPDATE CASCADE, so a
  project changing visibility or region changes its details' copies in the same statement
  (referential actions bypass row-level security: nothing else is needed, nor may the app write
  a copy that differs), and filled on insert by renkei_copy_open_region(), a trigger function
  that only reads the row's project's open_region_id as renkei_definer (the inserter may not
  see the project, e.g. a lead that left its participants; a trigger function cannot be called);
- the policies ask `project_open_region_id IN (SELECT renkei_region_ids())` of the row itself,
  which is what the EXISTS asked: who sees what does not change.

The activity log keeps its lookup: it is append-only (a cascade would be refused) and no
dashboard reads it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

NO_OPEN_REGION = "00000000-0000-0000-0000-000000000000"
SYSTEM = "(SELECT renkei_is_system())"
ORGANIZATION = "(SELECT renkei_organization_id())"
REGIONS = "(SELECT renkei_region_ids())"
_ROLE = "(SELECT renkei_role()) = ANY (ARRAY['OWNER', 'ADMIN', 'MEMBER'])"

# table: (project column, copy column) pairs
_COPIES: dict[str, list[tuple[str, str]]] = {
    "milestones": [("project_id", "project_open_region_id")],
    "baselines": [("project_id", "project_open_region_id")],
    "baseline_milestones": [("project_id", "project_open_region_id")],
    "funding_sources": [("project_id", "project_open_region_id")],
    "kpis": [("project_id", "project_open_region_id")],
    "kpi_targets": [("project_id", "project_open_region_id")],
    "kpi_observations": [("project_id", "project_open_region_id")],
    "milestone_dependencies": [
        ("predecessor_project_id", "predecessor_open_region_id"),
        ("successor_project_id", "successor_open_region_id"),
    ],
}
# A KPI, its targets and observations belong to a project or to a region.
_OPTIONAL = {"kpis", "kpi_targets", "kpi_observations"}

COPY_FUNCTION = """
CREATE FUNCTION renkei_copy_open_region() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF TG_TABLE_NAME = 'milestone_dependencies' THEN
    NEW.predecessor_open_region_id := (SELECT p.open_region_id FROM projects p
                                        WHERE p.id = NEW.predecessor_project_id);
    NEW.successor_open_region_id := (SELECT p.open_region_id FROM projects p
                                      WHERE p.id = NEW.successor_project_id);
  ELSE
    NEW.project_open_region_id := (SELECT p.open_region_id FROM projects p
                                    WHERE p.id = NEW.project_id);
  END IF;
  RETURN NEW;
END $$
"""


def _participates(column: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM project_participants pp WHERE pp.project_id = {column}"
        f" AND pp.organization_id = {ORGANIZATION} AND pp.status = 'ACTIVE')"
    )


def _sees_new(table: str, project: str, copy: str) -> str:
    return f"{table}.{copy} IN {REGIONS} OR {_participates(f'{table}.{project}')}"


def _sees_old(table: str, project: str) -> str:
    """0015's test."""
    return (
        f"EXISTS (SELECT 1 FROM projects p WHERE p.id = {table}.{project}"
        " AND p.visibility IN ('REGION', 'PUBLIC')"
        " AND p.region_id = ANY (ARRAY(SELECT renkei_region_ids())))"
        f" OR {_participates(f'{table}.{project}')}"
    )


_REST = {
    "kpis": f" OR region_id IN {REGIONS}",
    "kpi_targets": f" OR region_id IN {REGIONS}",
    "kpi_observations": f" OR region_id IN {REGIONS}",
}
_SINGLE = ["milestones", "baselines", "baseline_milestones", "funding_sources", *_OPTIONAL]


def _policies(sees) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    """(table, policy, clause, condition) with `sees(table, project, copy)` as the test."""
    found = [
        (
            table,
            f"{table}_select",
            "USING",
            f"{SYSTEM} OR {sees(table, 'project_id', 'project_open_region_id')}"
            + _REST.get(table, ""),
        )
        for table in _SINGLE
    ]
    dependency = "milestone_dependencies"
    successor = sees(dependency, "successor_project_id", "successor_open_region_id")
    predecessor = sees(dependency, "predecessor_project_id", "predecessor_open_region_id")
    found.append(
        (dependency, f"{dependency}_select", "USING", f"{SYSTEM} OR {successor} OR {predecessor}")
    )
    found.append(
        (
            dependency,
            f"{dependency}_insert",
            "WITH CHECK",
            f"{SYSTEM} OR (successor_project_id IN (SELECT renkei_participating_project_ids())"
            f" AND ({predecessor}) AND {_ROLE})",
        )
    )
    return found


def upgrade() -> None:
    op.execute(
        "ALTER TABLE projects ADD COLUMN open_region_id uuid NOT NULL GENERATED ALWAYS AS"
        " (coalesce(CASE WHEN visibility = ANY (ARRAY['REGION', 'PUBLIC'])"
        " THEN region_id ELSE NULL END,"
        f" '{NO_OPEN_REGION}'::uuid)) STORED"
    )
    op.execute(
        "ALTER TABLE projects ADD CONSTRAINT uq_projects_open_region_id_id"
        " UNIQUE (open_region_id, id)"
    )
    for table, copies in _COPIES.items():
        for project, copy in copies:
            op.execute(f"ALTER TABLE {table} ADD COLUMN {copy} uuid")
            op.execute(
                f"UPDATE {table} t SET {copy} = p.open_region_id FROM projects p"
                f" WHERE p.id = t.{project}"
            )
            if table in _OPTIONAL:
                op.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_open_region_copied"
                    f" CHECK (({project} IS NULL) = ({copy} IS NULL))"
                )
            else:
                op.execute(f"ALTER TABLE {table} ALTER COLUMN {copy} SET NOT NULL")
            op.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{copy}_projects"
                f" FOREIGN KEY ({copy}, {project}) REFERENCES projects (open_region_id, id)"
                " ON UPDATE CASCADE"
            )
    op.execute(COPY_FUNCTION)
    op.execute("ALTER FUNCTION renkei_copy_open_region() OWNER TO renkei_definer")
    op.execute("REVOKE ALL ON FUNCTION renkei_copy_open_region() FROM PUBLIC")
    for table, copies in _COPIES.items():
        columns = ", ".join(project for project, _copy in copies)
        op.execute(
            f"CREATE TRIGGER {table}_copy_open_region BEFORE INSERT OR UPDATE OF {columns}"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION renkei_copy_open_region()"
        )
    for table, policy, clause, condition in _policies(_sees_new):
        op.execute(f"ALTER POLICY {policy} ON {table} {clause} ({condition})")


def downgrade() -> None:
    for table, policy, clause, condition in _policies(
        lambda table, project, _copy: _sees_old(table, project)
    ):
        op.execute(f"ALTER POLICY {policy} ON {table} {clause} ({condition})")
    for table, copies in _COPIES.items():
        op.execute(f"DROP TRIGGER {table}_copy_open_region ON {table}")
        for _project, copy in copies:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {copy}")
    op.execute("DROP FUNCTION renkei_copy_open_region()")
    op.execute("ALTER TABLE projects DROP COLUMN open_region_id")
