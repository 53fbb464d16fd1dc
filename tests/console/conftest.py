"""The web console in a real Chromium, against a real Renkei on loopback.

`live` is Renkei served by uvicorn from a thread, on a database cloned from the migrated template
and loaded with the development seed, as `make run` has it. Organizations sign in through a real
OpenID provider on loopback (tests/identity/oidc_provider.py; it consents at once for the address
given as login_hint), registered as each seeded organization's own provider with its owner's
domain verified; individual professionals through a second provider, the platform's.

The tests use Playwright's async API on the suite's event loop (its sync API would hold a loop
of its own in the main thread, and every async test after it in the process would fail).
`await people.sign_in(email)` opens a new browser context (its own cookies: another person, another
browser) and signs in through the console's sign-in form. Chromium is the distribution's
(/usr/bin/chromium, or RENKEI_CHROMIUM); Playwright never downloads a browser. Without Chromium
the browser tests are skipped, unless RENKEI_REQUIRE_BROWSER=1 (CI sets it), which fails them.
Every request a page makes outside loopback is refused and fails the test: nothing from a CDN.
On failure, each open page's screenshot is written to .renkei/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from joserfc.jwk import KeySet

from identity.oidc_provider import OidcProvider
from renkei.crypto import SecretBox
from renkei.db import app_url_for, create_engine, session_factory
from renkei.graphql.app import create_app
from renkei.graphql.auth import PlatformProvider, SignInConfig
from renkei.identity.oidc import OidcClient
from renkei.identity.tokens import TokenService, generate_key
from renkei.seeding import seed
from renkei.seeding_sign_in import (
    link_development_identities,
    register_development_provider,
    seeded_professionals,
)
from renkei.workers.jobs import handlers_for

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("axe.min.js")
SCREENSHOTS = ROOT / ".renkei" / "screenshots"
CLIENT_ID = "renkei-console"
CLIENT_SECRET = "console-secret"
# WCAG 2.1 A and AA: what JIS X 8341-3:2016 level AA asks of a web page.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str | None:
    path = os.environ.get("RENKEI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


@dataclass
class Live:
    """Renkei on loopback, and what the tests need to reach it."""

    url: str
    owner_url: str
    app_url: str
    organizations: OidcProvider
    individuals: OidcProvider
    box: SecretBox

    async def deliver(self) -> int:
        """Handle every waiting outbox message as the worker would (notifications, webhooks)."""
        from factories import run_outbox_messages

        engine = create_engine(self.app_url, pool_size=2)
        try:
            return await run_outbox_messages(session_factory(engine), handlers_for(None))
        finally:
            await engine.dispose()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def _seed(app_url: str, box: SecretBox, issuer: str, individuals: str) -> None:
    """The development seed, signing in as `make run` has it (renkei.seeding_sign_in)."""
    engine = create_engine(app_url, pool_size=4)
    try:
        sessions = session_factory(engine)
        await seed(sessions)
        await register_development_provider(
            sessions,
            box=box,
            oidc=OidcClient(),
            issuer=issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
        await link_development_identities(
            sessions, issuer=individuals, emails=seeded_professionals()
        )
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def live(server_url: str, template_name: str, redis_url: str) -> AsyncIterator[Live]:
    from conftest import _create_database, _drop_database

    name = f"renkei_console_{uuid.uuid4().hex[:8]}"
    owner = _create_database(server_url, name, template=template_name)
    app_url = app_url_for(owner, "renkei_app")
    sock = _free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    organizations = OidcProvider().start()
    individuals = OidcProvider(path="/platform").start()
    for provider in (organizations, individuals):
        provider.register_client(CLIENT_ID, CLIENT_SECRET, [f"{base}/auth/callback/*"])
    box = SecretBox({"console-test": os.urandom(32)})
    await _seed(app_url, box, organizations.issuer, individuals.issuer)
    tokens = TokenService(KeySet([generate_key()]), issuer=base)
    holder: dict[str, Any] = {}

    def serve() -> None:
        async def main() -> None:
            engine = create_engine(app_url, pool_size=8)
            app = create_app(
                sessions=session_factory(engine),
                tokens=tokens,
                redis_url=redis_url,
                development=True,
                sign_in=SignInConfig(
                    public_url=base,
                    box=box,
                    oidc=OidcClient(),
                    cookie_secret="console-cookie-secret",
                    secure_cookies=False,
                    allow_http_loopback_issuers=True,
                    platform_provider=PlatformProvider(
                        issuer=individuals.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
                    ),
                ),
            )
            config = uvicorn.Config(
                app, lifespan="on", log_level="warning", access_log=False, http="h11", ws="none"
            )
            server = holder["server"] = uvicorn.Server(config)
            try:
                await server.serve(sockets=[sock])
            finally:
                await engine.dispose()

        asyncio.run(main())

    thread = threading.Thread(target=serve, name="renkei-console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not (holder.get("server") and holder["server"].started):
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("Renkei did not start for the console tests")
        await asyncio.sleep(0.01)
    yield Live(base, owner, app_url, organizations, individuals, box)
    holder["server"].should_exit = True
    await asyncio.to_thread(thread.join, 10)
    organizations.stop()
    individuals.stop()
    _drop_database(server_url, name)


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    path = chromium_path()
    if path is None:
        if os.environ.get("RENKEI_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is needed (apt-get install chromium) and is not installed")
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    browser = await playwright.chromium.launch(
        executable_path=path,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    await browser.close()
    await playwright.stop()


@dataclass
class People:
    """The people of one test, each in a browser context of their own."""

    live: Live
    chromium: Any
    contexts: list[Any] = field(default_factory=list)
    pages: list[Any] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # requests that left loopback

    async def open(self, *, locale: str = "ja-JP") -> Any:
        """A new browser (context) with nobody signed in; its first page."""
        context = await self.chromium.new_context(locale=locale, base_url=self.live.url)
        context.set_default_timeout(10_000)

        async def guard(route: Any) -> None:
            url = route.request.url
            if re.match(
                r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/", url
            ) or url.startswith(("data:", "blob:", "about:")):
                await route.continue_()
            else:
                self.outside.append(url)
                await route.abort()

        await context.route("**/*", guard)
        self.contexts.append(context)
        page = await context.new_page()
        self.pages.append(page)
        return page

    async def sign_in(self, email: str, *, locale: str = "ja-JP", individual: bool = False) -> Any:
        """Sign `email` in through the console's form; the page is then on the console."""
        provider = self.live.individuals if individual else self.live.organizations
        provider.add_user(email, email, name=email.partition("@")[0])
        page = await self.open(locale=locale)
        await page.goto("/app/sign-in")
        if individual:
            provider.default_user = email
            await page.click("a[href^='/auth/login?personal=1']")
        else:
            await page.fill("input[name=email]", email)
            await page.click("form[action='/auth/login'] button[type=submit]")
        await page.wait_for_url(re.compile(r".*/app/.*"))
        assert "/app/sign-in" not in page.url, (
            f"{email} could not sign in: {(await page.content())[:2000]}"
        )
        return page


@pytest.fixture
async def people(
    live: Live, chromium: Any, request: pytest.FixtureRequest
) -> AsyncIterator[People]:
    crowd = People(live, chromium)
    yield crowd
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for number, page in enumerate(crowd.pages):
            if not page.is_closed():
                target = SCREENSHOTS / f"{stem}-{number}.png"
                await page.screenshot(path=str(target), full_page=True)
                print(f"screenshot: {target}")
    for context in crowd.contexts:
        await context.close()
    assert not crowd.outside, f"pages asked for addresses outside Renkei: {crowd.outside}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


async def follow(page: Any, target: Any) -> None:
    """Click `target` and wait until the page it leads to has loaded.

    A bare click returns once the next page starts to arrive, so counting rows right after it can
    read a page whose table is not parsed yet (0 rows)."""
    async with page.expect_navigation():
        await target.click()


async def check_accessibility(page: Any) -> None:
    """axe-core on the page as it is: no serious or critical violation of WCAG 2.1 A/AA.

    Evaluated through DevTools, so the page's Content-Security-Policy stays as users get it."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in bad
    )
