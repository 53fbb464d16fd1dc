"""A project's page: participants, funding, milestones, baselines, KPIs, activity and exports.

    GET  /app/projects/{id}                                  the project (ProjectPage)
    POST /app/projects/{id}/milestones                       add a milestone
    POST /app/projects/{id}/baselines                        freeze the plan as a baseline
    POST /app/projects/{id}/grants                           start a grant application (構想)
    POST /app/projects/{id}/grants/{gid}/step                a grant application's next step
    GET  /app/projects/{id}/milestones/{mid}                 a milestone (ProjectMilestonePage)
    POST /app/projects/{id}/milestones/{mid}/status          report progress, change its status
    POST /app/projects/{id}/milestones/{mid}/schedule        move its start and due dates
    POST /app/projects/{id}/milestones/{mid}/request-sign-off    progress 100: ask for sign-off
    POST /app/projects/{id}/milestones/{mid}/sign-off        the counterpart confirms: DONE
    POST /app/projects/{id}/milestones/{mid}/dependencies    wait for another milestone
    GET  /app/projects/{id}/kpis/{kid}                       a KPI and its observations
    POST /app/projects/{id}/kpis/{kid}/observations          record a period's value

The API offers no per-viewer capability fields, so a page shows an action when the viewer's
acting organization and role would be allowed it by the rules of renkei.milestones.service and
renkei.kpis.service (`Powers`); the API still decides, and its userErrors are shown as it wrote
them, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.graphql.console.app import PageError
from renkei.graphql.console.forms import Fields, api_day, submit
from renkei.graphql.console.labels import enum_label
from renkei.i18n import formats
from renkei.i18n.messages import N_, _, label, ngettext
from renkei.milestones.models import today

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console

# Roles that write (renkei.milestones.service._WRITERS, renkei.kpis.service.WRITERS).
WRITERS = frozenset({"OWNER", "ADMIN", "MEMBER"})
CLOSED = frozenset({"DONE", "CANCELLED"})
# Roles that manage the lead organization's grants (renkei.grants.service).
MANAGERS = frozenset({"OWNER", "ADMIN"})
# A grant application's next step: its button, its mutation, the form's amount field (if any).
GRANT_STEPS = {
    "APPLIED": (N_("Record the application (申請)"), "ProjectApplyForGrant", None),
    "DECIDED": (N_("Record the grant decision (交付決定)"), "ProjectDecideGrant", "amountJpy"),
    "REPORTED": (
        N_("Record the performance report (実績報告)"),
        "ProjectReportGrantPerformance",
        "spendingJpy",
    ),
    "SETTLED": (N_("Record the final amount (確定)"), "ProjectSettleGrant", "finalAmountJpy"),
}
GRANT_AMOUNTS = {
    "amountJpy": N_("Amount decided (yen)"),
    "spendingJpy": N_("Spending reported (yen)"),
    "finalAmountJpy": N_("Final amount (yen)"),
}
GRANT_DAYS = {
    "APPLIED": ("appliedOn", N_("Day of the application")),
    "DECIDED": ("decidedOn", N_("Day of the decision")),
    "REPORTED": ("reportedOn", N_("Day of the report")),
    "SETTLED": ("settledOn", N_("Day of the settlement")),
}
HORIZONS = (1, 3, 5)
EXPORTS = (
    ("milestones.csv", N_("Milestones (CSV)")),
    ("kpis.csv", N_("KPIs (CSV)")),
    ("kpis.xlsx", N_("KPIs (Excel)")),
    ("roadmap.svg", N_("Roadmap (SVG)")),
    ("roadmap.ics", N_("Roadmap (iCalendar)")),
)
VARIANCE_CHANGES = {
    "KEPT": N_("in both"),
    "ADDED": N_("added since"),
    "REMOVED": N_("removed since"),
}
NOT_FOUND = {
    "project": N_("This project does not exist, or you may not see it."),
    "milestone": N_("This milestone does not exist, or you may not see it."),
    "kpi": N_("This KPI does not exist, or you may not see it."),
}


# What a viewer may do ------------------------------------------------------------------------


@dataclass(frozen=True)
class Powers:
    """The actions the API would allow the viewer, from its acting organization and role."""

    acting_id: str | None
    lead_id: str
    writes: bool  # a writer of an ACTIVE participant organization

    @classmethod
    def of(cls, viewer: dict[str, Any], project: dict[str, Any]) -> Powers:
        acting = (viewer.get("actingOrganization") or {}).get("id")
        lead_id = project["lead"]["id"]
        active = {
            p["organization"]["id"]
            for p in project["participants"]["nodes"]
            if p["status"] == "ACTIVE"
        }
        active.add(lead_id)
        writes = acting is not None and viewer.get("role") in WRITERS and acting in active
        return cls(acting_id=acting, lead_id=lead_id, writes=writes)

    def steps_grants(self, viewer: dict[str, Any]) -> bool:
        """The lead organization's owners and admins take a grant application's steps."""
        return self.acting_id == self.lead_id and viewer.get("role") in MANAGERS

    def edits(self, milestone: dict[str, Any]) -> bool:
        """Its owner's and the project lead's writers change it and report its progress."""
        return self.writes and self.acting_id in (milestone["owner"]["id"], self.lead_id)

    def asks_sign_off(self, milestone: dict[str, Any]) -> bool:
        return (
            self.edits(milestone)
            and milestone["counterpart"] is not None
            and not milestone["completionRequested"]
            and milestone["status"] not in CLOSED
        )

    def signs_off(self, milestone: dict[str, Any]) -> bool:
        counterpart = milestone["counterpart"]
        return (
            self.writes
            and counterpart is not None
            and counterpart["id"] == self.acting_id
            and bool(milestone["completionRequested"])
            and milestone["status"] not in CLOSED
        )


# Words and numbers as the page shows them ----------------------------------------------------


def yen(amount: float | None) -> str:
    return formats.format_yen(Decimal(str(amount)), suffix=True) if amount is not None else ""


def number(amount: float | None) -> str:
    """A KPI value: grouped digits, up to four decimals, no trailing zeros."""
    if amount is None:
        return ""
    text = f"{Decimal(str(amount)):,.4f}".rstrip("0").rstrip(".")
    return text


def words(table: dict[str, str], code: str | None) -> str:
    return label(table, code) if code else ""


HELPERS: dict[str, Any] = {
    "yen": yen,
    "number": number,
    "words": words,
}


# Forms ----------------------------------------------------------------------------------------


def _paths(request: Request) -> tuple[str, str]:
    return request.path_params["id"], f"/app/projects/{request.path_params['id']}"


# The project ----------------------------------------------------------------------------------


async def _project_page(
    console: Console,
    request: Request,
    *,
    failed: str | None = None,
    errors: dict[str | None, list[str]] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    project_id, _here = _paths(request)
    data = await console.run(request, "ProjectPage", {"id": project_id})
    project = data["project"]
    if project is None:
        raise PageError(404, _(NOT_FOUND["project"]))
    viewer = data["viewer"]
    powers = Powers.of(viewer, project)
    participants = project["participants"]["nodes"]
    activity = list(reversed(project["activity"]["nodes"]))
    return console.render(
        request,
        "projects/project.html",
        status=422 if errors else 200,
        chrome=viewer,
        project=project,
        participants=participants,
        milestones=project["milestones"]["nodes"],
        kpis=project["kpis"]["nodes"],
        activity=activity,
        powers=powers,
        counterparts=[
            (p["organization"]["id"], p["organization"]["name"])
            for p in participants
            if p["status"] == "ACTIVE" and p["organization"]["id"] != powers.acting_id
        ],
        horizons=[(str(n), ngettext_years(n)) for n in HORIZONS],
        exports=[(f"/exports/projects/{project['id']}/{f}", _(text)) for f, text in EXPORTS],
        grants=project["grantApplications"],
        grant_schemes=[
            (
                s["id"],
                f"{s['name']} ({formats.fiscal_year_label(s['fiscalYear'])})",
            )
            for s in data["grantSchemes"]
        ],
        steps_grants=powers.steps_grants(viewer),
        grant_steps=GRANT_STEPS,
        grant_amounts=GRANT_AMOUNTS,
        grant_days=GRANT_DAYS,
        today=_today_iso(),
        variance_changes=VARIANCE_CHANGES,
        failed=failed,
        errors=errors or {},
        typed=typed or {},
        **HELPERS,
    )


def _today_iso() -> str:
    return today().isoformat()


def ngettext_years(n: int) -> str:
    return ngettext("{n} year", "{n} years", n)


async def project_page(console: Console, request: Request) -> Response:
    return await _project_page(console, request)


async def add_milestone(console: Console, request: Request) -> Response:
    project_id, here = _paths(request)
    fields = Fields(await console.form(request))
    title = fields.text("title", required=True)
    due_on = fields.day("dueOn", required=True)
    starts_on = fields.day("startsOn")
    horizon = fields.integer("horizonYears", required=True)
    return await submit(
        console,
        request,
        fields,
        "ProjectCreateMilestone",
        {
            "projectId": project_id,
            "title": title,
            "dueOn": due_on,
            "startsOn": starts_on,
            "horizonYears": horizon,
            "counterpartOrganizationId": fields.text("counterpartOrganizationId"),
            "description": fields.text("description") or "",
        },
        again=partial(_project_page, console, request, failed="milestone"),
        done=(here, "project_milestone_added"),
    )


async def create_baseline(console: Console, request: Request) -> Response:
    project_id, here = _paths(request)
    fields = Fields(await console.form(request))
    name = fields.text("name", required=True)
    return await submit(
        console,
        request,
        fields,
        "ProjectCreateBaseline",
        {"projectId": project_id, "name": name},
        again=partial(_project_page, console, request, failed="baseline"),
        done=(here, "project_baseline_created"),
    )


async def create_grant(console: Console, request: Request) -> Response:
    """A new grant application, at 構想: its scheme, title, cost and, where the scheme's 補助率
    is unconfirmed, the rate it assumes."""
    project_id, here = _paths(request)
    fields = Fields(await console.form(request))
    scheme_id = fields.text("schemeId", required=True)
    title = fields.text("title", required=True)
    cost = fields.integer("requestedCostJpy", required=True)
    rate = fields.decimal("rate")
    return await submit(
        console,
        request,
        fields,
        "ProjectCreateGrantApplication",
        {
            "projectId": project_id,
            "schemeId": scheme_id,
            "title": title,
            "requestedCostJpy": cost,
            "rate": rate,
            "usesRegionAllowance": fields.text("usesRegionAllowance") is not None,
        },
        again=partial(_project_page, console, request, failed="grant"),
        done=(here, "project_grant_created"),
    )


async def grant_step(console: Console, request: Request) -> Response:
    """A grant application's next step, as its form names it (`to`)."""
    _id, here = _paths(request)
    fields = Fields(await console.form(request))
    to = fields.text("to", required=True) or ""
    if to not in GRANT_STEPS:
        raise PageError(400, _("This step does not exist."))
    _label, operation, amount_field = GRANT_STEPS[to]
    day_field, _day_label = GRANT_DAYS[to]
    form_input: dict[str, Any] = {
        "applicationId": request.path_params["gid"],
        day_field: fields.day(day_field, required=True),
    }
    if amount_field is not None:
        form_input[amount_field] = fields.decimal(amount_field, required=True)
    if to == "DECIDED":
        form_input["reportDueOn"] = fields.day("reportDueOn")
        form_input["conditions"] = fields.text("conditions") or ""
    return await submit(
        console,
        request,
        fields,
        operation,
        form_input,
        again=partial(
            _project_page, console, request, failed="grant:" + request.path_params["gid"]
        ),
        done=(here, "project_grant_step"),
    )


