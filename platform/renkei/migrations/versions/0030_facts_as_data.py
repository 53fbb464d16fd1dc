"""Facts as data: invented content marked, declarations signed on behalf of members.

- `demo` on organizations, projects, KPIs and region members, and `declaration_demo` and
  `vision_demo` on regions: content invented for the demonstration is marked as such, so a
  reader never takes it for the public record. `declaration_sources` lists the public pages
  that record a region's declaration.
- The organization kind LOCAL_INCORPORATED_AGENCY (地方独立行政法人). It is not a public body in
  the sense of verification (it has a 法人番号 like a company), so the guard trigger is unchanged.
- `region_members.represented_by_organization_id`: the body that signed the declaration on a
  member's behalf (関西広域連合 for its 府県 and 政令市), and `representation_confirmed_at`, set
  when the member confirms it. The rows stay under region_members' row-level security: the
  secretariat's admins write them, the member's admins update its own row (its answer, its
  confirmation); the services check the rest.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_KINDS = (
    "PREFECTURE",
    "MUNICIPALITY",
    "COMPANY",
    "UNIVERSITY",
    "RESEARCH_INSTITUTE",
    "FINANCIAL_INSTITUTION",
    "ECONOMIC_ORGANIZATION",
    "NATIONAL_AGENCY",
    "LABOR_ORGANIZATION",
    "MEDIA",
    "PROFESSIONAL_FIRM",
    "NPO",
    "OTHER",
    "WIDE_AREA_UNION",
)
_NEW_KIND = "LOCAL_INCORPORATED_AGENCY"

_FLAGS = (
    ("organizations", "demo"),
    ("projects", "demo"),
    ("kpis", "demo"),
    ("region_members", "demo"),
    ("regions", "declaration_demo"),
    ("regions", "vision_demo"),
)


def _kind_constraint(kinds: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_organizations_organization_kind"), "organizations", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(
        op.f("ck_organizations_organization_kind"), "organizations", f"kind IN ({listed})"
    )


def upgrade() -> None:
    _kind_constraint((*_KINDS, _NEW_KIND))
    for table, name in _FLAGS:
        op.add_column(
            table, sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.add_column(
        "regions",
        sa.Column("declaration_sources", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(
        "region_members", sa.Column("represented_by_organization_id", sa.Uuid(), nullable=True)
    )
    op.add_column(
        "region_members",
        sa.Column("representation_confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_region_members_represented_by_organization_id_organizations"),
        "region_members",
        "organizations",
        ["represented_by_organization_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        op.f("ix_region_members_represented_by_organization_id"),
        "region_members",
        ["represented_by_organization_id"],
    )
    op.create_check_constraint(
        op.f("ck_region_members_represented_by_another"),
        "region_members",
        "represented_by_organization_id IS NULL OR (NOT is_signatory"
        " AND represented_by_organization_id <> organization_id)",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_region_members_represented_by_another"), "region_members", type_="check"
    )
    op.drop_index(
        op.f("ix_region_members_represented_by_organization_id"), table_name="region_members"
    )
    op.drop_constraint(
        op.f("fk_region_members_represented_by_organization_id_organizations"),
        "region_members",
        type_="foreignkey",
    )
    op.drop_column("region_members", "representation_confirmed_at")
    op.drop_column("region_members", "represented_by_organization_id")
    op.drop_column("regions", "declaration_sources")
    for table, name in reversed(_FLAGS):
        op.drop_column(table, name)
    op.execute(f"UPDATE organizations SET kind = 'OTHER' WHERE kind = '{_NEW_KIND}'")
    _kind_constraint(_KINDS)
