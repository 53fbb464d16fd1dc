"""The notification inbox: what the viewer was told, newest first, and how each topic reaches
them (email at once, the daily digest, or the inbox only).

GET /app/notifications is one query (InboxPage); marking read and choosing the modes are one
mutation each (markNotificationsRead, updateNotificationPreferences), then back to the inbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.graphql.console.app import PageError, value
from renkei.i18n.formats import format_date
from renkei.i18n.messages import N_

if TYPE_CHECKING:
    from renkei.graphql.console.app import Console

PAGE_SIZE = 30
JAPAN = ZoneInfo("Asia/Tokyo")
MODES = ("IMMEDIATE", "DIGEST", "INBOX")


def _when(stamp: str) -> str:
    """2026年4月1日 9:05, in Japan's time (where Renkei's people are)."""
    moment = datetime.fromisoformat(stamp).astimezone(JAPAN)
    return f"{format_date(moment.date())} {moment.hour}:{moment.minute:02d}"


def _notifications(connection: dict[str, Any]) -> list[dict[str, Any]]:
    # The API lists oldest first (last: N is the newest N): the inbox shows the newest first.
    return [
        {**node, "when": _when(node["createdAt"]), "unread": node["readAt"] is None}
        for node in reversed(connection["nodes"])
    ]


async def _page(
    console: Console, request: Request, *, status: int = 200, errors: Any = None
) -> Response:
    before = request.query_params.get("before") or None
    data = await console.run(request, "InboxPage", {"last": PAGE_SIZE, "before": before})
    viewer = data["viewer"]
    connection = viewer["notifications"]
    page_info = connection["pageInfo"]
    return console.render(
        request,
        "inbox/inbox.html",
        status=status,
        chrome=viewer,
        notifications=_notifications(connection),
        older=page_info["startCursor"] if page_info["hasPreviousPage"] else None,
        newest=before is None,
        preferences=viewer["notificationPreferences"],
        errors=errors or {},
    )


async def inbox(console: Console, request: Request) -> Response:
    return await _page(console, request)


async def mark_read(console: Console, request: Request) -> Response:
    form = await console.form(request)
    one = value(form, "notification")
    variables = {"input": {"ids": [one]} if one else {"all": True}}
    outcome = await console.mutate(request, "InboxMarkRead", variables)
    if not outcome.ok:
        raise PageError(400, " ".join(e["message"] for e in outcome.errors))
    raise console.done("/app/notifications", "inbox-read")


async def update_preferences(console: Console, request: Request) -> Response:
    form = await console.form(request)
    chosen = [
        {"topic": key.removeprefix("mode-"), "mode": mode}
        for key, mode in form.multi_items()
        if key.startswith("mode-") and isinstance(mode, str) and mode in MODES
    ]
    outcome = await console.mutate(request, "InboxPreferences", {"input": {"preferences": chosen}})
    if not outcome.ok:
        return await _page(console, request, status=422, errors=outcome.by_field())
    raise console.done("/app/notifications", "inbox-preferences")


def routes(console: Console) -> list[Route]:
    console.notices["inbox-read"] = N_("Marked as read.")
    console.notices["inbox-preferences"] = N_("Your notification settings are saved.")
    return [
        Route("/app/notifications", console.page(inbox), methods=["GET"]),
        Route("/app/notifications/read", console.page(mark_read), methods=["POST"]),
        Route(
            "/app/notifications/preferences",
            console.page(update_preferences),
            methods=["POST"],
        ),
    ]
