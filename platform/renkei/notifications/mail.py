"""A notification as an email: UTF-8, plain text and HTML, in the recipient's language.

The Message-ID is derived from the notification's id, so a message sent again (after a crash
between the server's answer and our commit) is recognisably the same one to the recipient's
mail program. The fixed words (the link, why this came, how to stop it) come from the catalogs,
in the notification's locale.
"""

from __future__ import annotations

import html
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import quote, urlsplit

from renkei.i18n.messages import _, use_locale
from renkei.notifications.models import Notification


def message_id(notification: Notification, *, public_url: str) -> str:
    host = urlsplit(public_url).hostname or "renkei.invalid"
    return f"<notification-{notification.id}@{host}>"


def link(notification: Notification, *, public_url: str) -> str:
    """Where the recipient reads what the notification is about."""
    # TODO(issue 13, inbox): link to the notification's subject once notifications.subject_id
    # exists (a page or the object's global id); until then, the API the inbox is read through.
    return f"{public_url.rstrip('/')}/graphql"


def unsubscribe_address(mail_from: str) -> str:
    """A mailto: for List-Unsubscribe (RFC 2369), to the address the email came from.

    TODO(issue 13, preferences): a one-click unsubscribe URL (RFC 8058) once people can turn
    topics off; until then the operator's mailbox receives the request.
    """
    address = parseaddr(mail_from)[1] or "no-reply@renkei.invalid"
    return f"mailto:{address}?subject={quote('unsubscribe')}"


def compose(notification: Notification, *, mail_from: str, public_url: str) -> EmailMessage:
    """The email of a notification, from `mail_from` to its recipient."""
    url = link(notification, public_url=public_url)
    unsubscribe = unsubscribe_address(mail_from)
    stop_address = unsubscribe.removeprefix("mailto:").split("?", 1)[0]
    with use_locale(notification.locale) as locale:
        open_text = _("Open in Renkei: {url}", url=url)
        open_label = _("Open in Renkei")
        why = _(
            "You received this email because Renkei notifies {email} of work it takes part in.",
            email=notification.recipient_email,
        )
        stop = _(
            'To stop these emails, write to {address} with the subject "unsubscribe".',
            address=stop_address,
        )
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = Address(addr_spec=notification.recipient_email)
    message["Subject"] = notification.subject
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = message_id(notification, public_url=public_url)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    # An automatic message (RFC 3834): vacation responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"{notification.body}\n\n{open_text}\n\n-- \n{why}\n{stop}\n", charset="utf-8"
    )
    message.add_alternative(
        _html(notification, locale, url, open_label, why, stop), subtype="html", charset="utf-8"
    )
    # After the content: setting it clears every Content-* header.
    message["Content-Language"] = locale
    return message


def _html(
    notification: Notification, locale: str, url: str, open_label: str, why: str, stop: str
) -> str:
    paragraphs = "".join(
        f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>"
        for part in notification.body.split("\n\n")
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{locale}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(notification.subject)}</title></head>\n<body>\n"
        f"{paragraphs}\n"
        f'<p><a href="{html.escape(url)}">{html.escape(open_label)}</a></p>\n'
        f'<hr>\n<p style="font-size:small;color:#555">{html.escape(why)}<br>'
        f"{html.escape(stop)}</p>\n</body>\n</html>\n"
    )
