"""効果検証 in Chromium: the secretariat reads the seeded published round, opens a new one,
builds it and publishes it; its report is a 404 for anyone until then, and readable after."""

from __future__ import annotations

from typing import Any

from console.conftest import People, check_accessibility, follow

SECRETARIAT = "secretariat@kyushu-keizai.example"
SEEDED = "令和8年度 九州広域リージョン 第1回 効果検証会議"


async def test_the_secretariat_reads_the_seeded_round_and_anyone_its_report(
    people: People,
) -> None:
    # given the secretariat on its region's evaluations
    page = await people.sign_in(SECRETARIAT)
    await page.goto("/app/regions/kyushu/evaluations")
    assert await page.get_by_role("heading", level=1).inner_text() == "九州広域リージョンの効果検証"
    await check_accessibility(page)
    # when it opens the published round
    await follow(page, page.get_by_role("link", name=SEEDED))
    # then participation by 産官学金労言, with 労 missing
    sectors = page.get_by_role("table", name="分野別の参加団体数")
    assert "産" in await sectors.inner_text()
    assert "参加がなかった分野: 労" in await page.inner_text("main")
    # the KPIs with their frozen attainment, and the two improvements
    attainment = page.locator("table.attainment tbody tr")
    assert await attainment.count() == 5
    assert "地場企業の半導体関連取引額" in await page.locator("table.attainment").inner_text()
    improvements = page.locator("table.improvements tbody tr")
    assert await improvements.count() == 2
    assert "公開済み" in await page.locator(".round-state").inner_text()
    await check_accessibility(page)
    # and anyone, signed in or not, opens the published report
    link = page.get_by_role("link", name="公開した報告を開く（印刷用表示）")
    href = await link.get_attribute("href")
    assert href is not None
    stranger = await people.open()
    response = await stranger.goto(href)
    assert response is not None and response.status == 200
    assert await stranger.get_by_role("heading", level=1).inner_text() == SEEDED
    assert await stranger.locator("html").get_attribute("lang") == "ja"
    await check_accessibility(stranger)
    # the print view: the print stylesheet applies when printed
    await stranger.emulate_media(media="print")
    assert (
        await stranger.locator("thead").first.evaluate("e => getComputedStyle(e).display")
        == "table-header-group"
    )


async def test_a_new_round_is_not_public_until_the_secretariat_publishes_it(
    people: People,
) -> None:
    page = await people.sign_in(SECRETARIAT)
    await page.goto("/app/regions/kyushu/evaluations")
    # when it opens a new round
    await page.get_by_label("名称").fill("令和8年度 第2回 効果検証会議（テスト）")
    await page.get_by_label("実施日").fill("2026-11-30")
    await follow(page, page.get_by_role("button", name="始める"))
    # then a draft, with its own page
    assert "効果検証を下書きとして作成しました" in await page.get_by_role("status").inner_text()
    round_url = page.url
    # it records who took part, a KPI and a finding
    await page.get_by_label("参加した団体").select_option(label="西日本みらい新聞社")
    await follow(page, page.get_by_role("button", name="参加団体を追加する"))
    assert "西日本みらい新聞社" in await page.locator("ul.participants").inner_text()
    await page.get_by_label("検証するKPI").select_option(
        label="地場企業の半導体関連取引額 (九州半導体サプライチェーン強化プロジェクト)"
    )
    await follow(page, page.get_by_role("button", name="KPIを追加する"))
    assert await page.locator("table.attainment tbody tr").count() == 1
    await page.get_by_label("本文").fill("取引額は計画どおり")
    await follow(page, page.get_by_role("button", name="追加する", exact=True))
    assert "取引額は計画どおり" in await page.locator("ul.findings").inner_text()
    await check_accessibility(page)
    # before publication the report is not found, for anyone
    report = f"/reports/evaluations/{round_url.rstrip('/').rsplit('/', 1)[1]}"
    stranger = await people.open()
    response = await stranger.goto(report)
    assert response is not None and response.status == 404
    # when the secretariat publishes it (and confirms)
    asked: list[str] = []

    async def confirm(dialog: Any) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", confirm)
    await follow(page, page.get_by_role("button", name="報告を公開する"))
    assert asked and "公開" in asked[0]
    assert "報告を公開しました" in await page.get_by_role("status").inner_text()
    # then the report is there for anyone
    response = await stranger.goto(report)
    assert response is not None and response.status == 200
    assert "取引額は計画どおり" in await stranger.inner_text("main")
