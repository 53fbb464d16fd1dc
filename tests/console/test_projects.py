"""The project page in Chromium: a counterpart signs a milestone off and the owner sees it done;
KPI observations entered in the form; a stranger refused.

The project is the seeded 関門・響灘 水素サプライチェーン実証 (participants only): 北九州市 leads,
福岡県 takes part, 株式会社阿蘇精密 does not. Each test makes its own milestone, or corrects a
seeded value with itself, so that the other tests of the session read the seed unchanged.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from console.conftest import People, check_accessibility, follow

LEAD = "admin@city-kitakyushu.example"  # 北九州市: lead
PARTNER = "admin@pref-fukuoka.example"  # 福岡県: a partner
STRANGER = "ceo@aso-seimitsu.example"  # 株式会社阿蘇精密: not in the project
PROJECT = "関門・響灘 水素サプライチェーン実証"
KPI = "関門・響灘地区の水素供給量"
FIND_PROJECT = "query($s: String) { projects(search: $s, first: 5) { nodes { id name } } }"


async def _project_url(page: Any) -> str:
    """The project's page, found through the public API as the signed-in browser."""
    token = await page.locator("meta[name=csrf-token]").get_attribute("content")
    response = await page.request.post(
        "/graphql",
        data=json.dumps(
            {
                "query": FIND_PROJECT,
                "variables": {"s": "水素サプライチェーン"},
            }
        ),
        headers={"content-type": "application/json", "x-csrf-token": token},
    )
    nodes = (await response.json())["data"]["projects"]["nodes"]
    (project_id,) = [n["id"] for n in nodes if n["name"] == PROJECT]
    return f"/app/projects/{project_id}"


async def test_a_counterpart_signs_a_milestone_off_and_the_owner_sees_it_done(
    people: People,
) -> None:
    lead = await people.sign_in(LEAD)
    url = await _project_url(lead)
    await lead.goto(url)
    assert await lead.get_by_role("heading", level=1).inner_text() == PROJECT
    assert "福岡県" in await lead.locator("#participants ~ table").first.inner_text()
    await check_accessibility(lead)

    # given: the lead adds a milestone that 福岡県 signs off, and reports it complete
    title = f"水素ステーション試験運転 {uuid.uuid4().hex[:6]}"
    await lead.get_by_text("マイルストーンを追加", exact=True).click()
    form = lead.locator("form").filter(
        has=lead.get_by_role("button", name="マイルストーンを追加する")
    )
    await form.get_by_label("名称").fill(title)
    await form.get_by_label("期限").fill("2030-03-29")
    await form.get_by_label("完了を確認する相手方組織").select_option(label="福岡県")
    await lead.get_by_role("button", name="マイルストーンを追加する").click()
    assert "マイルストーンを追加しました。" in await lead.get_by_role("status").inner_text()
    row = lead.get_by_role("row").filter(has_text=title)
    assert "未着手" in await row.inner_text()
    # The owner's side cannot confirm its own work.
    assert await row.get_by_role("button", name="完了を確認する").count() == 0
    await row.get_by_role("link", name=title).click()
    await check_accessibility(lead)
    await lead.get_by_label("進捗率（%）").fill("50")
    await lead.get_by_role("button", name="保存する").click()
    assert "マイルストーンを更新しました。" in await lead.get_by_role("status").inner_text()
    facts = await lead.locator("dl.facts").inner_text()
    assert "50%" in facts
    assert "進行中" in await lead.locator("main").inner_text()
    await lead.locator("#schedule-dueOn").fill("2030-06-28")
    await lead.get_by_role("button", name="日程を変更する").click()
    assert "日程を変更しました" in await lead.get_by_role("status").inner_text()
    assert "2030年6月28日" in await lead.locator("dl.facts").inner_text()
    await lead.get_by_role("button", name="完了を報告して確認を依頼する").click()
    assert "完了の確認を依頼しました" in await lead.get_by_role("status").inner_text()
    assert "福岡県による完了の確認を待っています。" in await lead.inner_text("main")

    # when: 福岡県, in another browser, signs it off from the project page
    partner = await people.sign_in(PARTNER)
    await partner.goto(url)
    partner_row = partner.get_by_role("row").filter(has_text=title)
    assert "完了確認待ち" in await partner_row.inner_text()
    await partner_row.get_by_role("button", name="完了を確認する").click()
    assert "完了を確認しました" in await partner.get_by_role("status").inner_text()

    # then: the lead sees it done
    await lead.goto(url)
    done_row = lead.get_by_role("row").filter(has_text=title)
    assert "完了" in await done_row.inner_text()
    assert "完了確認待ち" not in await done_row.inner_text()
    await done_row.get_by_role("link", name=title).click()
    assert "完了確認日" in await lead.inner_text("main")
    activity = await lead.locator("ol.activity").inner_text()
    assert "完了承認" in activity
    # every step in words, no code such as status_changed
    assert "進捗を報告" in activity and "状況を変更" in activity
    assert "_" not in activity


