"""The firm's talent pages and the match page in Chromium: a need posted, a proposal scouted,
and the match walked to a contract by the firm and the professional, each in their own browser."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from console.conftest import People, check_accessibility, follow
from console.talent_steps import FIRM, new_professional, post_need


async def test_a_firm_corrects_its_need_form_then_edits_the_draft(people: People) -> None:
    title = f"検証用ニーズ {uuid.uuid4().hex[:6]}"
    page = await people.sign_in(FIRM)
    await post_need(page, title, hours="たくさん")
    hours = page.get_by_label("月あたりの時間")
    assert await hours.get_attribute("aria-invalid") == "true"
    assert await hours.input_value() == "たくさん"
    assert "整数で入力してください" in await page.inner_text("main")
    await check_accessibility(page)

    await hours.fill("20")
    await page.get_by_role("button", name="下書きとして保存").click()
    assert await page.get_by_role("heading", level=1).inner_text() == title
    await page.get_by_role("link", name="ニーズを編集").click()
    await check_accessibility(page)
    assert await page.get_by_label("必須スキル").input_value() == "kintone: 1, ペーパーレス化: 0.8"
    await page.get_by_label("タイトル").fill(title + " 改")
    await page.get_by_role("button", name="ニーズを保存").click()
    assert "ニーズを保存しました" in await page.inner_text("main")

    await page.goto("/app/talent/needs")
    row = page.get_by_role("row", name=re.compile(re.escape(title + " 改")))
    assert "下書き" in await row.inner_text()

    # Opened, then paused: the list says so.
    await row.get_by_role("link").click()
    await page.get_by_role("button", name="ニーズを公開").click()
    await page.get_by_role("button", name="ニーズを一時停止").click()
    assert "一時停止中" in await page.inner_text("main")
    assert await page.get_by_role("button", name="ニーズを一時停止").count() == 0


async def test_a_firm_posts_a_need_and_walks_a_match_to_a_contract_with_the_professional(
    people: People,
) -> None:
    tag = uuid.uuid4().hex[:6]
    title = f"kintoneで受発注をペーパーレスに {tag}"
    headline = f"kintoneで業務を変える専門家 {tag}"
    professional, _email = await new_professional(people, headline)
    firm = await people.sign_in(FIRM)
    await post_need(firm, title)

    # The draft: opened, then the engine proposes professionals with its reasons.
    assert await firm.get_by_role("heading", level=1).inner_text() == title
    need_url = firm.url.split("?")[0]
    assert "下書き" in await firm.inner_text("main")
    await firm.get_by_role("button", name="ニーズを公開").click()
    assert "ニーズの状態を変更しました" in await firm.inner_text("main")
    await follow(firm, firm.get_by_role("button", name="今すぐ提案を計算"))
    proposal = firm.locator(".proposals > li", has_text=headline)
    assert await proposal.count() == 1, await firm.inner_text("main")
    assert "提案の理由" in await proposal.inner_text()
    await check_accessibility(firm)

    # The firm scouts her; the match page shows the firm's steps only.
    await proposal.get_by_role("button", name=re.compile("をスカウト$")).click()
    await firm.wait_for_url(re.compile(r".*/app/matches/[^/?]+\?done=.*"))
    match_url = firm.url.split("?")[0]
    assert "スカウト済み" in await firm.inner_text(".lead")
    assert await firm.get_by_role("button", name="マッチングを承諾").count() == 0
    await check_accessibility(firm)

    # The professional, in her own browser, accepts; she sees no firm-only form.
    await professional.goto(match_url)
    assert "専門人材として" in await professional.inner_text(".lead")
    await check_accessibility(professional)
    await professional.get_by_role("button", name="マッチングを承諾").click()
    assert "承諾済み" in await professional.inner_text(".lead")
    assert await professional.get_by_role("button", name="面談を設定").count() == 0
    assert await professional.get_by_role("button", name="条件を記録").count() == 0
    # The open need, as she reads it: no firm's button, no other professional.
    await professional.goto(need_url)
    assert await professional.get_by_role("heading", level=1).inner_text() == title
    assert await professional.get_by_role("link", name="ニーズを編集").count() == 0
    assert await professional.get_by_role("button", name=re.compile("スカウト")).count() == 0
    assert await professional.get_by_role("heading", name="提案").count() == 0
    await check_accessibility(professional)

    # The firm now sees who she is, schedules the 面談 and records the terms.
    await firm.goto(match_url)
    assert "園田 試験" in await firm.inner_text("main")
    await firm.get_by_label("日時（日本時間）").fill("2027-03-10T10:00")
    await firm.get_by_role("button", name="面談を設定").click()
    assert "面談" in await firm.inner_text(".lead")
    # No contract is offered before the 面談; once it has taken place, the terms are.
    assert await firm.get_by_role("button", name="条件を記録").count() == 0
    held = (datetime.now(UTC) + timedelta(hours=9) - timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    await firm.get_by_label("日時（日本時間）").fill(held)
    await firm.get_by_role("button", name="面談を設定").click()
    today = datetime.now(UTC).date().isoformat()
    await firm.get_by_label("月額報酬（円）").fill("150000")
    await firm.get_by_label("開始日").fill(today)
    await firm.get_by_role("button", name="条件を記録").click()
    assert "¥150,000" in await firm.inner_text("main")
    assert await firm.get_by_role("button", name="契約を確認").count() == 0

    # She confirms the contract; she sees no cost ledger nor subsidy.
    await professional.goto(match_url)
    await professional.get_by_role("button", name="契約を確認").click()
    assert "契約済み" in await professional.inner_text(".lead")
    assert await professional.get_by_role("heading", name="費用の台帳").count() == 0
    await check_accessibility(professional)

    # The firm keeps the ledger and reads the subsidy estimate and the evidence packet.
    await firm.goto(match_url)
    assert "契約済み" in await firm.inner_text(".lead")
    await firm.get_by_label("金額（円）").fill("150000")
    await firm.get_by_label("支払日").fill(today)
    await firm.get_by_role("button", name="費用を追加").click()
    ledger = await firm.inner_text("main")
    assert "台帳に費用を追加しました" in ledger
    # The estimate as the API gives it: the seed knows no scheme for 熊本県, and says so.
    assert await firm.get_by_role("heading", name="補助金見込額").count() == 1
    assert "補助制度は登録されていません" in ledger
    evidence = firm.get_by_role("link", name="証拠書類をダウンロード（CSV）")
    match_id = match_url.rsplit("/", 1)[1]
    assert await evidence.get_attribute("href") == f"/exports/matches/{match_id}/evidence.csv"
    packet = await firm.request.get(f"/exports/matches/{match_id}/evidence.csv")
    assert packet.ok and "経費区分" in await packet.text()
    await check_accessibility(firm)

    # Working, then completed by her with a review, and reviewed by the firm.
    await firm.get_by_role("button", name="業務を開始").click()
    assert "稼働中" in await firm.inner_text(".lead")
    await professional.goto(match_url)
    await professional.get_by_label("評価コメント").fill("現場の皆さんに助けられました。")
    await professional.get_by_role("button", name="業務を完了").click()
    assert "完了" in await professional.inner_text(".lead")
    await firm.goto(match_url)
    await firm.get_by_role("button", name="評価を送る").click()
    reviews = await firm.inner_text("main")
    assert "現場の皆さんに助けられました。" in reviews and "企業からの評価" in reviews


CREATE_NEED = """mutation($input: CreateTalentNeedInput!) {
  createTalentNeed(input: $input) { talentNeed { id } userErrors { message } } }"""
OPEN_NEED = """mutation($input: ChangeTalentNeedStatusInput!) {
  changeTalentNeedStatus(input: $input) { talentNeed { status } userErrors { message } } }"""


async def _set_status(page, need_ids: list[str], status: str) -> None:
    token = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    for need_id in need_ids:
        changed = await page.request.post(
            "/graphql",
            data={"query": OPEN_NEED, "variables": {"input": {"id": need_id, "status": status}}},
            headers={"X-CSRF-Token": token or ""},
        )
        assert (await changed.json())["data"]["changeTalentNeedStatus"]["userErrors"] == []


async def _open_needs(page, titles: list[str]) -> list[str]:
    """Post and open needs through the public API, from the signed-in browser's session."""
    token = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    ids = []
    for title in titles:
        need = {
            "title": title,
            "requiredSkills": [{"skill": "財務"}],
            "hoursPerMonth": 20,
            "workplacePrefectureCode": "40",
            "feeMinJpy": 100000,
            "feeMaxJpy": 200000,
            "startsOn": "2027-04-01",
        }
        created = await page.request.post(
            "/graphql",
            data={"query": CREATE_NEED, "variables": {"input": need}},
            headers={"X-CSRF-Token": token or ""},
        )
        ids.append((await created.json())["data"]["createTalentNeed"]["talentNeed"]["id"])
    await _set_status(page, ids, "OPEN")
    return ids


async def test_a_firm_sees_its_open_needs_however_many_other_firms_post(people: People) -> None:
    # given another firm that opened more than a page of needs (the API lists the oldest
    # first), then a firm that opens one of its own
    other = await people.sign_in("ceo@chikugo-silicon.example")
    await other.goto("/app/talent/needs")
    others = await _open_needs(other, [f"他社ニーズ {n:03d}" for n in range(101)])
    mine = f"自社の公開ニーズ {uuid.uuid4().hex[:6]}"
    firm = await people.sign_in("ceo@hibiki-hydrogen.example")
    await firm.goto("/app/talent/needs")
    own = await _open_needs(firm, [mine])
    # when the first firm lists its needs
    await firm.goto("/app/talent/needs")
    listed = await firm.locator("main").inner_text()
    # then its own open need is there, and none of the other firm's
    assert mine in listed
    assert "他社ニーズ" not in listed
    # (closed again, so that no other test's proposals meet them)
    await _set_status(other, others, "CLOSED")
    await _set_status(firm, own, "CLOSED")