# A milestone ----------------------------------------------------------------------------------


async def _milestone_page(
    console: Console,
    request: Request,
    *,
    failed: str | None = None,
    errors: dict[str | None, list[str]] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    data = await console.run(request, "ProjectMilestonePage", {"id": request.path_params["mid"]})
    milestone = data["milestone"]
    if milestone is None or milestone["project"] is None:
        raise PageError(404, _(NOT_FOUND["milestone"]))
    viewer = data["viewer"]
    project = milestone["project"]
    powers = Powers.of(viewer, project)
    waits_for = {m["id"] for m in milestone["dependsOn"]}
    return console.render(
        request,
        "projects/milestone.html",
        status=422 if errors else 200,
        chrome=viewer,
        milestone=milestone,
        project=project,
        powers=powers,
        here=f"/app/projects/{project['id']}/milestones/{milestone['id']}",
        statuses=[
            (code, enum_label("MilestoneStatus", code))
            for code in [milestone["status"], *milestone["allowedTransitions"]]
        ],
        predecessors=[
            (m["id"], _("{title} (due {due})", title=m["title"], due=api_day(m["dueOn"])))
            for m in project["milestones"]["nodes"]
            if m["id"] != milestone["id"] and m["id"] not in waits_for
        ],
        activity=list(reversed(milestone["activity"]["nodes"])),
        failed=failed,
        errors=errors or {},
        typed=typed or {},
        **HELPERS,
    )


async def milestone_page(console: Console, request: Request) -> Response:
    return await _milestone_page(console, request)


def _milestone_url(request: Request) -> str:
    _id, here = _paths(request)
    return f"{here}/milestones/{request.path_params['mid']}"


async def change_status(console: Console, request: Request) -> Response:
    fields = Fields(await console.form(request))
    version = fields.integer("version", required=True)
    progress = fields.integer("progress")
    status = fields.text("status")
    return await submit(
        console,
        request,
        fields,
        "ProjectChangeMilestoneStatus",
        {
            "id": request.path_params["mid"],
            "version": version,
            # The status it has is no change: only a new one is sent.
            "status": status if status != fields.text("current") else None,
            "progress": progress,
            "atRiskReason": fields.text("atRiskReason"),
        },
        again=partial(_milestone_page, console, request, failed="status"),
        done=(_milestone_url(request), "project_milestone_updated"),
    )


async def reschedule(console: Console, request: Request) -> Response:
    fields = Fields(await console.form(request))
    version = fields.integer("version", required=True)
    due_on = fields.day("dueOn", required=True)
    # An empty start date clears it: the milestone then starts when it is due.
    starts_on = fields.day("startsOn")
    return await submit(
        console,
        request,
        fields,
        "ProjectRescheduleMilestone",
        {
            "id": request.path_params["mid"],
            "version": version,
            "startsOn": starts_on,
            "dueOn": due_on,
        },
        again=partial(_milestone_page, console, request, failed="schedule"),
        done=(_milestone_url(request), "project_milestone_rescheduled"),
    )


async def request_sign_off(console: Console, request: Request) -> Response:
    fields = Fields(await console.form(request))
    version = fields.integer("version", required=True)
    return await submit(
        console,
        request,
        fields,
        "ProjectChangeMilestoneStatus",
        {"id": request.path_params["mid"], "version": version, "progress": 100},
        again=partial(_milestone_page, console, request, failed="action"),
        done=(_milestone_url(request), "project_sign_off_requested"),
        keep_typed=False,
    )


async def sign_off(console: Console, request: Request) -> Response:
    fields = Fields(await console.form(request))
    version = fields.integer("version", required=True)
    return await submit(
        console,
        request,
        fields,
        "ProjectSignOffMilestone",
        {"id": request.path_params["mid"], "version": version},
        again=partial(_milestone_page, console, request, failed="action"),
        done=(_milestone_url(request), "project_signed_off"),
        keep_typed=False,
    )


async def add_dependency(console: Console, request: Request) -> Response:
    fields = Fields(await console.form(request))
    predecessor = fields.text("predecessorId", required=True)
    return await submit(
        console,
        request,
        fields,
        "ProjectAddMilestoneDependency",
        {"predecessorId": predecessor, "successorId": request.path_params["mid"]},
        again=partial(_milestone_page, console, request, failed="dependency"),
        done=(_milestone_url(request), "project_dependency_added"),
    )


# A KPI ----------------------------------------------------------------------------------------


async def _kpi_page(
    console: Console,
    request: Request,
    *,
    errors: dict[str | None, list[str]] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    data = await console.run(request, "ProjectKpiPage", {"id": request.path_params["kid"]})
    kpi = data["kpi"]
    if kpi is None or kpi["project"] is None:
        raise PageError(404, _(NOT_FOUND["kpi"]))
    viewer = data["viewer"]
    project = kpi["project"]
    return console.render(
        request,
        "projects/kpi.html",
        status=422 if errors else 200,
        chrome=viewer,
        kpi=kpi,
        project=project,
        powers=Powers.of(viewer, project),
        observations=list(reversed(kpi["observations"]["nodes"])),
        here=f"/app/projects/{project['id']}/kpis/{kpi['id']}",
        errors=errors or {},
        typed=typed or {},
        **HELPERS,
    )


async def kpi_page(console: Console, request: Request) -> Response:
    return await _kpi_page(console, request)


async def record_observation(console: Console, request: Request) -> Response:
    fields = Fields(await console.form(request))
    period_start = fields.day("periodStart", required=True)
    period_end = fields.day("periodEnd", required=True)
    amount = fields.decimal("value", required=True)
    _id, here = _paths(request)
    return await submit(
        console,
        request,
        fields,
        "ProjectRecordKpiObservation",
        {
            "kpiId": request.path_params["kid"],
            "periodStart": period_start,
            "periodEnd": period_end,
            "value": amount,
            "note": fields.text("note") or "",
        },
        again=partial(_kpi_page, console, request),
        done=(f"{here}/kpis/{request.path_params['kid']}", "project_observation_recorded"),
    )


def routes(console: Console) -> list[Route]:
    console.notices.update(
        project_milestone_added=N_("The milestone was added."),
        project_baseline_created=N_("The baseline was saved."),
        project_milestone_updated=N_("The milestone was updated."),
        project_milestone_rescheduled=N_("The milestone's dates were changed."),
        project_sign_off_requested=N_("The counterpart was asked to sign the milestone off."),
        project_signed_off=N_("You signed the milestone off: it is done."),
        project_dependency_added=N_("The dependency was added."),
        project_observation_recorded=N_("The observation was recorded."),
        project_grant_created=N_("The grant application was started (構想)."),
        project_grant_step=N_("The grant application moved to its next step."),
    )
    base = "/app/projects/{id}"
    milestone = base + "/milestones/{mid}"
    kpi = base + "/kpis/{kid}"
    page = console.page
    return [
        Route(base, page(project_page), methods=["GET"]),
        Route(base + "/milestones", page(add_milestone), methods=["POST"]),
        Route(base + "/baselines", page(create_baseline), methods=["POST"]),
        Route(base + "/grants", page(create_grant), methods=["POST"]),
        Route(base + "/grants/{gid}/step", page(grant_step), methods=["POST"]),
        Route(milestone, page(milestone_page), methods=["GET"]),
        Route(milestone + "/status", page(change_status), methods=["POST"]),
        Route(milestone + "/schedule", page(reschedule), methods=["POST"]),
        Route(milestone + "/request-sign-off", page(request_sign_off), methods=["POST"]),
        Route(milestone + "/sign-off", page(sign_off), methods=["POST"]),
        Route(milestone + "/dependencies", page(add_dependency), methods=["POST"]),
        Route(kpi, page(kpi_page), methods=["GET"]),
        Route(kpi + "/observations", page(record_observation), methods=["POST"]),
    ]
