"""A small browser for sign-in flows that cross from Renkei (in-process ASGI) to real servers.

Renkei runs inside the test under httpx2's ASGITransport at http://renkei.test; the identity
providers listen on loopback. A request to Renkei's origin goes through the `app` client, whose
cookie jar is the browser's Renkei session; any other URL goes through `web`. Redirects are never
followed by the clients: `follow` does it hop by hop, so a test can stop before a hop, inspect it,
tamper with it or replay it (every response is kept in `history`).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx2


def origin(url: httpx2.URL | str) -> tuple[str, str, int | None]:
    url = httpx2.URL(url)
    return url.scheme, url.host, url.port


class TooManyRedirects(AssertionError):
    pass


class Browser:
    """Drives a redirect flow; `async with Browser(app_client) as browser: ...`."""

    def __init__(self, app: httpx2.AsyncClient, web: httpx2.AsyncClient | None = None) -> None:
        self.app = app
        self.web = web if web is not None else httpx2.AsyncClient(timeout=5)
        self._owns_web = web is None
        self.history: list[httpx2.Response] = []

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_web:
            await self.web.aclose()

    @property
    def cookies(self) -> httpx2.Cookies:
        """Renkei's cookies, as the browser holds them."""
        return self.app.cookies

    def client_for(self, url: httpx2.URL | str) -> httpx2.AsyncClient:
        return (
            self.app
            if origin(self.app.base_url.join(url)) == origin(self.app.base_url)
            else self.web
        )

    async def get(self, url: httpx2.URL | str, **kwargs: object) -> httpx2.Response:
        """One GET, not following redirects; a relative URL is on Renkei."""
        url = self.app.base_url.join(url)
        response = await self.client_for(url).get(url, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
        self.history.append(response)
        return response

    async def post(self, url: httpx2.URL | str, **kwargs: object) -> httpx2.Response:
        """One POST (form `data=`, `json=`, `headers=`...), not following redirects."""
        url = self.app.base_url.join(url)
        response = await self.client_for(url).post(url, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
        self.history.append(response)
        return response

    async def follow(
        self,
        response: httpx2.Response,
        max_hops: int = 10,
        *,
        stop_before: Callable[[httpx2.URL], bool] | None = None,
    ) -> httpx2.Response:
        """Follow 3xx Locations with GETs and return the first response that is no redirect.

        When `stop_before(next_url)` is true, the redirect pointing there is returned instead,
        unfollowed (its target is `location(response)`). More than `max_hops` hops fail the test.
        """
        for _ in range(max_hops):
            if not response.is_redirect:
                return response
            target = location(response)
            if stop_before is not None and stop_before(target):
                return response
            response = await self.get(target)
        if response.is_redirect:
            raise TooManyRedirects(f"still redirected after {max_hops} hops: {location(response)}")
        return response

    async def visit(self, url: httpx2.URL | str, max_hops: int = 10) -> httpx2.Response:
        """GET `url` and follow its redirects."""
        return await self.follow(await self.get(url), max_hops)

    def visited(self) -> list[httpx2.URL]:
        return [response.url for response in self.history]


def location(response: httpx2.Response) -> httpx2.URL:
    """The absolute URL a redirect points to."""
    return response.url.join(response.headers["location"])
