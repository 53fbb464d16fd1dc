"""The firm's talent pages: its needs (人材ニーズ), a need's form, and a need with its proposals.

Every page is one named query of operations/talent.graphql; every form one public mutation. The
API decides who may do what (a professional or another firm is refused there); the pages offer
only what the API lists as possible (a need's allowedTransitions, a match's allowedSteps).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.graphql.console.app import PageError, acting_organization, value
from renkei.graphql.console.forms import whole_number
from renkei.graphql.scalars import InvalidDate, parse_date
from renkei.i18n.messages import N_, _

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console

NEEDS = "/app/talent/needs"
# Whole numbers of the need's form, by field.
_NUMBERS = (
    "hoursPerMonth",
    "durationMonths",
    "siteVisitsPerMonth",
    "feeMinJpy",
    "feeMaxJpy",
    "openings",
)
# The roles that may act for a firm on its needs and matches (renkei.talent.service.WRITERS).
WRITERS = ("OWNER", "ADMIN", "MEMBER")
_TEXTS = ("title", "challenge", "deliverables", "workplaceMunicipality")
# "財務, 資金調達: 0.8": skills by any name, each with an optional weight after a colon.
_SKILL_SEPARATORS = re.compile(r"[,、，\n]+")


FORM_FIELDS = frozenset(
    {*_NUMBERS, *_TEXTS, "requiredSkills", "preferredSkills", "startsOn", "remotePolicy"}
    | {"engagementTypes", "workplacePrefectureCode"}
)


def firm_writer(viewer: dict[str, Any], firm_id: str | None) -> bool:
    """Whether the viewer acts for the firm (any firm when None) in a role that writes."""
    acting = viewer["actingOrganization"]
    if acting is None or viewer["role"] not in WRITERS:
        return False
    return firm_id is None or acting["id"] == firm_id


def unplaced(errors: dict[str | None, list[str]], fields: frozenset[str]) -> list[str]:
    """The messages no field of the form shows: the form's own, and those of other fields."""
    return [m for key, messages in errors.items() if key not in fields for m in messages]


def weighted_skills(text: str | None) -> list[dict[str, Any]] | None:
    """The skills of a field, each {"skill", "weight"}; None when a weight is not a number."""
    skills: list[dict[str, Any]] = []
    for part in _SKILL_SEPARATORS.split(unicodedata.normalize("NFKC", text or "")):
        name, _colon, weight = part.partition(":")
        if not name.strip():
            continue
        entry: dict[str, Any] = {"skill": name.strip()}
        if weight.strip():
            try:
                entry["weight"] = float(weight)
            except ValueError:
                return None
        skills.append(entry)
    return skills


def skills_text(skills: list[dict[str, Any]]) -> str:
    """A need's weighted skills as the form shows them: 「生産管理: 1, 品質管理: 0.7」."""
    return ", ".join(f"{s['skill']['nameJa']}: {s['weight']:g}" for s in skills)


def need_input(form: FormData) -> tuple[dict[str, Any], dict[str | None, list[str]]]:
    """The need's fields as the API takes them, and what the form itself finds wrong."""
    fields: dict[str, Any] = {name: value(form, name) or "" for name in _TEXTS}
    errors: dict[str | None, list[str]] = {}
    for name in _NUMBERS:
        number = whole_number(value(form, name))
        if number is None:
            errors[name] = [_("Enter a whole number.")]
        fields[name] = number
    for name in ("requiredSkills", "preferredSkills"):
        skills = weighted_skills(value(form, name))
        if skills is None:
            errors[name] = [_("Write each weight as a number from 0 to 1, e.g. 財務: 0.8.")]
        fields[name] = skills or []
    starts_on = value(form, "startsOn")
    try:
        fields["startsOn"] = parse_date(starts_on).isoformat()
    except InvalidDate as invalid:
        errors["startsOn"] = [invalid.reason()]
    fields["remotePolicy"] = value(form, "remotePolicy") or "REMOTE"
    fields["engagementTypes"] = [value(form, "engagementType") or "SIDE_JOB"]
    fields["workplacePrefectureCode"] = value(form, "workplacePrefectureCode") or ""
    return fields, errors


