"""The region pages: the regions of the acting organization with the invitations waiting for its
answer, and a region's home (declaration, vision, members, milestones due), portfolio and KPIs.

Each GET page runs one query (operations/regions.graphql); each form one mutation. A KPI's chart
is an SVG drawn on the server from the numbers the page shows in a table beside it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.graphql.console import labels
from renkei.graphql.console.app import PageError, value
from renkei.i18n import formats
from renkei.i18n.messages import N_, _

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console

JAPAN = ZoneInfo("Asia/Tokyo")
DUE_SOON_DAYS = 30
# The chart's frame, in SVG user units.
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 16, 40


def _day(raw: str | None) -> date | None:
    return date.fromisoformat(raw[:10]) if raw else None


def _not_found() -> PageError:
    return PageError(404, _("There is no region at this address, or you may not see it."))


def today_in_japan() -> date:
    return datetime.now(JAPAN).date()


# -- the regions list ------------------------------------------------------------------------


async def index(console: Console, request: Request) -> Response:
    data = await console.run(request, "RegionsIndex")
    viewer = data["viewer"]
    acting = (viewer["actingOrganization"] or {}).get("id")
    mine: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for region in data["regions"]["nodes"]:
        roles = [m["role"] for m in region["members"]["nodes"] if m["organization"]["id"] == acting]
        if region["secretariat"]["id"] == acting and "SECRETARIAT" not in roles:
            roles.insert(0, "SECRETARIAT")
        (mine if roles else others).append({**region, "roles": roles})
    invitations = [
        {**i, "createdAt": _day(i["createdAt"])} for i in data["regionInvitations"]["nodes"]
    ]
    return console.render(
        request,
        "regions/index.html",
        chrome=viewer,
        mine=mine,
        others=others,
        invitations=invitations,
    )


async def answer(console: Console, request: Request) -> Response:
    """Accept or decline an invitation of the acting organization (its admins may)."""
    form = await console.form(request)
    accept = form.get("answer") == "accept"
    outcome = await console.mutate(
        request,
        "RegionAnswerInvitation",
        {"input": {"regionMemberId": request.path_params["id"], "accept": accept}},
    )
    if not outcome.ok:
        raise PageError(400, " ".join(e["message"] for e in outcome.errors))
    raise console.done("/app/regions", "region_joined" if accept else "region_declined")


# -- a region's home -------------------------------------------------------------------------


def vision_versions(activity: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The earlier versions of the vision, newest first, from the activity log's adoptions."""
    versions = []
    for entry in activity:
        before = entry.get("before") or {}
        if entry["action"] == "vision_adopted" and before.get("vision_text"):
            versions.append(
                {
                    "version": before.get("vision_version"),
                    "text": before["vision_text"],
                    "adoptedOn": _day(before.get("vision_adopted_on")),
                    "replacedOn": _day(entry["createdAt"]),
                }
            )
    return versions[::-1]


# The watch lists: the query's aliases of Region.milestones, by the template's keys.
WATCH = {"overdue": "overdue", "due_soon": "dueSoon", "at_risk": "atRisk"}


def watch_window(today: date) -> dict[str, str]:
    """RegionHome's days: due from today to today + 30 (in Japan), both included."""
    return {
        "today": today.isoformat(),
        "in30days": (today + timedelta(days=DUE_SOON_DAYS)).isoformat(),
    }


