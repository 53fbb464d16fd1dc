"""Downloads behave as files: names in Japanese, validation by ETag, browser sessions."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import date
from urllib.parse import unquote

import httpx2
import pytest

from exports.world import SUPPLY_CHAIN, World
from renkei.crypto import SecretBox
from renkei.db import unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.auth import SESSION_COOKIE, SignInConfig
from renkei.identity import signin
from renkei.identity.oidc import OidcClient
from renkei.identity.tokens import TokenService
from renkei.projects import service as projects
from renkei.tenancy import MembershipRole, Viewer


def filenames(response: httpx2.Response) -> tuple[str, str]:
    """The ASCII filename and the decoded RFC 5987 filename* of an attachment."""
    header = response.headers["content-disposition"]
    assert header.startswith("attachment; ")
    ascii_name = re.search(r'filename="([^"]*)"', header)
    utf8_name = re.search(r"filename\*=UTF-8''(\S+)", header)
    assert ascii_name and utf8_name, header
    assert header.isascii()
    return ascii_name.group(1), unquote(utf8_name.group(1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "japanese", "ascii_name"),
    [
        ("roadmap.svg", f"{SUPPLY_CHAIN}_工程表.svg", "project-roadmap.svg"),
        ("roadmap.ics", f"{SUPPLY_CHAIN}_工程表.ics", "project-roadmap.ics"),
        ("milestones.csv", f"{SUPPLY_CHAIN}_マイルストーン.csv", "project-milestones.csv"),
        ("kpis.csv", f"{SUPPLY_CHAIN}_KPI.csv", "project-kpis.csv"),
        ("kpis.xlsx", f"{SUPPLY_CHAIN}_KPI.xlsx", "project-kpis.xlsx"),
    ],
)
async def test_a_download_is_named_in_japanese_with_an_ascii_fallback(
    world: World, file: str, japanese: str, ascii_name: str
) -> None:
    response = await world.get(world.project_path(world.supply_chain, file), world.lead)
    assert response.status_code == 200
    assert filenames(response) == (ascii_name, japanese)


async def test_an_english_reader_gets_english_file_names(world: World) -> None:
    path = world.project_path(world.supply_chain, "milestones.csv")
    response = await world.get(path, world.lead, {"Accept-Language": "en"})
    assert filenames(response) == ("project-milestones.csv", f"{SUPPLY_CHAIN}_milestones.csv")
    assert response.headers["content-language"] == "en"


async def test_a_region_download_falls_back_to_its_slug(world: World) -> None:
    response = await world.get(world.region_path("roadmap.svg"), world.lead)
    assert filenames(response) == ("kyushu-roadmap.svg", "九州広域リージョン_工程表.svg")


async def test_a_name_with_path_characters_makes_a_safe_file_name(world: World) -> None:
    # given a project renamed with characters a file system would misread
    viewer = await world.viewer(world.lead)
    async with unit_of_work(world.sessions, viewer) as session:
        await projects.update_project(
            session,
            viewer,
            project_id=world.supply_chain.id,
            version=world.supply_chain.version,
            name='GX/水素 "実証"',
        )
    response = await world.get(world.project_path(world.supply_chain, "kpis.csv"), world.lead)
    assert filenames(response) == ("GX-kpis.csv", "GX_水素 _実証__KPI.csv")


async def test_an_unchanged_export_is_304_and_a_change_gives_a_new_etag(world: World) -> None:
    path = world.project_path(world.supply_chain, "roadmap.ics")
    # given a first download
    first = await world.get(path, world.lead)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.headers["cache-control"] == "private, no-cache"
    # when the calendar app asks again with the ETag it holds
    again = await world.get(path, world.lead, {"If-None-Match": etag})
    # then nothing changed: 304, no body, the same validator
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "private, no-cache"
    # and a weak form or a list holding it matches too
    listed = await world.get(path, world.lead, {"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304
    # when a milestone is added, the same question gets the new calendar
    await world.milestone(world.supply_chain, world.lead, "量産開始", due_on=date(2026, 9, 30))
    changed = await world.get(path, world.lead, {"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "量産開始" in changed.content.decode()


async def test_each_viewer_gets_its_own_etag_for_what_it_sees(world: World) -> None:
    path = world.region_path("roadmap.svg")
    partner = await world.get(path, world.partner)
    regional = await world.get(path, world.regional, {"If-None-Match": partner.headers["etag"]})
    # 肥後銀行 sees less than 九州大学, so 九州大学's copy is not valid for it
    assert regional.status_code == 200
    assert regional.headers["etag"] != partner.headers["etag"]


async def test_the_svg_cannot_run_anything_if_opened_from_our_origin(world: World) -> None:
    response = await world.get(world.project_path(world.supply_chain, "roadmap.svg"), world.lead)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.fixture
async def browser_app(
    world: World, tokens: TokenService, redis_url: str
) -> AsyncIterator[httpx2.AsyncClient]:
    """The app with browser sign-in configured, as it runs with organizations' providers."""
    config = SignInConfig(
        public_url="http://renkei.test",
        box=SecretBox({"test-key": os.urandom(32)}),
        oidc=OidcClient(min_refetch_gap=0),
        cookie_secret="a test cookie secret",
        secure_cookies=False,
    )
    app = create_app(
        sessions=world.sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=True,
        sign_in=config,
    )
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://renkei.test") as http:
        yield http


async def test_a_browser_session_downloads_without_a_csrf_header(
    world: World, browser_app: httpx2.AsyncClient
) -> None:
    # given 九州大学's owner signed in through the browser
    async with unit_of_work(world.sessions, Viewer.platform()) as session:
        started = await signin.start_session(
            session,
            user_id=world.partner.people[MembershipRole.OWNER].id,
            organization_id=world.partner.id,
        )
    # when the page links to an export (a plain GET: no X-CSRF-Token)
    response = await browser_app.get(
        world.region_path("milestones.csv"),
        headers={"Cookie": f"{SESSION_COOKIE}={started.secret}"},
    )
    # then the download is what 九州大学 sees
    assert response.status_code == 200, response.text
    assert "共同研究契約の締結" in response.content.decode("utf-8-sig")
    # and a session that has ended opens nothing
    ended = await browser_app.get(
        world.region_path("milestones.csv"),
        headers={"Cookie": f"{SESSION_COOKIE}=not-a-session", "Accept-Language": "en"},
    )
    assert ended.status_code == 401
    assert ended.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    # (the words are renkei.graphql.http's, as for /graphql)
    assert "your session has ended" in ended.json()["errors"][0]["message"].lower()
