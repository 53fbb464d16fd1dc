"""The professional's pages in Chromium: creating a profile with skills typed in one's own words,
what firms can see, the API's refusals beside the fields, and matches with their explanations."""

from __future__ import annotations

import re
import uuid
from typing import Any

from console.conftest import People, check_accessibility, follow

HEADLINE = "中小企業の経営計画づくりを支える会計士"
ACCEPT = "このマッチングを承諾する"


def _skill(page: Any, n: int) -> Any:
    return page.get_by_role("group", name=f"スキル {n}").get_by_label("スキル名")


def _someone() -> str:
    return f"pro-{uuid.uuid4().hex[:10]}@individuals.example"


async def _fill_profile(page: Any, *, skill: str, hours: str = "30") -> None:
    await page.get_by_label("氏名").fill("試験 花子")
    await page.get_by_label("見出し").fill(HEADLINE)
    await _skill(page, 1).fill(skill)
    await page.get_by_label("月あたりに使える時間").fill(hours)
    await page.get_by_label("開始できる日").fill("2027-04-01")
    await page.get_by_label("居住している都道府県").select_option("13")
    await page.get_by_label("つながりのある都道府県 1").select_option("40")
    await page.get_by_label("月額報酬の下限（円）").fill("100000")
    await page.get_by_label("月額報酬の上限（円）").fill("200000")


async def test_a_new_professional_creates_a_profile_with_a_synonym_and_sees_what_firms_see(
    people: People,
) -> None:
    email = _someone()
    page = await people.sign_in(email, individual=True)
    await page.goto("/app/me")
    assert "まだプロフィールがありません" in await page.inner_text("main")
    await check_accessibility(page)

    await page.get_by_role("link", name="プロフィールを作成する").click()
    await page.wait_for_url(re.compile(r".*/app/me/profile$"))
    await check_accessibility(page)
    # 中計 is a synonym of the skill 中期経営計画: suggestions show as it is typed (htmx) ...
    await _skill(page, 1).press_sequentially("中計")
    suggestions = page.locator("#skill-1-suggestions")
    await suggestions.get_by_role("button", name="中期経営計画").wait_for()
    await _fill_profile(page, skill="中計")
    await page.get_by_role("button", name="プロフィールを保存する").click()

    # ... and the saved profile names the canonical skill.
    await page.wait_for_url(re.compile(r".*/app/me\?done=profile-saved$"))
    main = await page.inner_text("main")
    assert "プロフィールを保存しました" in main
    firms_see = await page.inner_text("#firms-see")
    assert "中期経営計画" in firms_see
    assert "福岡県（出身地）" in firms_see  # the tie, as firms read it
    assert "試験 花子" not in firms_see
    assert email not in firms_see
    assert "人材-" in firms_see  # the pseudonym firms read instead
    await check_accessibility(page)

    # The editor shows the saved profile again, the skill under its canonical name.
    await page.goto("/app/me/profile")
    assert await _skill(page, 1).input_value() == "中期経営計画"
    assert await page.get_by_label("氏名").input_value() == "試験 花子"


async def test_hours_out_of_range_show_the_apis_message_beside_the_field_and_save_nothing(
    people: People,
) -> None:
    page = await people.sign_in(_someone(), individual=True)
    await page.goto("/app/me/profile")
    await _fill_profile(page, skill="財務", hours="500")
    await page.get_by_role("button", name="プロフィールを保存する").click()

    error = page.locator("#field-hoursPerMonth-error")
    assert await error.inner_text() == "月あたりの稼働時間は1〜200時間で指定してください。"
    # ... and in the summary at the top of the long form.
    assert await error.inner_text() in await page.get_by_role("alert").inner_text()
    assert await page.get_by_label("月あたりに使える時間").get_attribute("aria-invalid") == "true"
    # What was typed stays, to be corrected.
    assert await page.get_by_label("見出し").input_value() == HEADLINE
    await check_accessibility(page)

    await page.goto("/app/me")
    assert "まだプロフィールがありません" in await page.inner_text("main")


async def test_an_unknown_skill_is_refused_by_the_api_beside_the_skills(people: People) -> None:
    page = await people.sign_in(_someone(), individual=True)
    await page.goto("/app/me/profile")
    await _fill_profile(page, skill="ねこあつめ")
    # the page that answers must have loaded its scripts (htmx) before anyone types in it
    await follow(page, page.get_by_role("button", name="プロフィールを保存する"))
    assert "「ねこあつめ」はスキル一覧にありません" in await page.inner_text("#skills-error")

    # A suggestion, chosen, replaces the words typed with the skill's name.
    await _skill(page, 1).fill("")
    await _skill(page, 1).press_sequentially("ふぁいなんす")
    await page.locator("#skill-1-suggestions").get_by_role("button", name="財務").click()
    assert await _skill(page, 1).input_value() == "財務"


