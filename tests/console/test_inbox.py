"""The notification inbox in Chromium: a notification arrives, the header counts it, the inbox
shows it in Japanese, and marking it read clears the count; the settings per topic."""

from __future__ import annotations

import re
import uuid
from typing import Any

from console.conftest import Live, People, check_accessibility

INVITED = "director@kyushu-semicon-lab.example"  # owner of 九州先端半導体研究所

CREATE = """mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id } userErrors { message } }
}"""
INVITE = """mutation($input: InviteProjectParticipantInput!) {
  inviteProjectParticipant(input: $input) { participant { id } userErrors { message } }
}"""
LAB = '{ organization(slug: "kyushu-semicon-lab") { id } }'


async def _api(page: Any, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The public API from the signed-in page, as GraphiQL or htmx would call it."""
    return await page.evaluate(
        """async ([query, variables]) => {
          const token = document.querySelector('meta[name="csrf-token"]').content;
          const response = await fetch('/graphql', {method: 'POST', headers: {
            'Content-Type': 'application/json', 'Accept': 'application/json',
            'X-CSRF-Token': token}, body: JSON.stringify({query, variables})});
          return (await response.json()).data;
        }""",
        [query, variables or {}],
    )


async def _invite_the_lab(people: People, live: Live) -> str:
    """A firm invites 九州先端半導体研究所 to a project of its own; the worker tells its owner."""
    firm = await people.sign_in("ceo@aso-seimitsu.example")
    name = f"受信箱テスト {uuid.uuid4().hex[:6]}"
    created = await _api(
        firm,
        CREATE,
        {"input": {"name": name, "category": "SEMICONDUCTOR", "prefectureCodes": ["40", "43"]}},
    )
    assert not created["createProject"]["userErrors"], created
    lab = await _api(firm, LAB)
    invited = await _api(
        firm,
        INVITE,
        {
            "input": {
                "projectId": created["createProject"]["project"]["id"],
                "organizationId": lab["organization"]["id"],
                "role": "PARTNER",
            }
        },
    )
    assert not invited["inviteProjectParticipant"]["userErrors"], invited
    await live.deliver()
    return name


async def _unread_in_header(page: Any) -> int:
    badge = page.locator("header .badge")
    if not await badge.count():
        return 0
    return int(re.sub(r"\D", "", await badge.inner_text()))


async def test_a_notification_is_counted_listed_in_japanese_and_marked_read(
    people: People, live: Live
) -> None:
    await live.deliver()  # what waited in the outbox before this test (the seed's)
    director = await people.sign_in(INVITED)
    before = await _unread_in_header(director)
    project = await _invite_the_lab(people, live)

    await director.goto("/app/")
    assert await _unread_in_header(director) == before + 1
    await director.get_by_role("link", name=re.compile("^通知")).first.click()
    assert director.url.endswith("/app/notifications")
    assert await director.get_by_role("heading", level=1).inner_text() == "通知"
    newest = director.locator(".inbox-item").first
    assert project in await newest.inner_text()
    assert "招待" in await newest.inner_text()
    assert "未読" in await newest.locator("h3").inner_text()  # in words, not by colour only
    await check_accessibility(director)

    await newest.get_by_role("button", name="既読にする").click()
    assert await _unread_in_header(director) == before
    assert "既読にしました" in await director.locator("[role=status]").inner_text()
    assert "未読" not in await director.locator(".inbox-item").first.locator("h3").inner_text()


async def test_mark_all_as_read_clears_the_count(people: People, live: Live) -> None:
    director = await people.sign_in(INVITED)
    await _invite_the_lab(people, live)
    await director.goto("/app/notifications")
    assert await _unread_in_header(director) >= 1
    await director.get_by_role("button", name="すべて既読にする").click()
    assert await _unread_in_header(director) == 0
    assert "すべての通知を読みました" in await director.locator("#unread-summary").inner_text()
    assert await director.locator(".unread-mark").count() == 0


async def test_choosing_how_a_topic_is_told(people: People) -> None:
    page = await people.sign_in("admin@pref-kumamoto.example")
    await page.goto("/app/notifications")
    topic = page.get_by_label("プロジェクトへの招待")
    await topic.select_option("INBOX")
    await page.get_by_role("button", name="設定を保存").click()
    assert "通知の設定を保存しました" in await page.locator("[role=status]").inner_text()
    assert await page.get_by_label("プロジェクトへの招待").input_value() == "INBOX"
    await check_accessibility(page)