def _form_values(need: dict[str, Any] | None, form: FormData | None) -> dict[str, Any]:
    """What the form's fields show: the typed values, else the need's, else defaults."""
    if form is not None:
        return {key: form.get(key) for key in form}
    if need is None:
        return {
            "engagementType": "SIDE_JOB",
            "remotePolicy": "REMOTE",
            "durationMonths": 6,
            "siteVisitsPerMonth": 0,
            "openings": 1,
        }
    shown = {name: need[name] for name in (*_TEXTS, *_NUMBERS, "startsOn", "remotePolicy")}
    shown["engagementType"] = (need["engagementTypes"] or ["SIDE_JOB"])[0]
    shown["requiredSkills"] = skills_text(need["requiredSkills"])
    shown["preferredSkills"] = skills_text(need["preferredSkills"])
    prefecture = need["workplacePrefecture"]
    shown["workplacePrefectureCode"] = prefecture["code"] if prefecture else ""
    return shown


async def needs(console: Console, request: Request) -> Response:
    data = await console.run(request, "TalentNeeds", bind=acting_organization)
    viewer = data["viewer"]
    acting = viewer["actingOrganization"]
    own = [
        need
        for status in ("drafts", "open", "paused", "filled", "closed")
        for need in data[status]["nodes"]
        if acting is not None and need["organization"]["id"] == acting["id"]
    ]
    return console.render(
        request,
        "talent/needs.html",
        chrome=viewer,
        needs=own,
        acting=acting,
        writer=firm_writer(viewer, None),
    )


async def _need_form(
    console: Console,
    request: Request,
    *,
    need_id: str | None,
    form: FormData | None = None,
    errors: dict[str | None, list[str]] | None = None,
) -> Response:
    if need_id is None:
        data = await console.run(request, "TalentNeedNew")
        need = None
    else:
        data = await console.run(request, "TalentNeedEdit", {"id": need_id})
        need = data["talentNeed"]
        if need is None:
            raise PageError(404, _("No such talent need."))
    if not firm_writer(data["viewer"], need["organization"]["id"] if need else None):
        raise PageError(403, _("Only a firm's owners, admins and members post and edit its needs."))
    return console.render(
        request,
        "talent/need_form.html",
        status=422 if errors else 200,
        chrome=data["viewer"],
        need=need,
        prefectures=[(p["code"], p["name"]) for p in data["prefectures"]],
        values=_form_values(need, form),
        errors=errors or {},
        top_errors=unplaced(errors or {}, FORM_FIELDS),
    )


async def new_need(console: Console, request: Request) -> Response:
    if request.method == "GET":
        return await _need_form(console, request, need_id=None)
    form = await console.form(request)
    fields, errors = need_input(form)
    if errors:
        return await _need_form(console, request, need_id=None, form=form, errors=errors)
    outcome = await console.mutate(request, "TalentCreateNeed", {"input": fields})
    if not outcome.ok:
        return await _need_form(
            console, request, need_id=None, form=form, errors=outcome.by_field()
        )
    raise console.done(f"{NEEDS}/{outcome.payload['talentNeed']['id']}", "talent-need-created")


async def edit_need(console: Console, request: Request) -> Response:
    need_id = request.path_params["id"]
    if request.method == "GET":
        return await _need_form(console, request, need_id=need_id)
    form = await console.form(request)
    fields, errors = need_input(form)
    if errors:
        return await _need_form(console, request, need_id=need_id, form=form, errors=errors)
    fields.update(id=need_id, version=whole_number(value(form, "version")))
    outcome = await console.mutate(request, "TalentUpdateNeed", {"input": fields})
    if not outcome.ok:
        return await _need_form(
            console, request, need_id=need_id, form=form, errors=outcome.by_field()
        )
    raise console.done(f"{NEEDS}/{need_id}", "talent-need-saved")


