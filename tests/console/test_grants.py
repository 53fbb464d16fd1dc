"""The project page's grant applications in Chromium: the lead's admin takes an application from
構想 through 申請 to 交付決定 with the buttons, sees the grant, the local share (地方負担) and the
next deadline; a partner reads the list without the buttons; a stranger sees none of it.

The project is the seeded 九州半導体サプライチェーン強化プロジェクト: 熊本県 leads, 福岡県 takes
part, 宮崎県 (a member of the region, which sees the project) does not. The test makes its own
application, so the seeded one (through its decision and report) stays as the seed left it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from console.conftest import People, check_accessibility, follow

LEAD = "admin@pref-kumamoto.example"  # 熊本県: lead
PARTNER = "admin@pref-fukuoka.example"  # 福岡県: a partner
STRANGER = "admin@pref-miyazaki.example"  # 宮崎県: in the region, not in the project
PROJECT = "九州半導体サプライチェーン強化プロジェクト"
FIND = """
query($s: String) {
  projects(search: $s, first: 5) { nodes { id name } }
  grantSchemes(fiscalYear: 2026) { id name }
}
"""
CREATE = """
mutation($input: CreateGrantApplicationInput!) {
  createGrantApplication(input: $input) { grantApplication { id } userErrors { message } }
}
"""


async def _api(page: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    token = await page.locator("meta[name=csrf-token]").get_attribute("content")
    response = await page.request.post(
        "/graphql",
        data=json.dumps({"query": query, "variables": variables}),
        headers={"content-type": "application/json", "x-csrf-token": token},
    )
    body: dict[str, Any] = await response.json()
    return body["data"]


async def test_the_lead_takes_a_grant_application_step_by_step(people: People) -> None:
    lead = await people.sign_in(LEAD)
    found = await _api(lead, FIND, {"s": "半導体サプライチェーン"})
    (project_id,) = [n["id"] for n in found["projects"]["nodes"] if n["name"] == PROJECT]
    (scheme_id,) = [s["id"] for s in found["grantSchemes"] if s["name"] == "地域未来交付金"]
    title = f"追加投資 {uuid.uuid4().hex[:6]}"
    created = await _api(
        lead,
        CREATE,
        {
            "input": {
                "projectId": project_id,
                "schemeId": scheme_id,
                "title": title,
                "requestedCostJpy": 100_000_000,
                "rate": 0.5,
            }
        },
    )
    assert created["createGrantApplication"]["grantApplication"]
    url = f"/app/projects/{project_id}"
    await lead.goto(url)
    section = lead.locator("#grants ~ table").first
    # the seeded application, through its decision and report, and the new one at 構想
    seeded = section.get_by_role("row").filter(has_text="地域未来交付金 2026年度")
    assert "実績報告済み" in await seeded.inner_text()
    row = section.get_by_role("row").filter(has_text=title)
    assert "構想" in await row.inner_text()
    assert "50,000,000円" in await row.inner_text()  # 地方負担: 1億円 − 1/2
    await check_accessibility(lead)
    # when the lead records the application (申請), then the decision (交付決定)
    form = lead.get_by_role("form", name=f"申請を記録する: {title}")
    await form.get_by_role("button", name="申請を記録する").click()
    assert "次の手続きに進みました" in await lead.get_by_role("status").inner_text()
    row = lead.locator("#grants ~ table").first.get_by_role("row").filter(has_text=title)
    assert "申請済み" in await row.inner_text()
    form = lead.get_by_role("form", name=f"交付決定を記録する: {title}")
    await form.get_by_label("交付決定額（円）").fill("40000000")
    await form.get_by_label("実績報告の期限").fill("2027-04-30")
    await form.get_by_role("button", name="交付決定を記録する").click()
    # then the decided grant, the local share and the report's deadline are shown
    row = lead.locator("#grants ~ table").first.get_by_role("row").filter(has_text=title)
    text = await row.inner_text()
    assert "交付決定" in text and "40,000,000円" in text and "60,000,000円" in text
    assert "2027年4月30日" in text
    # and the partner reads it without a button, the stranger not at all
    partner = await people.sign_in(PARTNER)
    await partner.goto(url)
    assert title in await partner.locator("#grants ~ table").first.inner_text()
    assert await partner.get_by_role("button", name="実績報告を記録する").count() == 0
    stranger = await people.sign_in(STRANGER)
    await stranger.goto(url)
    assert await stranger.get_by_role("heading", level=1).inner_text() == PROJECT
    assert await stranger.locator("#grants").count() == 0


async def test_the_lead_starts_an_application_with_the_form(people: People) -> None:
    lead = await people.sign_in(LEAD)
    found = await _api(lead, FIND, {"s": "半導体サプライチェーン"})
    (project_id,) = [n["id"] for n in found["projects"]["nodes"] if n["name"] == PROJECT]
    url = f"/app/projects/{project_id}"
    await lead.goto(url)
    title = f"人材育成拠点 {uuid.uuid4().hex[:6]}"
    await lead.get_by_text("交付金の申請を始める（構想）").click()
    form = lead.get_by_role("form", name="交付金の申請を始める（構想）")
    await form.get_by_label("制度（交付金・補助金）").select_option(
        label="地域未来交付金 (2026年度)"
    )
    await form.get_by_label("申請の名称").fill(title)
    await form.get_by_label("事業費（円）").fill("８０，０００，０００")  # as typed, full-width
    # when the scheme's 補助率 is unconfirmed and no rate is given, the API's reason is shown
    # beside the field, in Japanese, and what was typed stays
    await follow(lead, form.get_by_role("button", name="構想として登録する"))
    form = lead.get_by_role("form", name="交付金の申請を始める（構想）")
    rate = form.get_by_label("想定する補助率")
    assert await rate.get_attribute("aria-invalid") == "true"
    error = await form.locator("#grant-new-rate-error").inner_text()
    assert "申請で想定する補助率を入力してください" in error
    assert await form.get_by_label("申請の名称").input_value() == title
    assert await lead.locator("#grants ~ table").first.get_by_text(title).count() == 0
    await check_accessibility(lead)
    # then with the rate it is created and listed at 構想
    await rate.fill("0.5")
    await follow(lead, form.get_by_role("button", name="構想として登録する"))
    assert "構想として登録しました" in await lead.get_by_role("status").inner_text()
    rows = lead.locator("#grants ~ table").first.get_by_role("row").filter(has_text=title)
    assert await rows.count() == 1
    text = await rows.inner_text()
    assert "構想" in text and "80,000,000円" in text and "40,000,000円" in text
    # and its next step is offered; a partner sees neither that nor the creation form
    assert await lead.get_by_role("form", name=f"申請を記録する: {title}").count() == 1
    partner = await people.sign_in(PARTNER)
    await partner.goto(url)
    assert title in await partner.locator("#grants ~ table").first.inner_text()
    assert await partner.get_by_role("form", name="交付金の申請を始める（構想）").count() == 0
    assert await partner.get_by_text("交付金の申請を始める（構想）").count() == 0
