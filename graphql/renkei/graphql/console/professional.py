"""The professional's pages: their home (/app/me) and their profile editor (/app/me/profile).

A professional signs in as themselves, for no organization. The home shows their profile as
firms read it (the anonymized ProfessionalProfile: no name, contact or employer until both sides
accept a match), their matches with the engine's explanation, and accept / decline where the
match waits for them. The editor runs saveProfessionalProfile; skills are typed as words
(財務, ふぁいなんす, a slug) and the API resolves them, with suggestions from the `skills` query
as the person types (htmx) and without JavaScript on saving.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.graphql.console.app import PageError, Redirect
from renkei.graphql.console.forms import Fields, messages, post
from renkei.i18n.formats import JST
from renkei.i18n.messages import N_, _, current_locale

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console

# The skill and tie rows the editor offers: the saved ones, then blank ones to add more.
SPARE_SKILL_ROWS = 3
SPARE_TIE_ROWS = 2
MIN_SKILL_ROWS = 5
MIN_TIE_ROWS = 3
LEVELS = (1, 2, 3, 4, 5)
# Where the match waits for the professional's answer.
ANSWERS = {"accept": "ProfessionalAcceptMatch", "decline": "ProfessionalDeclineMatch"}
# The whole-number fields, and whether the input needs one (the others have defaults).
NUMBERS = {
    "hoursPerMonth": True,
    "maxSiteVisitsPerMonth": False,
    "feeMinJpy": True,
    "feeMaxJpy": True,
    "maxEngagements": False,
}


async def home(console: Console, request: Request) -> Response:
    return await _home(console, request)


async def _home(
    console: Console, request: Request, *, errors: list[str] | None = None, status: int = 200
) -> Response:
    data = await console.run(request, "ProfessionalHome")
    professional = data["myProfessional"]
    if professional and professional["profile"]:
        profile = professional["profile"]
        profile["availableFrom"] = date.fromisoformat(profile["availableFrom"])
    matches = data["matches"]["nodes"]
    for match in matches:
        if match["interviewAt"]:
            match["interviewAt"] = datetime.fromisoformat(match["interviewAt"]).astimezone(JST)
    return console.render(
        request,
        "professional/home.html",
        status=status,
        chrome=data["viewer"],
        professional=professional,
        matches=matches,
        errors=errors or [],
    )


async def _home_again(
    console: Console, request: Request, *, errors: dict[str | None, list[str]]
) -> Response:
    return await _home(console, request, errors=messages(errors), status=422)


def _answer(fields: Fields) -> dict[str, Any]:
    return {"matchId": fields.text("match") or "", "version": fields.integer("version")}


async def answer_match(console: Console, request: Request) -> Response:
    """Accept or decline a match that waits for the professional, from their home."""
    step = request.path_params["step"]
    if step not in ANSWERS:
        raise PageError(404, _("Not found"))
    return await post(
        console,
        request,
        ANSWERS[step],
        _answer,
        again=partial(_home_again, console, request),
        done=("/app/me", "match-accepted" if step == "accept" else "match-declined"),
        keep_typed=False,
    )


# -- the profile editor --------------------------------------------------------------------


def _draft_of(professional: dict[str, Any] | None, chrome: dict[str, Any]) -> dict[str, Any]:
    """The editor's fields from the saved record, or a start for a new one."""
    if professional is None or professional["profile"] is None:
        user = chrome["user"]
        return {
            "fullName": (professional or {}).get("fullName") or user["displayName"] or "",
            "contactEmail": (professional or {}).get("contactEmail") or user["email"] or "",
            "phone": "",
            "currentEmployer": "",
            "headline": "",
            "experienceSummary": "",
            "skills": [],
            "engagementTypes": ["SIDE_JOB"],
            "hoursPerMonth": "",
            "availableFrom": "",
            "remotePreference": "REMOTE",
            "residencePrefectureCode": "",
            "maxSiteVisitsPerMonth": "0",
            "travelPrefectureCodes": [],
            "ties": [],
            "feeMinJpy": "",
            "feeMaxJpy": "",
            "maxEngagements": "1",
            "isOpen": True,
            "version": "",
        }
    profile = professional["profile"]
    residence = profile["residencePrefecture"]
    name = "nameJa" if current_locale() == "ja" else "nameEn"
    return {
        "fullName": professional["fullName"],
        "contactEmail": professional["contactEmail"],
        "phone": professional["phone"] or "",
        "currentEmployer": professional["currentEmployer"] or "",
        "headline": profile["headline"],
        "experienceSummary": profile["experienceSummary"],
        "skills": [
            (s["skill"][name], str(s["level"]), _plain(s["years"])) for s in profile["skills"]
        ],
        "engagementTypes": profile["engagementTypes"],
        "hoursPerMonth": str(profile["hoursPerMonth"]),
        "availableFrom": profile["availableFrom"],
        "remotePreference": profile["remotePreference"],
        "residencePrefectureCode": residence["code"] if residence else "",
        "maxSiteVisitsPerMonth": str(profile["maxSiteVisitsPerMonth"]),
        "travelPrefectureCodes": [p["code"] for p in profile["travelPrefectures"]],
        "ties": [(t["prefecture"]["code"], t["kind"]) for t in profile["ties"]],
        "feeMinJpy": str(profile["feeMinJpy"]),
        "feeMaxJpy": str(profile["feeMaxJpy"]),
        "maxEngagements": str(profile["maxEngagements"]),
        "isOpen": profile["isOpen"],
        "version": str(profile["version"]),
    }


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _draft_from(fields: Fields) -> dict[str, Any]:
    """The editor's fields as posted, to show again beside the errors."""
    form = fields.form
    skills = [
        (str(name).strip(), str(level), str(years).strip())
        for name, level, years in zip(
            form.getlist("skill"), form.getlist("level"), form.getlist("years"), strict=False
        )
        if str(name).strip()
    ]
    ties = [
        (str(code), str(kind))
        for code, kind in zip(
            form.getlist("tie_prefecture"), form.getlist("tie_kind"), strict=False
        )
        if str(code)
    ]
    draft: dict[str, Any] = {
        name: fields.text(name) or ""
        for name in (
            "fullName",
            "contactEmail",
            "phone",
            "currentEmployer",
            "headline",
            "experienceSummary",
            "availableFrom",
            "remotePreference",
            "residencePrefectureCode",
            "version",
            *NUMBERS,
        )
    }
    draft.update(
        skills=skills,
        ties=ties,
        engagementTypes=fields.choices("engagementTypes"),
        travelPrefectureCodes=fields.choices("travelPrefectureCodes"),
        isOpen=form.get("isOpen") == "on",
    )
    return draft