def milestone_watch(region: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The region's open milestones overdue, due within 30 days and at risk, as the API sorted
    and filtered them (Region.milestones, by due date): rows, and whether more follow."""
    return {
        key: {
            "rows": [{**m, "dueOn": _day(m["dueOn"])} for m in region[alias]["nodes"]],
            "more": region[alias]["pageInfo"]["hasNextPage"],
        }
        for key, alias in WATCH.items()
    }


async def _home(
    console: Console,
    request: Request,
    *,
    status: int = 200,
    errors: dict[str | None, list[str]] | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    slug = request.path_params["slug"]
    data = await console.run(
        request, "RegionHome", {"slug": slug, **watch_window(today_in_japan())}
    )
    region = data["region"]
    if region is None:
        raise _not_found()
    viewer = data["viewer"]
    acting = (viewer["actingOrganization"] or {}).get("id")
    members = region["members"]["nodes"]
    invited = region["invited"]["nodes"]
    taken = {m["organization"]["id"] for m in members + invited}
    candidates = [
        (o["id"], o["name"]) for o in data["organizations"]["nodes"] if o["id"] not in taken
    ]
    declaration = region["declaration"]
    vision = region["vision"]
    return console.render(
        request,
        "regions/home.html",
        status=status,
        chrome=viewer,
        region=region,
        declared_on=_day(declaration["declaredOn"]),
        vision=vision and {**vision, "adoptedOn": _day(vision["adoptedOn"])},
        versions=vision_versions(region["activity"]["nodes"]),
        members=[{**m, "respondedAt": _day(m["respondedAt"])} for m in members],
        invited=[{**m, "createdAt": _day(m["createdAt"])} for m in invited],
        is_secretariat=acting is not None and acting == region["secretariat"]["id"],
        candidates=candidates,
        roles=labels.options("RegionRole")[1:],
        watch=milestone_watch(region),
        errors=errors or {},
        typed=typed or {},
    )


async def home(console: Console, request: Request) -> Response:
    return await _home(console, request)


async def invite(console: Console, request: Request) -> Response:
    """The secretariat invites an organization: inviteRegionMember, then back to the home."""
    form = await console.form(request)
    slug = request.path_params["slug"]
    typed = {
        "organization": value(form, "organization"),
        "role": value(form, "role") or "MEMBER",
        "signatory": form.get("signatory") == "yes",
    }
    role = typed["role"] if typed["role"] in labels.REGION_ROLES else "MEMBER"
    outcome = await console.mutate(
        request,
        "RegionInviteMember",
        {
            "input": {
                "regionId": value(form, "region") or "",
                "organizationId": typed["organization"] or "",
                "role": role,
                "isSignatory": typed["signatory"],
            }
        },
    )
    if not outcome.ok:
        return await _home(console, request, status=422, errors=outcome.by_field(), typed=typed)
    raise console.done(f"/app/regions/{slug}", "region_invited")


# -- the portfolio ---------------------------------------------------------------------------


def portfolio_filters(query: Any) -> dict[str, str | None]:
    """The portfolio's filters from the address, as the query's variables: an unknown code is
    dropped rather than sent (the API would refuse the whole page)."""
    category = query.get("category") or None
    status = query.get("status") or None
    return {
        "category": category if category in labels.TABLES["ProjectCategory"] else None,
        "status": status if status in labels.TABLES["ProjectStatus"] else None,
        "prefectureCode": (query.get("prefecture") or "").strip() or None,
        "search": (query.get("q") or "").strip() or None,
    }


async def portfolio(console: Console, request: Request) -> Response:
    filters = portfolio_filters(request.query_params)
    after = request.query_params.get("after") or None
    data = await console.run(
        request,
        "RegionPortfolio",
        {"slug": request.path_params["slug"], "after": after, **filters},
    )
    region = data["region"]
    if region is None:
        raise _not_found()
    projects = [
        {**p, "startsOn": _day(p["startsOn"]), "endsOn": _day(p["endsOn"])}
        for p in region["projects"]["nodes"]
    ]
    return console.render(
        request,
        "regions/portfolio.html",
        chrome=data["viewer"],
        region=region,
        projects=projects,
        prefecture_options=[(p["code"], p["name"]) for p in region["prefectures"]],
        filters=filters,
        filtered=any(filters.values()),
        first_page=_relative(request.url.remove_query_params("after")) if after else None,
        next_page=_next_page(request, region["projects"]["pageInfo"]),
    )


def _next_page(request: Request, page_info: dict[str, Any]) -> str | None:
    """The address of the next 100 projects, with the same filters; None on the last page."""
    if not page_info["hasNextPage"]:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "after" and v}
    return _relative(request.url.replace_query_params(**params, after=page_info["endCursor"]))


def _relative(url: URL) -> str:
    return f"{url.path}?{url.query}" if url.query else url.path


# -- the KPIs --------------------------------------------------------------------------------


def fiscal_year(day: date) -> int:
    """年度: April to March, named by the year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


def _round(number: float) -> float:
    return round(number, 1)


def kpi_chart(kpi: dict[str, Any]) -> dict[str, Any]:
    """The geometry of a KPI's chart: targets at the end of each 年度, observations at the end
    of their period, the baseline at its day; fiscal years along x, the values along y."""
    targets = [(date(t["fiscalYear"] + 1, 3, 31), t["value"]) for t in kpi["targets"]]
    observed = [(_day(o["periodEnd"]), o["value"]) for o in kpi["observations"]["nodes"]]
    baseline_on = _day(kpi["baselineOn"])
    baseline = [(baseline_on, kpi["baseline"])] if baseline_on else []
    points = [(d, v) for d, v in targets + observed + baseline if d is not None]
    if not points:
        return {"empty": True}
    years = [fiscal_year(d) for d, _v in points]
    first, last = min(years), max(years)
    start, end = date(first, 4, 1), date(last + 1, 4, 1)
    # A line chart need not start at zero: the values' own range, with a margin, shows the trend.
    low, high = min(v for _d, v in points), max(v for _d, v in points)
    margin = (high - low) * 0.15 or abs(high) * 0.1 or 1.0
    low, high = (max(0.0, low - margin) if low >= 0 else low - margin), high + margin
    span_days = (end - start).days
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return _round(LEFT + plot_w * (day - start).days / span_days)

    def y(number: float) -> float:
        return _round(TOP + plot_h * (1 - (number - low) / (high - low)))

    steps = 4
    y_ticks = [
        (y(low + (high - low) * i / steps), _tick(low + (high - low) * i / steps))
        for i in range(steps + 1)
    ]
    x_ticks = [
        (x(date(year, 4, 1)), _round(x(date(year, 10, 1))), formats.fiscal_year_label(year))
        for year in range(first, last + 1)
    ]
    observed_xy = [(x(d), y(v)) for d, v in observed if d is not None]
    return {
        "empty": False,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "targets": [(x(d), y(v)) for d, v in targets],
        "observed": observed_xy,
        "observed_line": " ".join(f"{px},{py}" for px, py in observed_xy),
        "baseline": [(x(d), y(v)) for d, v in baseline if d is not None],
    }


def _tick(number: float) -> str:
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.1f}"


