"""The match page (/app/matches/{id}), the same for the firm and the professional.

It shows the lifecycle step by step, and offers only the steps the API lists for the viewer's
side (Match.allowedSteps, from renkei.talent.lifecycle.STEPS); each step's form runs its one
public mutation. The firm also keeps the cost ledger and reads the estimated subsidy with its
formula and the evidence packet; the professional sees none of that (the API gives it nothing).
Both read the match's activity, newest first: each step, when, and who took it (Match.activity:
the firm reads the professional by pseudonym until both sides have accepted).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.graphql.console.app import PageError
from renkei.graphql.console.forms import Fields, post, unplaced
from renkei.graphql.console.talent import WRITERS
from renkei.i18n.messages import N_, _

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console

MATCHES = "/app/matches"
# The lifecycle as the page draws it; DECLINED, WITHDRAWN and EXPIRED end it early.
PATH = ("PROPOSED", "ACCEPTED", "INTERVIEW", "CONTRACTED", "ACTIVE", "COMPLETED")
OPENINGS = ("PROPOSED", "APPLIED", "SCOUTED")
ENDED = ("DECLINED", "WITHDRAWN", "EXPIRED")

# The fields of the page's forms: a userError of another field is shown at the top.
FIELDS = frozenset(
    {"at", "feeJpy", "hoursPerMonth", "startsOn", "endsOn", "rating", "review"}
    | {"kind", "amountJpy", "incurredOn", "visitDays", "note"}
)
Errors = dict[str | None, list[str]]
Build = Callable[[str, Fields], dict[str, Any]]


def _step(match_id: str, fields: Fields) -> dict[str, Any]:
    return {"matchId": match_id, "version": fields.integer("version")}


def _interview(match_id: str, fields: Fields) -> dict[str, Any]:
    return {**_step(match_id, fields), "at": fields.moment("at", required=True)}


def _contract(match_id: str, fields: Fields) -> dict[str, Any]:
    return {
        **_step(match_id, fields),
        "feeJpy": fields.integer("feeJpy", required=True),
        "hoursPerMonth": fields.integer("hoursPerMonth", required=True),
        "startsOn": fields.day("startsOn", required=True),
        "endsOn": fields.day("endsOn"),
    }


def _review(match_id: str, fields: Fields) -> dict[str, Any]:
    return {
        **_step(match_id, fields),
        "rating": fields.integer("rating", required=True),
        "review": fields.text("review") or "",
    }


def _cost(match_id: str, fields: Fields) -> dict[str, Any]:
    return {
        "matchId": match_id,
        "kind": fields.text("kind") or "FEE",
        "amountJpy": fields.integer("amountJpy", required=True),
        "incurredOn": fields.day("incurredOn", required=True),
        "visitDays": fields.integer("visitDays") or 0,
        "note": fields.text("note") or "",
    }


# step (as allowedSteps names it, and in the form's address) -> (mutation, input, notice)
STEPS: dict[str, tuple[str, Build, str]] = {
    "accept": ("TalentAcceptMatch", _step, "match-accepted"),
    "decline": ("TalentDeclineMatch", _step, "match-declined"),
    "withdraw": ("TalentWithdrawMatch", _step, "match-withdrawn"),
    "scheduleInterview": ("TalentScheduleInterview", _interview, "match-interview"),
    "recordContract": ("TalentRecordContract", _contract, "match-contract-recorded"),
    "confirmContract": ("TalentConfirmContract", _step, "match-contract-confirmed"),
    "start": ("TalentStartMatch", _step, "match-started"),
    "complete": ("TalentCompleteMatch", _review, "match-completed"),
    "review": ("TalentReviewMatch", _review, "match-reviewed"),
    "cost": ("TalentRecordCost", _cost, "match-cost"),
}


def progress(status: str) -> list[tuple[str, str]]:
    """Each step of the path with where the match stands: done, current or to come."""
    current = "PROPOSED" if status in OPENINGS else status
    position = PATH.index(current) if current in PATH else -1
    shown = []
    for index, step in enumerate(PATH):
        code = status if step == "PROPOSED" and status in OPENINGS else step
        state = "done" if index < position else "current" if index == position else "todo"
        shown.append((code, state))
    return shown


async def _match_page(
    console: Console,
    request: Request,
    *,
    step: str | None = None,
    errors: Errors | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    data = await console.run(request, "TalentMatch", {"id": request.path_params["id"]})
    match = data["match"]
    if match is None:
        raise PageError(404, _("No such match."))
    errors = errors or {}
    viewer = data["viewer"]
    # A firm's viewers read its matches; only its writers take steps (the API refuses others).
    may_act = match["side"] == "PROFESSIONAL" or viewer["role"] in WRITERS
    return console.render(
        request,
        "talent/match.html",
        status=422 if errors else 200,
        chrome=viewer,
        match=match,
        steps_now=match["allowedSteps"] if may_act else [],
        may_act=may_act,
        steps=progress(match["status"]),
        ended=match["status"] in ENDED,
        failed_step=step,
        typed=typed or {},
        # The match's steps, newest first; the firm reads the professional by pseudonym
        # until both sides have accepted (the API's MatchStep.actor).
        activity=list(reversed(match["activity"])),
        errors=errors,
        form_errors=unplaced(errors, FIELDS),
    )


async def match_page(console: Console, request: Request) -> Response:
    return await _match_page(console, request)


async def take_step(console: Console, request: Request) -> Response:
    step = request.path_params["step"]
    if step not in STEPS:
        raise PageError(404, _("No such step."))
    operation, build, notice = STEPS[step]
    match_id = request.path_params["id"]
    return await post(
        console,
        request,
        operation,
        partial(build, match_id),
        again=partial(_match_page, console, request, step=step),
        done=(f"{MATCHES}/{match_id}", notice),
    )


def routes(console: Console) -> list[Route]:
    console.notices.update(
        {
            "match-accepted": N_("You accepted the match."),
            "match-declined": N_("You declined the match."),
            "match-withdrawn": N_("You withdrew from the match."),
            "match-interview": N_("The interview is scheduled."),
            "match-contract-recorded": N_(
                "The contract terms are recorded; the professional is asked to confirm them."
            ),
            "match-contract-confirmed": N_("You confirmed the contract."),
            "match-started": N_("The engagement has started."),
            "match-completed": N_("The engagement is completed. Thank you for your review."),
            "match-reviewed": N_("Thank you for your review."),
            "match-cost": N_("The cost is added to the ledger."),
        }
    )
    return [
        Route(MATCHES + "/{id}", console.page(match_page), methods=["GET"]),
        Route(MATCHES + "/{id}/{step}", console.page(take_step), methods=["POST"]),
    ]
