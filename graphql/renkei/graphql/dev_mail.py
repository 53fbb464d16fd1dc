"""The development mail pages: what the embedded SMTP server received, in the browser.

    GET /dev/mail           the messages, newest first
    GET /dev/mail/{id}      one message: its headers, its text, and its HTML in a sandbox

Served only in development (create_app leaves the routes out in production, a 404). Everything
a message says is escaped; its HTML part is shown in an iframe sandboxed without scripts, whose
srcdoc is an escaped attribute, so nothing in a message runs on Renkei's origin.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from renkei.i18n.formats import JST, format_date
from renkei.i18n.messages import _, current_locale
from renkei.notifications.mail_folder import StoredMessage, messages, read

# Inline styles only; a message's HTML may show inline images, never fetch anything.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _page(status: int, title: str, content: str) -> HTMLResponse:
    """`title` is text, escaped here; `content` is HTML, escaped already."""
    body = (
        f'<!doctype html><html lang="{current_locale()}"><meta charset=utf-8>'
        f"<title>{html.escape(title)}</title>"
        "<body style='font-family:sans-serif;max-width:60em;margin:2em auto'>"
        f"<h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": PAGE_POLICY})


def _paragraph(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _when(message: StoredMessage) -> str:
    """When it was sent, in Japan's time: 2026年12月6日 18:57 (December 6, 2026 18:57)."""
    moment = message.when.astimezone(JST)
    return f"{format_date(moment.date())} {moment:%H:%M}"


class DevMailRoutes:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def routes(self) -> list[Route]:
        return [
            Route("/dev/mail", self.index, methods=["GET"]),
            Route("/dev/mail/{id}", self.show, methods=["GET"]),
        ]

    async def index(self, _request: Request) -> Response:
        found = messages(self.folder)
        if not found:
            return _page(200, _("Development mail"), _paragraph(_("No mail yet.")))
        heads = (_("Date"), _("To"), _("Subject"))
        rows = "".join(
            f"<tr><td>{html.escape(_when(m))}</td><td>{html.escape(m.to)}</td>"
            f"<td><a href='/dev/mail/{quote(m.id)}'>{html.escape(m.subject or '-')}</a></td></tr>"
            for m in found
        )
        header = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
        return _page(
            200,
            _("Development mail"),
            f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>",
        )

    async def show(self, request: Request) -> Response:
        message = read(self.folder, request.path_params["id"])
        if message is None:
            return _page(404, _("Development mail"), _paragraph(_("No such message.")))
        headers = [
            (_("Date"), _when(message)),
            (_("From"), message.sender),
            (_("To"), message.to),
            (_("Subject"), message.subject),
            ("Message-ID", message.header("Message-ID")),
            ("List-Unsubscribe", message.header("List-Unsubscribe")),
        ]
        listed = "".join(
            f"<dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd>"
            for name, value in headers
            if value
        )
        back, text = _("All mail"), _("Text")
        content = (
            f"<p><a href='/dev/mail'>{html.escape(back)}</a></p><dl>{listed}</dl>"
            f"<h2>{html.escape(text)}</h2>"
            f"<pre style='white-space:pre-wrap'>{html.escape(message.text())}</pre>"
        )
        rendered = message.html()
        if rendered is not None:
            content += (
                f'<h2>HTML</h2><iframe sandbox srcdoc="{html.escape(rendered, quote=True)}"'
                " style='width:100%;height:40em;border:1px solid #ccc'></iframe>"
            )
        return _page(200, message.subject or _("Development mail"), content)
