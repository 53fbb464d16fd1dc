"""The region pages in Chromium: the secretariat invites, the invitee's admin accepts in another
browser; the portfolio's filters; the KPI charts; what an outsider sees."""

from __future__ import annotations

import re
from datetime import date

from console.conftest import People, check_accessibility, follow
from renkei.graphql.console.regions import milestone_watch, watch_window

SECRETARIAT = "secretariat@kyushu-keizai.example"
FUKUOKA = "admin@pref-fukuoka.example"
# びわこ精機 (滋賀県) is in no region of the seed: not a member of kyushu.
BIWAKO = "hr@biwako-seiki.example"
# 鳥取県 takes part in chugoku, not in kyushu.
TOTTORI = "admin@pref-tottori.example"


async def test_the_secretariat_invites_a_firm_whose_admin_accepts_in_another_browser(
    people: People,
) -> None:
    # given: the secretariat on its region's home
    secretariat = await people.sign_in(SECRETARIAT)
    await secretariat.goto("/app/regions/kyushu")
    assert await secretariat.get_by_role("heading", level=1).inner_text() == "九州広域リージョン"
    # the milestones at risk across the region's projects (Region.milestones), whatever the date
    at_risk = await secretariat.locator("#watch-at_risk + table").inner_text()
    assert "鹿児島－那覇 航路連携の周遊商品化" in at_risk
    await check_accessibility(secretariat)
    # when: it invites びわこ精機
    await secretariat.get_by_label("招待する組織").select_option(label="びわこ精機株式会社")
    await secretariat.get_by_role("button", name="招待を送る").click()
    # then: the invitation waits for an answer
    assert "招待を送りました" in await secretariat.get_by_role("status").first.inner_text()
    invited = secretariat.get_by_role("table", name="回答待ちの招待")
    assert "びわこ精機株式会社" in await invited.inner_text()

    # when: the firm's admin, in another browser, opens its regions page and accepts
    firm = await people.sign_in(BIWAKO)
    await firm.goto("/app/regions")
    assert "九州経済広域連携協議会が、あなたの組織をメンバーとして招待しています" in (
        await firm.inner_text("main")
    )
    await check_accessibility(firm)
    await firm.get_by_role("button", name="九州広域リージョンへの招待を受ける").click()
    # then: kyushu is among its regions, and no invitation waits
    assert "あなたの組織は構成団体になりました" in await firm.inner_text("main")
    mine = firm.get_by_role("table", name="あなたの組織が運営または参加しているリージョン")
    assert "九州広域リージョン" in await mine.inner_text()
    assert await firm.get_by_role("button", name=re.compile("招待を受ける")).count() == 0

    # and the secretariat sees it as a member, no longer invited
    await secretariat.goto("/app/regions/kyushu")
    members = secretariat.get_by_role("table", name=re.compile("構成団体 "))
    assert "びわこ精機株式会社" in await members.inner_text()
    assert await secretariat.get_by_role("table", name="回答待ちの招待").count() == 0 or (
        "びわこ精機株式会社"
        not in await secretariat.get_by_role("table", name="回答待ちの招待").inner_text()
    )


async def test_the_filters_narrow_the_portfolio(people: People) -> None:
    page = await people.sign_in(FUKUOKA)
    await page.goto("/app/regions/kyushu/projects")
    rows = page.locator("table.portfolio tbody tr")
    everything = await rows.count()
    assert everything >= 4
    await check_accessibility(page)

    await page.get_by_label("分野").select_option(label="半導体関連産業の支援")
    await follow(page, page.get_by_role("button", name="プロジェクトを表示"))
    assert await rows.count() == 1
    assert "九州半導体サプライチェーン強化プロジェクト" in await rows.first.inner_text()
    assert "category=SEMICONDUCTOR" in page.url

    await page.goto("/app/regions/kyushu/projects")
    await page.get_by_label("検索").fill("観光")
    await page.get_by_label("都道府県").select_option(label="沖縄県")
    await follow(page, page.get_by_role("button", name="プロジェクトを表示"))
    assert 0 < await rows.count() < everything
    assert "めぐる九州" in await rows.first.inner_text()
    # each project links to its page, by its global id
    link = rows.first.get_by_role("link")
    assert re.match(r"^/app/projects/[A-Za-z0-9_=-]+$", await link.get_attribute("href") or "")