KPIS_PER_PAGE = 20


def _kpi_view(entry: dict[str, Any], reason: str | None) -> dict[str, Any]:
    kpi = entry["kpi"]
    return {
        **kpi,
        "baselineOn": _day(kpi["baselineOn"]),
        "observed": [
            {**o, "periodStart": _day(o["periodStart"]), "periodEnd": _day(o["periodEnd"])}
            for o in kpi["observations"]["nodes"]
        ],
        "attainment": entry["attainment"],
        "reason": reason,
        "chart": kpi_chart(kpi),
    }


async def kpis(console: Console, request: Request) -> Response:
    data = await console.run(request, "RegionKpis", {"slug": request.path_params["slug"]})
    region = data["region"]
    if region is None:
        raise _not_found()
    rollup = region["kpiRollup"]
    entries = [(e, None) for e in rollup["included"]]
    entries += [(e, e["reason"]) for e in rollup["excluded"]]
    # Every KPI is in the overview table; the charts come KPIS_PER_PAGE at a time (a region
    # of 200 projects has hundreds of KPIs: one page of them all was 1.7 MB of HTML).
    pages = max(1, -(-len(entries) // KPIS_PER_PAGE))
    raw = request.query_params.get("page", "1")
    page = min(max(int(raw), 1), pages) if raw.isdigit() else 1
    first = (page - 1) * KPIS_PER_PAGE
    shown = [
        {**_kpi_view(e, reason), "number": first + i + 1}
        for i, (e, reason) in enumerate(entries[first : first + KPIS_PER_PAGE])
    ]
    overview = [
        {
            "number": i + 1,
            "page": i // KPIS_PER_PAGE + 1,
            "name": e["kpi"]["name"],
            "project": e["kpi"]["project"],
            "attainment": e["attainment"],
            "reason": reason,
        }
        for i, (e, reason) in enumerate(entries)
    ]
    return console.render(
        request,
        "regions/kpis.html",
        chrome=data["viewer"],
        region=region,
        rollup=rollup,
        kpis=shown,
        overview=overview,
        page=page,
        pages=pages,
    )


def routes(console: Console) -> list[Route]:
    console.notices.update(
        region_joined=N_("You accepted the invitation: your organization is now a member."),
        region_declined=N_("You declined the invitation."),
        region_invited=N_("The invitation was sent. Its admins answer it on their regions page."),
    )
    return [
        Route("/app/regions", console.page(index), methods=["GET"]),
        Route("/app/regions/invitations/{id}/answer", console.page(answer), methods=["POST"]),
        Route("/app/regions/{slug}", console.page(home), methods=["GET"]),
        Route("/app/regions/{slug}/invite", console.page(invite), methods=["POST"]),
        Route("/app/regions/{slug}/projects", console.page(portfolio), methods=["GET"]),
        Route("/app/regions/{slug}/kpis", console.page(kpis), methods=["GET"]),
    ]