def _input_of(fields: Fields) -> dict[str, Any]:
    """The mutation's input from the posted fields; what cannot even be sent (a word where a
    number goes) is left in `fields`, by field, and the mutation does not run."""
    draft = _draft_from(fields)
    numbers = {name: fields.integer(name, required=required) for name, required in NUMBERS.items()}
    skills = []
    for name, level, years in draft["skills"]:
        try:
            skills.append(
                {"skill": name, "level": int(level), "years": float(years) if years else 0.0}
            )
        except ValueError:
            fields.fail("skills", _("Years of experience are a number, e.g. 3 or 2.5."))
    return {
        "fullName": draft["fullName"],
        "contactEmail": draft["contactEmail"],
        "phone": draft["phone"] or None,
        "currentEmployer": draft["currentEmployer"] or None,
        "headline": draft["headline"],
        "experienceSummary": draft["experienceSummary"],
        "skills": skills,
        "engagementTypes": draft["engagementTypes"],
        "availableFrom": fields.day("availableFrom", required=True),
        "remotePreference": draft["remotePreference"] or "REMOTE",
        "residencePrefectureCode": draft["residencePrefectureCode"],
        "travelPrefectureCodes": draft["travelPrefectureCodes"],
        "ties": [{"prefectureCode": code, "kind": kind} for code, kind in draft["ties"]],
        "isOpen": draft["isOpen"],
        "version": fields.integer("version"),
        # An optional number left empty takes the API's default.
        **{name: number for name, number in numbers.items() if number is not None},
    }


