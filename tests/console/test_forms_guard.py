"""Forms of the console refuse requests another site could forge: no token, a wrong token, or
a cross-site origin. Nothing changes, and the person reads why in Japanese."""

from __future__ import annotations

import httpx2

from console.conftest import People


async def _signed_in_client(people: People, email: str) -> tuple[httpx2.AsyncClient, str]:
    page = await people.sign_in(email)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    token = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    return httpx2.AsyncClient(base_url=people.live.url, cookies=cookies), token or ""


async def _lang(client: httpx2.AsyncClient) -> str:
    home = await client.get("/app/")
    assert home.status_code == 200
    return home.headers["content-language"]


async def test_a_form_without_its_token_changes_nothing(people: People) -> None:
    client, token = await _signed_in_client(people, "admin@pref-saga.example")
    async with client:
        refused = await client.post("/app/locale", data={"locale": "EN", "next": "/app/"})
        wrong = await client.post(
            "/app/locale", data={"locale": "EN", "next": "/app/", "csrf_token": "0" * 64}
        )
        assert refused.status_code == wrong.status_code == 403
        assert "Renkeiから送信されたものではありません" in refused.text
        assert await _lang(client) == "ja"
        # and with its token the same form works
        done = await client.post(
            "/app/locale", data={"locale": "EN", "next": "/app/", "csrf_token": token}
        )
        assert done.status_code == 303
        assert await _lang(client) == "en"


async def test_a_form_posted_from_another_site_is_refused_even_with_a_token(
    people: People,
) -> None:
    client, token = await _signed_in_client(people, "admin@pref-nagasaki.example")
    async with client:
        form = {"locale": "EN", "next": "/app/", "csrf_token": token}
        by_origin = await client.post(
            "/app/locale", data=form, headers={"Origin": "https://evil.example"}
        )
        by_fetch = await client.post(
            "/app/locale", data=form, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert by_origin.status_code == by_fetch.status_code == 403
        assert await _lang(client) == "ja"


async def test_after_signing_in_only_console_paths_are_followed(people: People) -> None:
    page = await people.open()
    await page.goto("/app/sign-in?next=https://evil.example/")
    assert await page.locator("input[name=next]").get_attribute("value") == "/app/"
