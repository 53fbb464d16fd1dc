"""The documents of a grant application, as one table for Excel (CSV and .xlsx).

What a secretariat attaches to an application or a 実績報告: the application (scheme, status,
事業費, 補助率, grant, 地方負担, decision, report), the project's budget (its funding sources),
its milestones (工程表) and its KPIs. One sheet, one row per item, columns in the reader's words
(written by renkei.projects.exports and exports_xlsx, so dates, 年度 and amounts read as in
every other export):

  区分 (Section)          申請 / 予算 / 工程表 / KPI
  項目 (Item)             what the row is (a field of the application, a funding source, a
                          milestone's title, a KPI's name)
  日付 (Day)              its day, when it has one (the milestone's due date)
  年度 (Fiscal year)      its 年度, when it has one
  金額（円） (Amount (JPY)) an amount in whole yen
  値 (Value)              any other value (a status, a rate, a KPI's target or observation)
  備考 (Note)             what else the reader needs (who funds it, who owns the milestone)

Only the project's participants reach it: the application's row-level security decides.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import NotFound
from renkei.grants import repository
from renkei.grants.models import status_label
from renkei.grants.money import money_of
from renkei.i18n.messages import N_, _
from renkei.organizations import repository as organizations
from renkei.projects import roadmap_data
from renkei.projects.exports import Cell, Column, Table
from renkei.projects.models import label
from renkei.tenancy import Viewer

SHEET = N_("Grant application")
COLUMNS = (
    Column(N_("Section"), Cell.TEXT, 12),
    Column(N_("Item"), Cell.TEXT, 36),
    Column(N_("Day"), Cell.DATE),
    Column(N_("Fiscal year"), Cell.FISCAL_YEAR, 12),
    Column(N_("Amount (JPY)"), Cell.AMOUNT, 16),
    Column(N_("Value"), Cell.TEXT, 16),
    Column(N_("Note"), Cell.TEXT, 40),
)


async def application_table(
    session: AsyncSession, viewer: Viewer, application_id: uuid.UUID
) -> tuple[Table, str]:
    """The application's documents as a table, and the name its file takes."""
    application = await repository.get_application(session, application_id)
    if application is None:
        raise NotFound(_("no such grant application"))
    scheme = await repository.get_scheme(session, application.scheme_id)
    assert scheme is not None
    project = await roadmap_data.project_with_details(session, viewer, application.project_id)
    money = money_of(application, scheme)
    applied, budget = _("Application"), _("Budget")
    rows: list[tuple[object, ...]] = [
        (applied, _("Project"), None, None, None, project.name, ""),
        (applied, _("Scheme"), None, scheme.fiscal_year, None, scheme.name, scheme.source_url),
        (applied, _("Title"), None, None, None, application.title, ""),
        (applied, _("Status"), None, None, None, status_label(application.status), ""),
        (applied, _("Cost (事業費)"), None, None, application.requested_cost_jpy, None, ""),
        (
            applied,
            _("補助率"),
            None,
            None,
            None,
            format(application.rate.normalize(), "f") if application.rate is not None else None,
            _("unconfirmed in the scheme's source: assumed by the application")
            if "rate" in scheme.unconfirmed_fields
            else "",
        ),
        (applied, _("Grant"), None, None, money.grant_jpy, None, money.formula()),
        (applied, _("Local share (地方負担)"), None, None, money.local_share_jpy, None, ""),
        (applied, _("Applied on (申請)"), application.applied_on, None, None, None, ""),
        (
            applied,
            _("Grant decided (交付決定)"),
            application.decided_on,
            None,
            application.decided_amount_jpy,
            None,
            application.conditions,
        ),
        (applied, _("Report due (実績報告)"), application.report_due_on, None, None, None, ""),
        (
            applied,
            _("Performance reported (実績報告)"),
            application.reported_on,
            None,
            application.reported_spending_jpy,
            None,
            "",
        ),
        (
            applied,
            _("Settled (確定)"),
            application.settled_on,
            None,
            application.final_amount_jpy,
            None,
            "",
        ),
    ]
    sources = await repository.funding_sources_of(session, project.id)
    for source in sources:
        funder = (
            await organizations.get(session, source.funder_organization_id)
            if source.funder_organization_id
            else None
        )
        rows.append(
            (
                budget,
                source.name,
                None,
                source.fiscal_year,
                source.amount_jpy,
                label(source.kind),
                funder.name if funder else "",
            )
        )
    roadmap = await roadmap_data.project_roadmap(session, viewer, project=project)
    for milestone in roadmap.milestones:
        rows.append(
            (
                _("Milestones"),
                milestone.title,
                milestone.due_on,
                None,
                None,
                f"{milestone.progress}%",
                milestone.owner_organization,
            )
        )
    for kpi in await roadmap_data.project_kpi_rows(session, viewer, project=project):
        value = kpi.observed_value if kpi.observed_value is not None else kpi.target
        rows.append(
            (
                _("KPI"),
                f"{kpi.kpi}（{kpi.unit}）",
                kpi.period_end,
                kpi.fiscal_year,
                None,
                format(value, "f") if value is not None else None,
                _("target {target}", target=format(kpi.target, "f"))
                if kpi.target is not None
                else "",
            )
        )
    return Table(SHEET, COLUMNS, rows), application.title