async def profile_editor(console: Console, request: Request) -> Response:
    data = await console.run(request, "ProfessionalProfileEditor")
    draft = _draft_of(data["myProfessional"], data["viewer"])
    return _editor(console, request, data, draft, {})


def _editor(
    console: Console,
    request: Request,
    data: dict[str, Any],
    draft: dict[str, Any],
    errors: dict[str | None, list[str]],
    *,
    status: int = 200,
) -> Response:
    skill_rows = list(draft["skills"])
    skill_rows += [("", "3", "")] * max(SPARE_SKILL_ROWS, MIN_SKILL_ROWS - len(skill_rows))
    tie_rows = list(draft["ties"])
    tie_rows += [("", "")] * max(SPARE_TIE_ROWS, MIN_TIE_ROWS - len(tie_rows))
    return console.render(
        request,
        "professional/profile.html",
        status=status,
        chrome=data["viewer"],
        creating=data["myProfessional"] is None or data["myProfessional"]["profile"] is None,
        prefectures=[(p["code"], p["name"]) for p in data["prefectures"]],
        draft=draft,
        skill_rows=skill_rows,
        tie_rows=tie_rows,
        levels=LEVELS,
        errors=errors,
        # A long form: every message at its top too (an error summary, as DADS forms have),
        # those of no field shown here only.
        form_errors=messages(errors),
    )


async def _editor_again(
    console: Console, request: Request, *, errors: dict[str | None, list[str]]
) -> Response:
    # The editor shows the posted rows again (request.form() is read once and kept).
    draft = _draft_from(Fields(await request.form()))
    data = await console.run(request, "ProfessionalProfileEditor")
    return _editor(console, request, data, draft, errors, status=422)


async def save_profile(console: Console, request: Request) -> Response:
    return await post(
        console,
        request,
        "ProfessionalSaveProfile",
        _input_of,
        again=partial(_editor_again, console, request),
        done=("/app/me", "profile-saved"),
        keep_typed=False,
    )


async def skill_suggestions(console: Console, request: Request) -> Response:
    """The skills whose names or synonyms match what is typed: an HTML fragment for htmx."""
    search = (request.query_params.get("q") or request.query_params.get("skill") or "").strip()
    found: list[dict[str, Any]] = []
    if search:
        try:
            data = await console.run(
                request, "ProfessionalSkillSuggestions", {"search": search[:50]}
            )
        except Redirect as redirect:
            if request.headers.get("hx-request") != "true":
                raise
            # htmx would put the sign-in page into the suggestions: let it go there instead.
            return Response(status_code=204, headers={"HX-Redirect": redirect.url})
        found = data["skills"][:8]
    return console.render(
        request, "professional/skill_suggestions.html", search=search, skills=found
    )


def routes(console: Console) -> list[Route]:
    console.notices.update(
        {
            "profile-saved": N_("Your profile was saved. Firms see it as shown below."),
            "match-accepted": N_("You accepted the match. The firm has been told."),
            "match-declined": N_("You declined the match. The firm has been told."),
        }
    )
    return [
        Route("/app/me", console.page(home), methods=["GET"]),
        Route("/app/me/profile", console.page(profile_editor), methods=["GET"]),
        Route("/app/me/profile", console.page(save_profile), methods=["POST"]),
        Route("/app/me/skills", console.page(skill_suggestions), methods=["GET"]),
        Route("/app/me/matches/{step}", console.page(answer_match), methods=["POST"]),
    ]
