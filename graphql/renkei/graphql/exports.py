"""Downloads of a project's or a region's 工程表 (SVG, iCalendar) and CSV files for Excel.

    GET /exports/projects/{id}/roadmap.svg    GET /exports/regions/{id}/roadmap.svg
    GET /exports/projects/{id}/roadmap.ics    GET /exports/regions/{id}/roadmap.ics
    GET /exports/projects/{id}/milestones.csv GET /exports/regions/{id}/milestones.csv
    GET /exports/projects/{id}/kpis.csv       GET /exports/regions/{id}/kpis.csv
    GET /exports/projects/{id}/kpis.xlsx      GET /exports/regions/{id}/kpis.xlsx
    GET /exports/matches/{id}/evidence.csv    GET /exports/matches/{id}/evidence.xlsx
    GET /exports/grant-applications/{id}/application.csv   (.xlsx: the same as a workbook)

`{id}` is the GraphQL global id (a region also by its slug). The evidence packet of a match (the
table a firm attaches to its prefecture's 実績報告) is the firm's only, with `talent:read`.

Every word is in the reader's locale (renkei.i18n: the user's saved preference, Accept-Language,
the organization's default, then Japanese): column names, statuses, legends, the calendar's
texts, error messages, and the file's name (`filename*`, RFC 5987; an ASCII `filename` beside it).
Dates read 2026年4月1日 and 年度 2026年度 (April 1, 2026 and FY2026 in English).

`?calendar=wareki` writes them in the Japanese era calendar, as documents for public offices do:
令和8年4月1日, 令和8年度 (an era's first year is 元年; in English the dates stay western).
`?calendar=western` is the default. Any other value is a 400 (code INVALID) that names both.
 The caller signs in as for /graphql:
an `Authorization: Bearer` token that carries `projects:read`, or the browser session cookie (a
GET changes nothing, so no CSRF token is asked for). A token in the URL is not accepted: such URLs
end up in logs and histories. What a viewer may not see is left out by row-level security; a
project it cannot see at all is a 404, exactly like one that does not exist.

Errors are JSON: `{"errors": [{"message": ..., "extensions": {"code": ...}}]}`. Responses carry
an ETag (a hash of the body, so If-None-Match gives a 304) and `Cache-Control: private, no-cache`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from renkei.db import SessionFactory, unit_of_work
from renkei.errors import ErrorCode, Forbidden, Invalid, NotFound, Unauthenticated
from renkei.grants import documents as grant_documents
from renkei.graphql.auth import SignInConfig
from renkei.graphql.http import ProtocolError, bearer_token, resolve_viewer
from renkei.graphql.permissions import INSUFFICIENT_SCOPE
from renkei.graphql.relay import decode_id, parse_global_id
from renkei.i18n.messages import N_, _
from renkei.identity.scopes import PROJECTS_READ, TALENT_READ
from renkei.identity.tokens import TokenService
from renkei.organizations.service import is_slug
from renkei.projects import roadmap_data as roadmaps
from renkei.projects.exports import Table, kpis_table, milestones_csv, render_ical, table_csv
from renkei.projects.exports_xlsx import XLSX, table_xlsx
from renkei.projects.roadmap_svg import Roadmap, render_svg
from renkei.regions.models import Region
from renkei.talent import subsidies
from renkei.tenancy import Viewer

SVG = "image/svg+xml"
ICS = "text/calendar; charset=utf-8"
CSV = "text/csv; charset=utf-8"
CALENDARS = {"western": False, "wareki": True}  # ?calendar=…: whether to write 和暦
CACHE_CONTROL = "private, no-cache"
# The SVG is data, never a page: should someone open it from our origin, nothing in it may run.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# RFC 5987 attr-char: what a filename* value may carry unencoded.
_ATTR_CHARS = "!#$&+-.^_`|~"


@dataclass(frozen=True, slots=True)
class Export:
    body: bytes
    media_type: str
    filename: str  # shown to people: may be Japanese
    ascii_filename: str  # for clients that do not read filename*


@dataclass(frozen=True, slots=True)
class _Kind:
    """One of the four downloads: how its file is named and what type it is served as."""

    suffix: str  # after the subject's name in the file name: an N_() msgid, in the reader's words
    ascii_suffix: str
    extension: str
    media_type: str


ROADMAP_SVG = _Kind(N_("roadmap"), "roadmap", "svg", SVG)
ROADMAP_ICS = _Kind(N_("roadmap"), "roadmap", "ics", ICS)
MILESTONES_CSV = _Kind(N_("milestones"), "milestones", "csv", CSV)
KPIS_CSV = _Kind(N_("KPI"), "kpis", "csv", CSV)
KPIS_XLSX = _Kind(N_("KPI"), "kpis", "xlsx", XLSX)
EVIDENCE_CSV = _Kind(N_("subsidy evidence"), "evidence", "csv", CSV)
EVIDENCE_XLSX = _Kind(N_("subsidy evidence"), "evidence", "xlsx", XLSX)
KINDS = {
    "roadmap.svg": ROADMAP_SVG,
    "roadmap.ics": ROADMAP_ICS,
    "milestones.csv": MILESTONES_CSV,
    "kpis.csv": KPIS_CSV,
    "kpis.xlsx": KPIS_XLSX,
}
EVIDENCE_KINDS = {"evidence.csv": EVIDENCE_CSV, "evidence.xlsx": EVIDENCE_XLSX}
GRANT_CSV = _Kind(N_("grant application"), "grant-application", "csv", CSV)
GRANT_XLSX = _Kind(N_("grant application"), "grant-application", "xlsx", XLSX)
GRANT_KINDS = {"application.csv": GRANT_CSV, "application.xlsx": GRANT_XLSX}


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers)


def _insufficient_scope(scope: str = PROJECTS_READ) -> Response:
    challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
    message = _(
        "This token lacks the {scope} scope: ask for it when requesting the token.", scope=scope
    )
    return _error(403, message, INSUFFICIENT_SCOPE, {"WWW-Authenticate": challenge})


def content_disposition(filename: str, ascii_filename: str) -> str:
    """`attachment` with an ASCII name for old clients and the real one as RFC 5987 filename*."""
    return (
        f'attachment; filename="{ascii_filename}"; '
        f"filename*=UTF-8''{quote(filename, safe=_ATTR_CHARS)}"
    )


def _file_name(name: str, kind: _Kind) -> str:
    cleaned = _UNSAFE_IN_NAME.sub("_", unicodedata.normalize("NFKC", name)).strip(" .")
    return f"{cleaned[:100] or 'renkei'}_{_(kind.suffix)}.{kind.extension}"


def _ascii_file_name(name: str, fallback: str, kind: _Kind) -> str:
    ascii_name = _NOT_ASCII_NAME.sub("-", unicodedata.normalize("NFKC", name)).strip("-._")
    return f"{ascii_name[:60] or fallback}-{kind.ascii_suffix}.{kind.extension}"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison against each listed tag, or `*`."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or etag in (t.removeprefix("W/") for t in tags)


def _response(request: Request, export: Export) -> Response:
    etag = etag_of(export.body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if not_modified(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = content_disposition(export.filename, export.ascii_filename)
    headers["X-Content-Type-Options"] = "nosniff"
    if export.media_type == SVG:
        headers["Content-Security-Policy"] = SVG_POLICY
    return Response(export.body, media_type=export.media_type, headers=headers)


def _project_id(raw: str) -> uuid.UUID:
    return decode_id(raw, "Project", field="id")


def _region_key(raw: str) -> tuple[uuid.UUID | None, str | None]:
    """A Region global id, or a slug; Invalid for anything else (another type's id included)."""
    parsed = parse_global_id(raw)
    if parsed is not None and parsed[0] == "Region":
        return decode_id(raw, "Region", field="id"), None
    if is_slug(raw):
        return None, raw
    raise Invalid(_("Not an id of type Region, nor a region's slug."), field="id")


def _japanese_era(request: Request) -> bool:
    """?calendar=western (the default) or ?calendar=wareki; Invalid for anything else."""
    value = request.query_params.get("calendar", "western")
    if value not in CALENDARS:
        message = _(
            'Unknown calendar "{value}": use calendar=western, or calendar=wareki for dates'
            " in the Japanese era calendar (令和8年4月1日).",
            value=value[:40],
        )
        raise Invalid(message, field="calendar")
    return CALENDARS[value]


async def _project_export(
    session: AsyncSession, viewer: Viewer, raw_id: str, kind: _Kind, era: bool
) -> Export:
    project = await roadmaps.project_with_details(session, viewer, _project_id(raw_id))
    if kind in (KPIS_CSV, KPIS_XLSX):
        rows = await roadmaps.project_kpi_rows(session, viewer, project=project)
        return _export(_table_body(kpis_table(rows), kind, era), project.name, "project", kind)
    roadmap = await roadmaps.project_roadmap(session, viewer, project=project)
    return _export(_roadmap_body(roadmap, kind, era), project.name, "project", kind)


async def _region_export(
    session: AsyncSession, viewer: Viewer, raw_id: str, kind: _Kind, era: bool
) -> Export:
    region_id, slug = _region_key(raw_id)
    region: Region = await roadmaps.find_region(session, viewer, region_id=region_id, slug=slug)
    if kind in (KPIS_CSV, KPIS_XLSX):
        rows = await roadmaps.region_kpi_rows(session, viewer, region=region)
        return _export(_table_body(kpis_table(rows), kind, era), region.name, region.slug, kind)
    roadmap = await roadmaps.region_roadmap(session, viewer, region=region)
    return _export(_roadmap_body(roadmap, kind, era), region.name, region.slug, kind)


async def _match_evidence(
    session: AsyncSession, viewer: Viewer, raw_id: str, kind: _Kind, era: bool
) -> Export:
    match_id = decode_id(raw_id, "Match", field="id")
    table, name = await subsidies.evidence_packet(session, viewer, match_id)
    return _export(_table_body(table, kind, era), name, "match", kind)


async def _grant_application(
    session: AsyncSession, viewer: Viewer, raw_id: str, kind: _Kind, era: bool
) -> Export:
    application_id = decode_id(raw_id, "GrantApplication", field="id")
    table, name = await grant_documents.application_table(session, viewer, application_id)
    return _export(_table_body(table, kind, era), name, "grant-application", kind)


def _table_body(table: Table, kind: _Kind, era: bool) -> bytes:
    if kind.extension == "xlsx":
        return table_xlsx(table, japanese_era=era)
    return table_csv(table, japanese_era=era).encode()


def _roadmap_body(roadmap: Roadmap, kind: _Kind, era: bool) -> bytes:
    if kind is ROADMAP_SVG:
        return render_svg(roadmap, japanese_era=era).encode()
    if kind is ROADMAP_ICS:
        return render_ical(roadmap, japanese_era=era)
    return milestones_csv(roadmap.milestones, japanese_era=era).encode()


def _export(body: bytes, name: str, fallback: str, kind: _Kind) -> Export:
    return Export(
        body=body,
        media_type=kind.media_type,
        filename=_file_name(name, kind),
        ascii_filename=_ascii_file_name(name, fallback, kind),
    )


Build = Callable[[AsyncSession, Viewer, str, _Kind, bool], Awaitable[Export]]


class ExportEndpoints:
    """The /exports routes: one read-only unit of work per request, as the signed-in viewer."""

    def __init__(
        self, sessions: SessionFactory, tokens: TokenService, sign_in: SignInConfig | None = None
    ) -> None:
        self.sessions = sessions
        self.tokens = tokens
        self.sign_in = sign_in

    def routes(self) -> list[Route]:
        return [
            Route("/exports/projects/{id}/{file}", self._handler(_project_export), methods=["GET"]),
            Route("/exports/regions/{id}/{file}", self._handler(_region_export), methods=["GET"]),
            # A contracted side job's evidence for its subsidy: the firm's, with talent:read.
            Route("/exports/matches/{id}/{file}", self._handler(_match_evidence), methods=["GET"]),
            # A grant application's documents: the project's participants', with projects:read.
            Route(
                "/exports/grant-applications/{id}/{file}",
                self._handler(_grant_application),
                methods=["GET"],
            ),
        ]

    def _handler(self, build: Build) -> Callable[[Request], Awaitable[Response]]:
        kinds, scope = (EVIDENCE_KINDS, TALENT_READ) if build is _match_evidence else (KINDS, None)
        if build is _grant_application:
            kinds = GRANT_KINDS

        async def handle(request: Request) -> Response:
            kind = kinds.get(request.path_params["file"])
            if kind is None:
                message = _("No such export: ask for {files}.", files=", ".join(kinds))
                return _error(404, message, ErrorCode.NOT_FOUND.value)
            return await self._serve(request, build, kind, scope=scope or PROJECTS_READ)

        return handle

    async def _serve(
        self, request: Request, build: Build, kind: _Kind, *, scope: str = PROJECTS_READ
    ) -> Response:
        token: str | None = None
        try:
            token = bearer_token(request)
            claims = self.tokens.verify(token) if token else None
            async with unit_of_work(self.sessions, Viewer.anonymous()) as session:
                viewer, _signed_in = await resolve_viewer(
                    session, request, claims, self.sign_in, check_csrf=False
                )
                if not viewer.is_authenticated:
                    raise Unauthenticated(
                        _("Sign in first: send an Authorization: Bearer <token> header.")
                    )
                if not viewer.has_scope(scope):
                    return _insufficient_scope(scope)
                era = _japanese_era(request)
                export = await build(session, viewer, request.path_params["id"], kind, era)
        except ProtocolError as error:
            code = ErrorCode.FORBIDDEN if error.status == 403 else ErrorCode.UNAUTHENTICATED
            return _error(error.status, error.message, code.value, error.headers)
        except Unauthenticated as error:
            challenge = 'Bearer error="invalid_token"' if token else "Bearer"
            return _error(401, error.message, error.code.value, {"WWW-Authenticate": challenge})
        except Invalid as error:
            return _error(400, error.message, error.code.value)
        except NotFound as error:
            return _error(404, error.message, error.code.value)
        except Forbidden as error:
            return _error(403, error.message, error.code.value)
        return _response(request, export)
