"""The console's shell in Chromium: signing in, the home page, the language, signing out."""

from __future__ import annotations

import re

from console.conftest import People, check_accessibility


async def test_a_stranger_is_asked_to_sign_in_in_japanese(people: People) -> None:
    page = await people.open()
    await page.goto("/")
    assert "/app/sign-in" in page.url
    assert await page.locator("html").get_attribute("lang") == "ja"
    assert await page.get_by_role("heading", level=1).inner_text() == "Renkeiにサインイン"
    await check_accessibility(page)


async def test_the_secretariat_signs_in_through_its_own_provider_and_sees_its_home(
    people: People,
) -> None:
    page = await people.sign_in("secretariat@kyushu-keizai.example")
    assert re.search(r"/app/$", page.url)
    assert "九州経済広域連携協議会" in await page.inner_text("header")
    assert (await page.get_by_role("heading", level=1).inner_text()).startswith("こんにちは")
    await check_accessibility(page)


async def test_the_language_switch_turns_the_console_english_and_back(people: People) -> None:
    page = await people.sign_in("secretariat@kyushu-keizai.example")
    await page.get_by_role("button", name="English").click()
    assert await page.locator("html").get_attribute("lang") == "en"
    assert (await page.get_by_role("heading", level=1).inner_text()).startswith("Hello")
    await page.get_by_role("button", name="日本語").click()
    assert await page.locator("html").get_attribute("lang") == "ja"


async def test_signing_out_ends_the_session(people: People) -> None:
    page = await people.sign_in("ceo@aso-seimitsu.example")
    await page.get_by_role("button", name="サインアウト").click()
    await page.wait_for_url(re.compile(r".*/app/sign-in.*"))
    await page.goto("/app/")
    assert "/app/sign-in" in page.url
