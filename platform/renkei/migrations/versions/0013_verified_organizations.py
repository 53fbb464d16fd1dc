"""Verified organizations and their public codes.

Public bodies (prefectures, municipalities, national agencies, 広域連合) and organizations that
claim a 法人番号 or 団体コード another organization holds start UNVERIFIED until a platform
operator verifies them. A code is unique among verified organizations only, so that a squatter
cannot keep the real holder out; a trigger refuses any writer but the platform that would make a
public body verified.

Existing public bodies come out UNVERIFIED (anyone could have created them): an operator verifies
the real ones after the upgrade (`renkei operator verify-organization SLUG`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
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
)
_PUBLIC = "('PREFECTURE', 'MUNICIPALITY', 'NATIONAL_AGENCY', 'WIDE_AREA_UNION')"

_GUARD = f"""
CREATE FUNCTION renkei_guard_organization_verification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF renkei_is_system() OR NEW.verification <> 'VERIFIED' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.verification = 'VERIFIED' AND NEW.kind = OLD.kind
     AND NEW.corporate_number IS NOT DISTINCT FROM OLD.corporate_number
     AND NEW.local_government_code IS NOT DISTINCT FROM OLD.local_government_code
     AND NEW.verified_at IS NOT DISTINCT FROM OLD.verified_at
     AND NEW.verified_by IS NOT DISTINCT FROM OLD.verified_by THEN
    RETURN NEW;
  END IF;
  IF NEW.kind::text IN {_PUBLIC} THEN
    RAISE EXCEPTION 'only a platform operator verifies a public organization'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER organizations_verification BEFORE INSERT OR UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION renkei_guard_organization_verification();
"""


def _kind_constraint(kinds: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_organizations_organization_kind"), "organizations", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(
        op.f("ck_organizations_organization_kind"), "organizations", f"kind IN ({listed})"
    )


def upgrade() -> None:
    _kind_constraint((*_KINDS, "WIDE_AREA_UNION"))
    op.add_column(
        "organizations",
        sa.Column(
            "verification",
            sa.Enum(
                "UNVERIFIED",
                "VERIFIED",
                name="organization_verification",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="UNVERIFIED",
            nullable=False,
        ),
    )
    op.add_column("organizations", sa.Column("verified_at", sa.DateTime(timezone=True)))
    op.add_column("organizations", sa.Column("verified_by", sa.String(length=320)))
    # Codes were unique until now: every private organization keeps what it had.
    op.execute(
        "UPDATE organizations SET verification = 'VERIFIED', verified_at = now(),"
        f" verified_by = 'migration' WHERE kind::text NOT IN {_PUBLIC}"
    )
    op.drop_constraint(op.f("uq_organizations_corporate_number"), "organizations", type_="unique")
    op.drop_constraint(
        op.f("uq_organizations_local_government_code"), "organizations", type_="unique"
    )
    op.create_index(
        op.f("ix_organizations_corporate_number"), "organizations", ["corporate_number"]
    )
    op.create_index(
        op.f("ix_organizations_local_government_code"), "organizations", ["local_government_code"]
    )
    op.create_index(
        op.f("uq_organizations_verified_corporate_number"),
        "organizations",
        ["corporate_number"],
        unique=True,
        postgresql_where=sa.text("verification = 'VERIFIED'"),
    )
    op.create_index(
        op.f("uq_organizations_verified_local_government_code"),
        "organizations",
        ["local_government_code"],
        unique=True,
        postgresql_where=sa.text("verification = 'VERIFIED'"),
    )
    op.execute(_GUARD)


def downgrade() -> None:
    op.execute("DROP TRIGGER organizations_verification ON organizations")
    op.execute("DROP FUNCTION renkei_guard_organization_verification()")
    op.drop_index(
        op.f("uq_organizations_verified_local_government_code"), table_name="organizations"
    )
    op.drop_index(op.f("uq_organizations_verified_corporate_number"), table_name="organizations")
    op.drop_index(op.f("ix_organizations_local_government_code"), table_name="organizations")
    op.drop_index(op.f("ix_organizations_corporate_number"), table_name="organizations")
    # Only one claimant of a code keeps it: the verified one, else the first; the others lose it.
    for column in ("corporate_number", "local_government_code"):
        op.execute(
            f"UPDATE organizations o SET {column} = NULL WHERE EXISTS (SELECT 1 FROM organizations"
            f" p WHERE p.id <> o.id AND p.{column} = o.{column} AND (p.verification = 'VERIFIED',"
            " o.created_at, o.id) > (o.verification = 'VERIFIED', p.created_at, p.id))"
        )
    op.create_unique_constraint(
        op.f("uq_organizations_local_government_code"), "organizations", ["local_government_code"]
    )
    op.create_unique_constraint(
        op.f("uq_organizations_corporate_number"), "organizations", ["corporate_number"]
    )
    op.drop_column("organizations", "verified_by")
    op.drop_column("organizations", "verified_at")
    op.drop_column("organizations", "verification")
    op.execute("UPDATE organizations SET kind = 'OTHER' WHERE kind = 'WIDE_AREA_UNION'")
    _kind_constraint(_KINDS)
