"""Steps the talent tests share: a new professional with a profile, a need posted by the firm."""

from __future__ import annotations

import re
import uuid

from console.conftest import People, check_accessibility

FIRM = "ceo@aso-seimitsu.example"
SAVE_PROFILE = """
mutation ($input: SaveProfessionalProfileInput!) {
  saveProfessionalProfile(input: $input) { userErrors { message } }
}"""


async def new_professional(people: People, headline: str) -> tuple[object, str]:
    """A new professional (seeded ones have no sign-in of their own) with a kintone profile,
    saved through the public API from her browser; the profile editor is another page's."""
    email = f"kintone-{uuid.uuid4().hex[:8]}@pros.example"
    page = await people.sign_in(email, individual=True)
    token = await page.locator("meta[name=csrf-token]").get_attribute("content")
    profile = {
        "fullName": "園田 試験",
        "contactEmail": email,
        "headline": headline,
        "skills": [
            {"skill": "kintone", "level": 5, "years": 6},
            {"skill": "paperless", "level": 5, "years": 6},
        ],
        "hoursPerMonth": 30,
        "availableFrom": "2027-01-01",
        "remotePreference": "REMOTE",
        "residencePrefectureCode": "13",
        "ties": [{"prefectureCode": "43", "kind": "HOMETOWN"}],
        "feeMinJpy": 100000,
        "feeMaxJpy": 200000,
        "maxEngagements": 3,
    }
    answer = await page.request.post(
        "/graphql",
        data={"query": SAVE_PROFILE, "variables": {"input": profile}},
        headers={"X-CSRF-Token": token or ""},
    )
    assert answer.ok, await answer.text()
    assert (await answer.json())["data"]["saveProfessionalProfile"]["userErrors"] == []
    return page, email


async def post_need(
    page,
    title: str,
    *,
    hours: str = "２０",
    project: str | None = None,
    milestone: str | None = None,
) -> None:
    """The firm's new need through the form, saved as a draft; it may serve a project and one
    of its milestones (chosen by the start of its label)."""
    await page.goto("/app/talent/needs")
    await check_accessibility(page)
    await page.get_by_role("link", name="新しいニーズを登録").click()
    await check_accessibility(page)
    await page.get_by_label("タイトル").fill(title)
    await page.get_by_label("必須スキル").fill("kintone, ペーパーレス化: 0.8")
    await page.get_by_label("月あたりの時間").fill(hours)
    await page.get_by_label("期間（か月）").fill("6")
    await page.get_by_label("働き方").select_option("REMOTE")
    await page.get_by_label("勤務地の都道府県").select_option("43")
    await page.get_by_label("月額報酬の下限（円）").fill("100,000")
    await page.get_by_label("月額報酬の上限（円）").fill("200000")
    await page.get_by_label("開始日").fill("2027-04-01")
    if project is not None:
        await page.get_by_label("このニーズが貢献するプロジェクト").select_option(label=project)
    if milestone is not None:
        await page.get_by_role("checkbox", name=re.compile("^" + re.escape(milestone))).check()
    await page.get_by_role("button", name="下書きとして保存").click()