async def _need_page(
    console: Console, request: Request, *, errors: list[str] | None = None
) -> Response:
    data = await console.run(request, "TalentNeedPage", {"id": request.path_params["id"]})
    need = data["talentNeed"]
    if need is None:
        raise PageError(404, _("No such talent need."))
    viewer = data["viewer"]
    # The API refuses the firm's steps to anyone else; the page does not offer them.
    writer = firm_writer(viewer, need["organization"]["id"])
    matches = need["matches"]["nodes"]
    here = {m["professional"]["pseudonym"] for m in matches if m["professional"]}
    elsewhere: dict[str, dict[str, Any]] = {}
    for match in data["matches"]["nodes"]:
        pseudonym = (match["professional"] or {}).get("pseudonym")
        if pseudonym and pseudonym not in here and match["need"]["id"] != need["id"]:
            elsewhere.setdefault(pseudonym, match)
    return console.render(
        request,
        "talent/need.html",
        status=422 if errors else 200,
        chrome=viewer,
        need=need,
        writer=writer,
        proposals=sorted(
            (m for m in matches if m["status"] == "PROPOSED"), key=lambda m: m["rank"] or 1000
        ),
        others=[m for m in matches if m["status"] != "PROPOSED"],
        elsewhere=list(elsewhere.values()),
        errors=errors or [],
    )


async def need_page(console: Console, request: Request) -> Response:
    return await _need_page(console, request)


async def _need_action(
    console: Console, request: Request, operation: str, variables: dict[str, Any], notice: str
) -> Response:
    outcome = await console.mutate(request, operation, {"input": variables})
    if not outcome.ok:
        return await _need_page(console, request, errors=[e["message"] for e in outcome.errors])
    raise console.done(f"{NEEDS}/{request.path_params['id']}", notice)


async def change_status(console: Console, request: Request) -> Response:
    form = await console.form(request)
    variables = {
        "id": request.path_params["id"],
        "status": value(form, "status"),
        "version": whole_number(value(form, "version")),
    }
    return await _need_action(
        console, request, "TalentChangeNeedStatus", variables, "talent-need-status"
    )


async def recompute(console: Console, request: Request) -> Response:
    await console.form(request)
    variables = {"needId": request.path_params["id"]}
    return await _need_action(console, request, "TalentRecompute", variables, "talent-recomputed")


async def scout(console: Console, request: Request) -> Response:
    form = await console.form(request)
    variables = {"needId": request.path_params["id"], "matchId": value(form, "match") or ""}
    outcome = await console.mutate(request, "TalentScout", {"input": variables})
    if not outcome.ok:
        return await _need_page(console, request, errors=[e["message"] for e in outcome.errors])
    raise console.done(f"/app/matches/{outcome.payload['match']['id']}", "talent-scouted")


def routes(console: Console) -> list[Route]:
    console.notices.update(
        {
            "talent-need-created": N_("The need is saved as a draft. Open it to get proposals."),
            "talent-need-saved": N_("The need is saved."),
            "talent-need-status": N_("The need's status is changed."),
            "talent-recomputed": N_("The proposals are computed again."),
            "talent-scouted": N_("You scouted the professional; they are asked to accept."),
        }
    )
    return [
        Route(NEEDS, console.page(needs), methods=["GET"]),
        Route(f"{NEEDS}/new", console.page(new_need), methods=["GET", "POST"]),
        Route(NEEDS + "/{id}", console.page(need_page), methods=["GET"]),
        Route(NEEDS + "/{id}/edit", console.page(edit_need), methods=["GET", "POST"]),
        Route(NEEDS + "/{id}/status", console.page(change_status), methods=["POST"]),
        Route(NEEDS + "/{id}/recompute", console.page(recompute), methods=["POST"]),
        Route(NEEDS + "/{id}/scout", console.page(scout), methods=["POST"]),
    ]