async def test_each_kpi_has_a_chart_with_a_name_and_a_table_of_its_numbers(
    people: People,
) -> None:
    page = await people.sign_in(FUKUOKA)
    await page.goto("/app/regions/kyushu/kpis")
    chart = page.get_by_role("img", name=re.compile("九州・山口・沖縄の製造品出荷額のグラフ"))
    assert await chart.count() == 1
    targets = page.get_by_role("table", name="九州・山口・沖縄の製造品出荷額の目標値")
    assert "2026年度" in await targets.inner_text()
    assert "29.5" in await targets.inner_text()
    await check_accessibility(page)


async def test_an_outsider_sees_public_projects_only_and_a_missing_region_is_not_found(
    people: People,
) -> None:
    page = await people.sign_in(TOTTORI)
    await page.goto("/app/regions/kyushu/projects")
    portfolio = await page.inner_text("main")
    assert "めぐる九州" in portfolio  # PUBLIC
    assert "九州半導体サプライチェーン強化プロジェクト" not in portfolio  # members only
    await page.goto("/app/regions/kyushu")
    assert await page.get_by_role("button", name="招待を送る").count() == 0

    response = await page.goto("/app/regions/no-such-region")
    assert response.status == 404
    assert await page.get_by_role("heading", level=1).inner_text() == "見つかりません"
    assert "このアドレスのリージョンはないか、閲覧できません" in await page.inner_text("main")
    await check_accessibility(page)


def test_the_milestones_to_watch_are_asked_for_30_days_and_read_from_the_three_aliases() -> None:
    # given: the API's answer to RegionHome's three aliased pages of Region.milestones
    def page(*titles: str, more: bool = False) -> dict[str, object]:
        nodes = [{"title": t, "dueOn": "2026-06-01", "status": "AT_RISK"} for t in titles]
        return {"nodes": nodes, "pageInfo": {"hasNextPage": more}}

    region = {"overdue": page("late"), "dueSoon": page("today", more=True), "atRisk": page()}
    # when
    window = watch_window(date(2026, 6, 1))
    watch = milestone_watch(region)
    # then: the 30 days include the 30th; each list as the API sorted it, with its dates read
    assert window == {"today": "2026-06-01", "in30days": "2026-07-01"}
    assert [m["title"] for m in watch["overdue"]["rows"]] == ["late"]
    assert watch["due_soon"]["rows"][0]["dueOn"] == date(2026, 6, 1)
    assert (watch["due_soon"]["more"], watch["overdue"]["more"]) == (True, False)
    assert watch["at_risk"] == {"rows": [], "more": False}


async def test_kansai_shows_who_signed_for_whom_its_sources_and_what_is_invented(
    people: People,
) -> None:
    # given: an admin of 堺市, which 関西広域連合 represents in 関西's declaration
    sakai = await people.sign_in("admin@city-sakai.example")
    # when: they open 関西's home
    await sakai.goto("/app/regions/kansai")
    main = await sakai.inner_text("main")
    # then: the declaration names its signatories, who signed for whom, and its sources
    assert "堺市（関西広域連合が代表）" in main
    assert "https://www.kankeiren.or.jp/topics/2025/10/post-796.html" in main
    assert "福井県" not in main and "三重県" not in main
    # and the members table says so, confirmed; the invented vision and firms are marked
    members = await sakai.get_by_role("table", name=re.compile("構成団体 ")).inner_text()
    assert "関西広域連合が代表して署名 （確認済み）" in members
    assert "このビジョンと策定日はデモ用に作成したものです。" in main
    assert "架空の組織（デモ用データ）" in members
    await check_accessibility(sakai)