async def test_an_observation_entered_in_the_form_appears_and_an_invalid_one_is_refused(
    people: People,
) -> None:
    lead = await people.sign_in(LEAD)
    await lead.goto(await _project_url(lead))
    await lead.get_by_role("link", name=KPI).click()
    await check_accessibility(lead)
    form = lead.locator("form[action$='/observations']")
    # A year before the seeded one: the latest value, so the attainment, stays as seeded.
    await form.get_by_label("期間の開始日").fill("2024-04-01")
    await form.get_by_label("期間の終了日").fill("2025-03-31")

    # An invalid value: the API's words beside the field, nothing saved.
    await form.get_by_label(re.compile("^値")).fill("99999999999999999")
    await form.get_by_label("備考").fill("桁の誤り")
    await form.get_by_role("button", name="記録する").click()
    error = lead.locator("#field-value-error")
    assert "値が大きすぎます" in await error.inner_text()
    assert "桁の誤り" not in await lead.locator("table").last.inner_text()
    await check_accessibility(lead)

    note = f"基準年度の実績（{uuid.uuid4().hex[:6]}）"
    await form.get_by_label(re.compile("^値")).fill("1200")
    await form.get_by_label("備考").fill(note)
    await form.get_by_role("button", name="記録する").click()
    assert "実績値を記録しました。" in await lead.get_by_role("status").inner_text()
    row = lead.get_by_role("row").filter(has_text=note)
    assert "1,200" in await row.inner_text()
    assert "北九州市" in await row.inner_text()


async def test_an_organization_outside_the_project_is_told_it_is_not_found(
    people: People,
) -> None:
    lead = await people.sign_in(LEAD)
    url = await _project_url(lead)
    stranger = await people.sign_in(STRANGER)
    response = await stranger.goto(url)
    assert response.status == 404
    assert "このプロジェクトは存在しないか" in await stranger.inner_text("main")
    assert PROJECT not in await stranger.inner_text("main")
    await check_accessibility(stranger)


async def test_a_partner_sees_no_action_on_a_milestone_it_neither_owns_nor_signs_off(
    people: People,
) -> None:
    partner = await people.sign_in(PARTNER)
    await partner.goto(await _project_url(partner))
    row = partner.get_by_role("row").filter(has_text="最終投資決定（FID）")
    assert await row.get_by_role("button").count() == 0
    assert await row.get_by_role("link", name="更新").count() == 0
    await follow(partner, row.get_by_role("link", name="最終投資決定（FID）"))
    assert await partner.get_by_role("heading", name="進捗を報告").count() == 0
    assert await partner.locator("form[action$='/dependencies']").count() == 0


