"""The firm's talent pages: its needs (人材ニーズ), a need's form, and a need with its proposals.

Every page is one named query of operations/talent.graphql; every form one public mutation. The
API decides who may do what (a professional or another firm is refused there); the pages offer
only what the API lists as possible (a need's allowedTransitions, a match's allowedSteps).
A need may serve a project the firm takes part in and some of its milestones: the form offers
those projects' milestones, and the need's page links to the ones it serves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.graphql.console.app import PageError, acting_organization
from renkei.graphql.console.forms import Done, Fields, messages, post, unplaced
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
    | {"engagementTypes", "workplacePrefectureCode", "projectId", "milestoneIds"}
)


def firm_writer(viewer: dict[str, Any], firm_id: str | None) -> bool:
    """Whether the viewer acts for the firm (any firm when None) in a role that writes."""
    acting = viewer["actingOrganization"]
    if acting is None or viewer["role"] not in WRITERS:
        return False
    return firm_id is None or acting["id"] == firm_id


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


def need_input(fields: Fields) -> dict[str, Any]:
    """The need's fields as the API takes them; what cannot be sent is left in `fields`."""
    found: dict[str, Any] = {name: fields.text(name) or "" for name in _TEXTS}
    for name in _NUMBERS:
        found[name] = fields.integer(name, required=True)
    for name in ("requiredSkills", "preferredSkills"):
        skills = weighted_skills(fields.text(name))
        if skills is None:
            fields.fail(name, _("Write each weight as a number from 0 to 1, e.g. 財務: 0.8."))
        found[name] = skills or []
    found["startsOn"] = fields.day("startsOn", required=True)
    found["remotePolicy"] = fields.text("remotePolicy") or "REMOTE"
    found["engagementTypes"] = [fields.text("engagementType") or "SIDE_JOB"]
    found["workplacePrefectureCode"] = fields.text("workplacePrefectureCode") or ""
    # The project and its milestones the need serves (the API checks the firm takes part).
    found["projectId"] = fields.text("projectId")
    found["milestoneIds"] = fields.choices("milestoneIds")
    return found


def _form_values(need: dict[str, Any] | None, typed: dict[str, Any] | None) -> dict[str, Any]:
    """What the form's fields show: the typed values, else the need's, else defaults."""
    if typed is not None:
        return dict(typed)
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
    shown["projectId"] = need["project"]["id"] if need["project"] else ""
    return shown


def servable_projects(
    viewer: dict[str, Any], projects: list[dict[str, Any]], need: dict[str, Any] | None
) -> list[Any]:
    """The projects the acting firm takes part in (an active participant), with their
    milestones: those a need of the firm may serve. The need's own project stays on the list
    with the milestones it serves (the firm may have left it), so that saving keeps them."""
    acting = (viewer["actingOrganization"] or {}).get("id")
    found = [
        project
        for project in projects
        if any(p["organization"]["id"] == acting for p in project["participants"]["nodes"])
    ]
    served = need["project"] if need else None
    if served is not None and served["id"] not in {p["id"] for p in found}:
        found.append({**served, "milestones": {"nodes": need["milestones"] if need else []}})
    return found


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
    errors: dict[str | None, list[str]] | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    if need_id is None:
        data = await console.run(request, "TalentNeedNew")
        need = None
    else:
        data = await console.run(request, "TalentNeedEdit", {"id": need_id})
        need = data["talentNeed"]
        if need is None:
            raise PageError(404, _("No such talent need."))
    viewer = data["viewer"]
    if not firm_writer(viewer, need["organization"]["id"] if need else None):
        raise PageError(403, _("Only a firm's owners, admins and members post and edit its needs."))
    projects = servable_projects(viewer, data["projects"]["nodes"], need)
    if typed is not None:
        chosen = typed.get("milestoneIds") or []
    else:
        chosen = [m["id"] for m in need["milestones"]] if need else []
    return console.render(
        request,
        "talent/need_form.html",
        status=422 if errors else 200,
        chrome=viewer,
        need=need,
        prefectures=[(p["code"], p["name"]) for p in data["prefectures"]],
        projects=projects,
        project_options=[(p["id"], p["name"]) for p in projects],
        chosen=chosen,
        values=_form_values(need, typed),
        errors=errors or {},
        top_errors=unplaced(errors or {}, FORM_FIELDS),
    )


async def new_need(console: Console, request: Request) -> Response:
    if request.method == "GET":
        return await _need_form(console, request, need_id=None)
    return await post(
        console,
        request,
        "TalentCreateNeed",
        need_input,
        again=partial(_need_form, console, request, need_id=None),
        done=lambda payload: (f"{NEEDS}/{payload['talentNeed']['id']}", "talent-need-created"),
    )


def _need_changes(need_id: str, fields: Fields) -> dict[str, Any]:
    return {
        **need_input(fields),
        "id": need_id,
        "version": fields.integer("version", required=True),
    }


async def edit_need(console: Console, request: Request) -> Response:
    need_id = request.path_params["id"]
    if request.method == "GET":
        return await _need_form(console, request, need_id=need_id)
    return await post(
        console,
        request,
        "TalentUpdateNeed",
        partial(_need_changes, need_id),
        again=partial(_need_form, console, request, need_id=need_id),
        done=(f"{NEEDS}/{need_id}", "talent-need-saved"),
    )


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


async def _need_page_again(
    console: Console, request: Request, *, errors: dict[str | None, list[str]]
) -> Response:
    return await _need_page(console, request, errors=messages(errors))


async def _need_action(
    console: Console,
    request: Request,
    operation: str,
    build: Callable[[str, Fields], dict[str, Any]],
    done: Done,
) -> Response:
    """One of the need page's buttons: its one mutation, the page again with what it said."""
    return await post(
        console,
        request,
        operation,
        partial(build, request.path_params["id"]),
        again=partial(_need_page_again, console, request),
        done=done,
        keep_typed=False,
    )


async def change_status(console: Console, request: Request) -> Response:
    return await _need_action(
        console,
        request,
        "TalentChangeNeedStatus",
        lambda need_id, fields: {
            "id": need_id,
            "status": fields.text("status"),
            "version": fields.integer("version"),
        },
        (f"{NEEDS}/{request.path_params['id']}", "talent-need-status"),
    )


async def recompute(console: Console, request: Request) -> Response:
    return await _need_action(
        console,
        request,
        "TalentRecompute",
        lambda need_id, _fields: {"needId": need_id},
        (f"{NEEDS}/{request.path_params['id']}", "talent-recomputed"),
    )


async def scout(console: Console, request: Request) -> Response:
    return await _need_action(
        console,
        request,
        "TalentScout",
        lambda need_id, fields: {"needId": need_id, "matchId": fields.text("match") or ""},
        lambda payload: (f"/app/matches/{payload['match']['id']}", "talent-scouted"),
    )


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