async def test_a_seeded_professional_sees_the_matches_with_their_explanations(
    people: People,
) -> None:
    page = await people.sign_in("pro@renkei.example", individual=True)
    await page.goto("/app/me")
    matches = page.locator("article.match")
    assert await matches.count() > 0
    first = matches.first
    assert await first.locator("table caption").inner_text() == "このマッチングが提案された理由"
    assert await first.locator("tbody tr").count() > 0
    link = first.get_by_role("link", name="このマッチングのすべてのステップ")
    assert re.match(r"^/app/matches/[A-Za-z0-9_=-]+$", await link.get_attribute("href") or "")
    # Name and contact stay with the professional until both sides accept.
    assert "南 さつき" not in await page.inner_text("#firms-see")
    await check_accessibility(page)


async def test_a_professional_accepts_a_proposal_and_it_then_waits_for_the_firm(
    people: People,
) -> None:
    # A seeded professional no other console test reads.
    email = "x.nagata@pros.example"
    page = await people.sign_in(email, individual=True)
    await page.goto("/app/me")
    waiting = page.locator("article.match", has=page.get_by_role("button", name=ACCEPT))
    assert await waiting.count() > 0
    title = await waiting.first.get_by_role("heading", level=3).inner_text()
    await waiting.first.get_by_role("button", name=ACCEPT).click()

    await page.wait_for_url(re.compile(r".*/app/me\?done=match-accepted$"))
    assert "マッチングを承諾しました" in await page.inner_text("[role=status]")
    match = page.locator("article.match", has=page.get_by_role("heading", name=title))
    assert "企業の回答を待っています" in await match.inner_text()
    assert await match.get_by_role("button", name=ACCEPT).count() == 0


async def test_a_professional_declines_after_confirming_and_no_answer_is_left(
    people: People,
) -> None:
    email = "o.yamauchi@pros.example"  # seeded, with one proposal; no other test reads it
    page = await people.sign_in(email, individual=True)
    await page.goto("/app/me")
    match = page.locator("article.match").first
    title = await match.get_by_role("heading", level=3).inner_text()
    asked: list[str] = []

    async def confirm(dialog: Any) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", confirm)
    await match.get_by_role("button", name="このマッチングを辞退する").click()

    await page.wait_for_url(re.compile(r".*/app/me\?done=match-declined$"))
    assert asked == ["このマッチングを辞退しますか？ 企業に通知されます。"]
    match = page.locator("article.match", has=page.get_by_role("heading", name=title))
    assert "辞退" in await match.locator("dd").first.inner_text()
    assert await match.get_by_role("button").count() == 0


async def test_a_save_from_a_stale_editor_is_refused_at_the_top_and_overwrites_nothing(
    people: People,
) -> None:
    page = await people.sign_in(_someone(), individual=True)
    await page.goto("/app/me/profile")
    await _fill_profile(page, skill="財務")
    await page.get_by_role("button", name="プロフィールを保存する").click()
    await page.wait_for_url(re.compile(r".*/app/me\?done=profile-saved$"))

    # Two tabs read version 1; the first saves, then the second.
    first, second = page, await page.context.new_page()
    for tab in (first, second):
        await tab.goto("/app/me/profile")
    await first.get_by_label("見出し").fill("地域企業の財務を立て直す会計士")
    await first.get_by_role("button", name="プロフィールを保存する").click()
    await first.wait_for_url(re.compile(r".*/app/me\?done=profile-saved$"))
    await second.get_by_label("見出し").fill("古い画面からの見出し")
    await second.get_by_role("button", name="プロフィールを保存する").click()

    alert = await second.get_by_role("alert").inner_text()
    assert "プロフィールは読み込んだ後に変更されています" in alert
    assert await second.get_by_label("見出し").input_value() == "古い画面からの見出し"
    await first.goto("/app/me")
    assert "地域企業の財務を立て直す会計士" in await first.inner_text("#firms-see")


async def test_a_stranger_is_sent_to_sign_in_even_from_a_suggestion(people: People) -> None:
    page = await people.open()
    await page.goto("/app/me")
    assert "/app/sign-in?next=%2Fapp%2Fme" in page.url
    answer = await page.request.get(
        "/app/me/skills?q=財務", headers={"HX-Request": "true"}, max_redirects=0
    )
    assert answer.status == 204
    assert answer.headers["hx-redirect"].startswith("/app/sign-in")