async def test_the_apis_refusal_of_a_cyclic_dependency_is_shown_beside_the_field(
    people: People,
) -> None:
    lead = await people.sign_in(LEAD)
    await lead.goto(await _project_url(lead))
    await lead.get_by_role("link", name="最終投資決定（FID）").click()
    # 水素供給 年間1万トン体制 waits for the FID already: the FID cannot wait for it.
    form = lead.locator("form[action$='/dependencies']")
    await form.get_by_label("先行するマイルストーン").select_option(
        label="水素供給 年間1万トン体制（期限：2031年3月31日）"
    )
    await form.get_by_role("button", name="依存関係を追加").click()
    error = lead.locator("#field-predecessorId-error")
    assert "この依存関係を追加すると循環が生じます" in await error.inner_text()
    waits_for = lead.get_by_role("table", name="次のマイルストーンの期限の後に開始します")
    assert "水素供給" not in await waits_for.inner_text()
    await check_accessibility(lead)


async def test_a_baseline_is_saved_once_under_a_name(people: People) -> None:
    lead = await people.sign_in(LEAD)
    url = await _project_url(lead)
    await lead.goto(url)
    name = f"交付金申請時 {uuid.uuid4().hex[:6]}"
    await lead.get_by_label("新しいベースラインの名前").fill(name)
    await lead.get_by_role("button", name="ベースラインを保存する").click()
    assert "ベースラインを保存しました。" in await lead.get_by_role("status").inner_text()
    assert await lead.get_by_role("heading", name=name).count() == 1
    assert await lead.get_by_text("遅れ0件").count() >= 1  # today's plan against itself
    # The same name again: the API's refusal, in Japanese, beside the field.
    await lead.get_by_label("新しいベースラインの名前").fill(name)
    await lead.get_by_role("button", name="ベースラインを保存する").click()
    error = lead.locator("#baseline-name-error")
    assert f"「{name}」という名前のベースラインがすでにあります" in await error.inner_text()
    assert await lead.get_by_role("heading", name=name).count() == 1
    await check_accessibility(lead)


POST_NEED = """
mutation($input: CreateTalentNeedInput!) {
  createTalentNeed(input: $input) { talentNeed { id } userErrors { message } }
}
"""
PROJECT_MILESTONES = (
    "query($id: ID!) { project(id: $id) { milestones(first: 2) { nodes { id title } } } }"
)


async def _api(page: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    token = await page.locator("meta[name=csrf-token]").get_attribute("content")
    response = await page.request.post(
        "/graphql",
        data=json.dumps({"query": query, "variables": variables}),
        headers={"content-type": "application/json", "x-csrf-token": token},
    )
    body = await response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def test_the_project_page_shows_the_talent_needs_serving_it(people: People) -> None:
    # A draft need of the lead's (no one else reads a draft), serving the project's first
    # milestone, shows on the project page with that milestone.
    lead = await people.sign_in(LEAD)
    url = await _project_url(lead)
    project_id = url.rsplit("/", 1)[1]
    milestones = (await _api(lead, PROJECT_MILESTONES, {"id": project_id}))["project"]
    first = milestones["milestones"]["nodes"][0]
    title = f"水素設備の保全計画づくり {uuid.uuid4().hex[:6]}"
    posted = await _api(
        lead,
        POST_NEED,
        {
            "input": {
                "title": title,
                "requiredSkills": [{"skill": "財務", "weight": 1.0}],
                "hoursPerMonth": 20,
                "workplacePrefectureCode": "40",
                "feeMinJpy": 100000,
                "feeMaxJpy": 200000,
                "startsOn": "2027-04-01",
                "projectId": project_id,
                "milestoneIds": [first["id"]],
            }
        },
    )
    assert posted["createTalentNeed"]["userErrors"] == []

    await lead.goto(url)
    section = lead.locator(".talent-needs > li", has_text=title)
    assert await section.count() == 1
    assert f"対象のマイルストーン: {first['title']}" in await section.inner_text()
    await check_accessibility(lead)
