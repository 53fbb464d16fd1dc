"""The 効果検証 pages of a region: its evaluation rounds, and a round's page (participation by
産官学金労言, the KPIs' attainment at its date, findings and improvements) with the forms that
build it, record it (freezing its figures) and publish its report.

Each GET runs named operations (operations/evaluations.graphql); each form one mutation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.evaluations.participation import LABELS, REQUIRED, SHORT, SectorCategory
from renkei.graphql.console.app import PageError, value
from renkei.graphql.console.regions import _day
from renkei.i18n.messages import N_, _
from renkei.kpis.goals import REASONS, period_label

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console


def _not_found() -> PageError:
    return PageError(404, _("There is no evaluation round at this address, or you may not see it."))


def _sectors(present: list[str], participants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for p in participants:
        counts[p["category"]] = counts.get(p["category"], 0) + 1
    return [
        {
            "code": c.value,
            "short": _(SHORT[c]),
            "label": _(LABELS[c]),
            "count": counts.get(c.value, 0),
            "required": c in REQUIRED,
        }
        for c in SectorCategory
    ]


async def index(console: Console, request: Request, **extra: Any) -> Response:
    slug = request.path_params["slug"]
    data = await console.run(request, "EvaluationRounds", {"slug": slug})
    region = data["region"]
    if region is None:
        raise PageError(404, _("There is no region at this address, or you may not see it."))
    listed = await console.run(request, "EvaluationRoundList", {"region": region["id"]})
    rounds = [{**r, "heldOn": _day(r["heldOn"])} for r in listed["evaluationRounds"]]
    return console.render(
        request,
        "evaluations/index.html",
        status=extra.pop("status", 200),
        chrome=data["viewer"],
        region=region,
        rounds=rounds,
        errors=extra.get("errors", {}),
        typed=extra.get("typed", {}),
    )


async def create(console: Console, request: Request) -> Response:
    form = await console.form(request)
    slug = request.path_params["slug"]
    typed = {"title": value(form, "title"), "heldOn": value(form, "heldOn")}
    outcome = await console.mutate(
        request,
        "EvaluationRoundCreate",
        {
            "input": {
                "regionId": value(form, "region") or "",
                "title": typed["title"] or "",
                "heldOn": typed["heldOn"] or "",
                "summary": value(form, "summary") or "",
            }
        },
    )
    if not outcome.ok:
        return await index(console, request, status=422, errors=outcome.by_field(), typed=typed)
    created = outcome.payload["evaluationRound"]["id"]
    raise console.done(f"/app/regions/{slug}/evaluations/{created}", "evaluation_created")


async def show(console: Console, request: Request, **extra: Any) -> Response:
    slug, round_id = request.path_params["slug"], request.path_params["id"]
    data = await console.run(request, "EvaluationRoundPage", {"slug": slug, "id": round_id})
    region, found = data["region"], data["node"]
    if region is None or not found or found.get("regionId") != region["id"]:
        raise _not_found()
    reviews = [
        {
            **r,
            "targetPeriod": period_label(r["targetPeriod"]) if r["targetPeriod"] else "",
            "latestPeriodEnd": _day(r["latestPeriodEnd"]),
            "reason": _(REASONS[r["reasonCode"]]) if r["reasonCode"] in REASONS else None,
        }
        for r in found["kpiReviews"]
    ]
    findings = [{**f, "dueOn": _day(f["dueOn"])} for f in found["findings"]]
    rollup = region["kpiRollup"]
    kpis = [e["kpi"] for e in rollup["included"] + rollup["excluded"]]
    return console.render(
        request,
        "evaluations/round.html",
        status=extra.pop("status", 200),
        chrome=data["viewer"],
        region=region,
        round=found,
        held_on=_day(found["heldOn"]),
        sectors=_sectors(found["sectorsPresent"], found["participants"]),
        missing=[_(SHORT[SectorCategory(c)]) for c in found["sectorsMissing"]],
        reviews=reviews,
        findings=[f for f in findings if f["kind"] == "FINDING"],
        improvements=[f for f in findings if f["kind"] == "IMPROVEMENT"],
        organizations=[m["organization"] for m in region["members"]["nodes"]],
        kpis=kpis,
        errors=extra.get("errors", {}),
    )


# action → (the operation, its input from the form and the round's id, the notice)
_ACTIONS: dict[str, tuple[str, Callable[[Any, str], dict[str, Any]], str]] = {
    "participant": (
        "EvaluationParticipantAdd",
        lambda form, rid: {"roundId": rid, "organizationId": value(form, "organization") or ""},
        "evaluation_participant_added",
    ),
    "kpi": (
        "EvaluationKpiReviewAdd",
        lambda form, rid: {
            "roundId": rid,
            "kpiId": value(form, "kpi") or "",
            "comment": value(form, "comment") or "",
        },
        "evaluation_kpi_added",
    ),
    "finding": (
        "EvaluationFindingAdd",
        lambda form, rid: {
            "roundId": rid,
            "kind": "IMPROVEMENT" if value(form, "kind") == "IMPROVEMENT" else "FINDING",
            "body": value(form, "body") or "",
            "ownerId": value(form, "owner"),
            "dueOn": value(form, "dueOn"),
            "projectId": value(form, "project"),
        },
        "evaluation_finding_added",
    ),
    "record": ("EvaluationRoundRecord", lambda form, rid: {"id": rid}, "evaluation_recorded"),
    "publish": ("EvaluationRoundPublish", lambda form, rid: {"id": rid}, "evaluation_published"),
}


async def act(console: Console, request: Request) -> Response:
    form = await console.form(request)
    slug, round_id = request.path_params["slug"], request.path_params["id"]
    action = _ACTIONS.get(request.path_params["action"])
    if action is None:
        raise _not_found()
    operation, make_input, notice = action
    outcome = await console.mutate(request, operation, {"input": make_input(form, round_id)})
    if not outcome.ok:
        return await show(console, request, status=422, errors=outcome.by_field())
    raise console.done(f"/app/regions/{slug}/evaluations/{round_id}", notice)


def routes(console: Console) -> list[Route]:
    console.notices.update(
        evaluation_created=N_("The evaluation round was opened as a draft."),
        evaluation_participant_added=N_("The organization was added to the participants."),
        evaluation_kpi_added=N_("The KPI was added to the round."),
        evaluation_finding_added=N_("Added. An improvement became a milestone of the project."),
        evaluation_recorded=N_("The round was recorded: its figures are frozen."),
        evaluation_published=N_("The report was published: anyone can now open it."),
    )
    return [
        Route("/app/regions/{slug}/evaluations", console.page(index), methods=["GET"]),
        Route("/app/regions/{slug}/evaluations", console.page(create), methods=["POST"]),
        Route("/app/regions/{slug}/evaluations/{id}", console.page(show), methods=["GET"]),
        Route("/app/regions/{slug}/evaluations/{id}/{action}", console.page(act), methods=["POST"]),
    ]
