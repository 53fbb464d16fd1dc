"""The talent journey's record in Chromium: a match's activity as each side reads it, and a need
linked to the project milestones it serves."""

from __future__ import annotations

import re
import uuid

from console.conftest import People, check_accessibility
from console.talent_steps import FIRM, new_professional, post_need

FULL_NAME = "園田 試験"  # new_professional's name
PROJECT = "九州半導体人材育成コンソーシアム"  # the seed's: 阿蘇精密 takes part in it
MILESTONE = "UIJターン技術者のマッチング100名"
OTHER_PROJECT_MILESTONE = (
    "後工程（パッケージング）ライン 地場3社の量産立上げ"  # of another of its projects
)


async def test_the_firm_reads_each_step_with_the_professional_by_pseudonym_until_both_accept(
    people: People,
) -> None:
    tag = uuid.uuid4().hex[:6]
    headline = f"kintoneで現場を変える専門家 {tag}"
    professional, _email = await new_professional(people, headline)
    firm = await people.sign_in(FIRM)
    await post_need(firm, f"kintoneで在庫管理 {tag}")
    await firm.get_by_role("button", name="ニーズを公開").click()
    await firm.get_by_role("button", name="今すぐ提案を計算").click()
    proposal = firm.locator(".proposals > li", has_text=headline)
    pseudonym = (await proposal.get_by_role("heading").inner_text()).split("（")[0]
    link = proposal.get_by_role("link", name=f"{pseudonym}とのマッチング")
    match_url = await link.get_attribute("href")
    assert match_url and match_url.startswith("/app/matches/")

    # Nothing has happened on the match yet.
    await firm.goto(match_url)
    assert "まだ変更はありません" in await firm.inner_text("#activity + *")

    # She accepts the proposal first, in her own browser ...
    await professional.goto(match_url)
    await professional.get_by_role("button", name="マッチングを承諾").click()
    mine = professional.locator(".match-activity li")
    assert "マッチングを承諾" in await mine.first.inner_text()
    await check_accessibility(professional)

    # ... and the firm reads her step by her pseudonym: her name is nowhere on its page.
    await firm.goto(match_url)
    steps = firm.locator(".match-activity li")
    assert await steps.count() == 1
    step = await steps.first.inner_text()
    assert "マッチングを承諾" in step and f"{pseudonym}（副業人材）" in step
    assert FULL_NAME not in await firm.inner_text("main")
    assert "双方が承諾するまで、副業人材は仮名で表示されます。" in await firm.inner_text("main")
    await check_accessibility(firm)

    # Once the firm accepts too, both steps are listed, newest first, she by her name.
    await firm.get_by_role("button", name="マッチングを承諾").click()
    assert "マッチングを承諾しました" in await firm.inner_text("main")
    assert await steps.count() == 2
    assert "株式会社阿蘇精密（企業）" in await steps.nth(0).inner_text()
    assert f"{FULL_NAME}（副業人材）" in await steps.nth(1).inner_text()
    assert pseudonym not in await firm.inner_text(".match-activity")
    await check_accessibility(firm)


async def test_a_firm_links_its_need_to_a_milestone_and_the_need_page_links_to_it(
    people: People,
) -> None:
    title = f"UIJターン採用の仕組みづくり {uuid.uuid4().hex[:6]}"
    firm = await people.sign_in(FIRM)

    # A milestone of another project than the one chosen: the API refuses it beside the field.
    await post_need(firm, title, project=PROJECT, milestone=OTHER_PROJECT_MILESTONE)
    picker = firm.get_by_role("group", name="このニーズが貢献するマイルストーン")
    assert "そのプロジェクトのもの" in await picker.locator(".field-error").inner_text()
    assert await box(firm, OTHER_PROJECT_MILESTONE).is_checked()
    assert await firm.get_by_label("タイトル").input_value() == title
    await check_accessibility(firm)

    # The right milestone chosen, the need is saved and its page links to what it serves.
    await box(firm, OTHER_PROJECT_MILESTONE).uncheck()
    await box(firm, MILESTONE).check()
    await firm.get_by_role("button", name="下書きとして保存").click()
    assert await firm.get_by_role("heading", level=1).inner_text() == title
    facts = firm.locator("dl.facts")
    assert await facts.get_by_role("link", name=PROJECT).count() == 1
    served = facts.get_by_role("link", name=MILESTONE)
    assert re.fullmatch(
        r"/app/projects/[^/]+/milestones/[^/]+", await served.get_attribute("href") or ""
    )
    await check_accessibility(firm)
    need_url = firm.url.split("?")[0]

    # The link leads to the milestone; the project page lists the need serving it.
    await served.click()
    assert await firm.get_by_role("heading", level=1).inner_text() == MILESTONE
    await firm.goto(await facts_link(firm, need_url, PROJECT))
    talent = firm.locator("ul.talent-needs li", has_text=title)
    assert MILESTONE in await talent.inner_text()

    # Edited, the form shows the milestone chosen; unchosen, the need serves none.
    await firm.goto(need_url + "/edit")
    milestone = box(firm, MILESTONE)
    assert await milestone.is_checked()
    assert (
        await firm.get_by_label("このニーズが貢献するプロジェクト")
        .locator("option:checked")
        .inner_text()
        == PROJECT
    )
    await check_accessibility(firm)
    await milestone.uncheck()
    await firm.get_by_role("button", name="ニーズを保存").click()
    assert "ニーズを保存しました" in await firm.inner_text("main")
    assert await firm.locator("dl.facts").get_by_role("link", name=MILESTONE).count() == 0
    assert await firm.locator("dl.facts").get_by_role("link", name=PROJECT).count() == 1


async def facts_link(page, url: str, name: str) -> str:
    """Where a link of a need's facts leads."""
    await page.goto(url)
    return await page.locator("dl.facts").get_by_role("link", name=name).get_attribute("href")


def box(page, milestone: str):
    """A milestone's checkbox in the need form (its label goes on with the due date)."""
    return page.get_by_role("checkbox", name=re.compile("^" + re.escape(milestone)))
