"""The match page (/app/matches/{id}), the same for the firm and the professional.

It shows the lifecycle step by step, and offers only the steps the API lists for the viewer's
side (Match.allowedSteps, from renkei.talent.lifecycle.STEPS); each step's form runs its one
public mutation. The firm also keeps the cost ledger and reads the estimated subsidy with its
formula and the evidence packet; the professional sees none of that (the API gives it nothing).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.graphql.console.app import PageError, value
from renkei.graphql.console.forms import whole_number
from renkei.graphql.console.talent import WRITERS, unplaced
from renkei.graphql.scalars import InvalidDate, parse_date
from renkei.i18n.messages import N_, _

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console

MATCHES = "/app/matches"
# The lifecycle as the page draws it; DECLINED, WITHDRAWN and EXPIRED end it early.
PATH = ("PROPOSED", "ACCEPTED", "INTERVIEW", "CONTRACTED", "ACTIVE", "COMPLETED")
OPENINGS = ("PROPOSED", "APPLIED", "SCOUTED")
ENDED = ("DECLINED", "WITHDRAWN", "EXPIRED")
# Japan Standard Time: a time typed in the form without a zone is Japan's.
_ZONED = re.compile(r"(Z|[+-]\d\d:\d\d)$")

# The fields of the page's forms: a userError of another field is shown at the top.
FIELDS = frozenset(
    {"at", "feeJpy", "hoursPerMonth", "startsOn", "endsOn", "rating", "review"}
    | {"kind", "amountJpy", "incurredOn", "visitDays", "note"}
)
Errors = dict[str | None, list[str]]
Build = Callable[[str, FormData, Errors], dict[str, Any]]


def _date(form: FormData, name: str, errors: Errors, *, required: bool = True) -> str | None:
    typed = value(form, name)
    if typed is None and not required:
        return None
    try:
        return parse_date(typed).isoformat()
    except InvalidDate as invalid:
        errors[name] = [invalid.reason()]
        return None


def _number(form: FormData, name: str, errors: Errors) -> int | None:
    number = whole_number(value(form, name))
    if number is None:
        errors[name] = [_("Enter a whole number.")]
    return number


def _step(match_id: str, form: FormData, errors: Errors) -> dict[str, Any]:
    return {"matchId": match_id, "version": whole_number(value(form, "version"))}


def _interview(match_id: str, form: FormData, errors: Errors) -> dict[str, Any]:
    at = unicodedata.normalize("NFKC", value(form, "at") or "")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)?", at):
        errors["at"] = [_("Enter the date and time of the interview.")]
    elif not _ZONED.search(at):
        at += "+09:00"
    return {**_step(match_id, form, errors), "at": at}


def _contract(match_id: str, form: FormData, errors: Errors) -> dict[str, Any]:
    return {
        **_step(match_id, form, errors),
        "feeJpy": _number(form, "feeJpy", errors),
        "hoursPerMonth": _number(form, "hoursPerMonth", errors),
        "startsOn": _date(form, "startsOn", errors),
        "endsOn": _date(form, "endsOn", errors, required=False),
    }


def _review(match_id: str, form: FormData, errors: Errors) -> dict[str, Any]:
    return {
        **_step(match_id, form, errors),
        "rating": _number(form, "rating", errors),
        "review": value(form, "review") or "",
    }


def _cost(match_id: str, form: FormData, errors: Errors) -> dict[str, Any]:
    visit_days = whole_number(value(form, "visitDays")) if value(form, "visitDays") else 0
    if visit_days is None:
        errors["visitDays"] = [_("Enter a whole number.")]
    return {
        "matchId": match_id,
        "kind": value(form, "kind") or "FEE",
        "amountJpy": _number(form, "amountJpy", errors),
        "incurredOn": _date(form, "incurredOn", errors),
        "visitDays": visit_days or 0,
        "note": value(form, "note") or "",
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
    form: FormData | None = None,
    errors: Errors | None = None,
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
        typed={key: form.get(key) for key in form} if form is not None else {},
        errors=errors,
        form_errors=unplaced(errors, FIELDS),
    )


async def match_page(console: Console, request: Request) -> Response:
    return await _match_page(console, request)


async def take_step(console: Console, request: Request) -> Response:
    step = request.path_params["step"]
    if step not in STEPS:
        raise PageError(404, _("No such step."))
    form = await console.form(request)
    operation, build, notice = STEPS[step]
    errors: Errors = {}
    variables = build(request.path_params["id"], form, errors)
    if not errors:
        outcome = await console.mutate(request, operation, {"input": variables})
        if outcome.ok:
            raise console.done(f"{MATCHES}/{request.path_params['id']}", notice)
        errors = outcome.by_field()
    return await _match_page(console, request, step=step, form=form, errors=errors)


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
