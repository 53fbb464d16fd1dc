"""Recording notifications, idempotently (one per outbox message and recipient), and to whom.

A notification is written in its recipient's language: their saved locale, else their
organization's default, else Japanese. Handlers pass a function that writes the subject and
body with `_()`; it is called once per recipient inside `use_locale(recipient.locale)`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from renkei.errors import Forbidden, Invalid
from renkei.i18n.messages import Locale, _, use_locale
from renkei.i18n.negotiation import choose
from renkei.notifications import delivery, preferences, repository
from renkei.notifications.models import Notification
from renkei.tenancy import MembershipRole, Viewer
from renkei.webhooks import service as webhooks

# People are notified through their organizations: its owners, admins and members (not viewers).
NOTIFIED_ROLES = (MembershipRole.OWNER, MembershipRole.ADMIN, MembershipRole.MEMBER)
MANAGERS = (MembershipRole.OWNER, MembershipRole.ADMIN)
# Ids one request may mark read; `all` marks every one.
MAX_MARKED = 100

# Writes (subject, body) in the current locale (renkei.i18n.messages): called per recipient.
Text = Callable[[], tuple[str, str]]


@dataclass(frozen=True)
class Recipient:
    email: str
    organization_id: uuid.UUID | None
    locale: Locale


async def record(
    session: AsyncSession,
    *,
    outbox_id: uuid.UUID,
    recipient: Recipient,
    kind: str,
    text: Text,
    subject_id: str | None,
    event: bool = True,
) -> bool:
    """Record a notification in the recipient's language, about `subject_id` (a global id,
    renkei.notifications.subjects), and queue its email as the recipient chose for this kind
    (renkei.notifications.preferences) and, with `event`, its organization's webhook event;
    False when this message already notified this recipient."""
    with use_locale(recipient.locale):
        subject, body = text()
    # RETURNING tells a new row from one that was there: the driver reports rowcount -1 for
    # this INSERT ... ON CONFLICT DO NOTHING, which made a repeat queue an email for a row
    # never written (a foreign key violation).
    notification_id = await session.scalar(
        insert(Notification)
        .values(
            id=uuid.uuid4(),
            outbox_id=outbox_id,
            recipient_email=recipient.email,
            organization_id=recipient.organization_id,
            kind=kind,
            subject=subject,
            body=body,
            locale=recipient.locale,
            subject_id=subject_id,
        )
        .on_conflict_do_nothing(index_elements=["outbox_id", "recipient_email"])
        .returning(Notification.id)
    )
    if notification_id is None:
        return False
    mode = await preferences.mode_for(
        session, email=recipient.email, organization_id=recipient.organization_id, topic=kind
    )
    await delivery.queue_email(session, notification_id, mode)
    if event and recipient.organization_id is not None:
        # One event per message and organization (tell() asks once per organization).
        await webhooks.queue_event(
            session,
            organization_id=recipient.organization_id,
            topic=kind,
            outbox_id=outbox_id,
            subject_id=subject_id,
            data={"subject": subject, "body": body, "locale": recipient.locale},
        )
    return True


async def people_to_tell(
    session: AsyncSession,
    organization_ids: list[uuid.UUID],
    roles: tuple[MembershipRole, ...] = NOTIFIED_ROLES,
) -> list[Recipient]:
    """The people to tell, active accounts only, each once, with their language."""
    rows = await repository.member_emails(session, organization_ids=organization_ids, roles=roles)
    seen: dict[str, Recipient] = {}
    for email, organization_id, locale, organization_locale in rows:
        seen.setdefault(
            email,
            Recipient(
                email,
                organization_id,
                choose(preference=locale, organization_default=organization_locale),
            ),
        )
    return list(seen.values())


async def user_recipient(
    session: AsyncSession, user_id: uuid.UUID, *, email: str | None = None
) -> Recipient:
    """A person told as themselves (a professional), in their saved language, else Japanese;
    at `email` when given (their contact address), else their account's."""
    account_email, locale = await repository.user_email_and_locale(session, user_id=user_id)
    return Recipient(email or account_email, None, choose(preference=locale))


async def address_recipient(
    session: AsyncSession, email: str, *, organization_id: uuid.UUID
) -> Recipient:
    """Someone told at an address for an organization (an invitee): in the language of the
    user of that address if there is one, else the organization's default, else Japanese."""
    locale, organization_locale = await repository.locales_of_address(
        session, email=email, organization_id=organization_id
    )
    return Recipient(
        email, organization_id, choose(preference=locale, organization_default=organization_locale)
    )


async def tell(
    session: AsyncSession,
    outbox_id: uuid.UUID,
    people: list[Recipient],
    *,
    kind: str,
    text: Text,
    subject_id: str | None,
) -> int:
    """Record the notification for each person; how many were told for the first time."""
    told = 0
    # An organization's webhook event is queued with its first recipient, not once per person.
    evented: set[uuid.UUID | None] = {None}
    for recipient in people:
        told += await record(
            session,
            outbox_id=outbox_id,
            recipient=recipient,
            kind=kind,
            text=text,
            subject_id=subject_id,
            event=recipient.organization_id not in evented,
        )
        evented.add(recipient.organization_id)
    return told


async def mark_read(
    session: AsyncSession,
    viewer: Viewer,
    *,
    ids: Sequence[uuid.UUID] | None = None,
    everything: bool = False,
) -> int:
    """Mark the viewer's own unread notifications read: these ids, or all of them; how many.

    Row-level security lets a person update only their own; an id of anyone else's is not
    counted, as one that does not exist."""
    if (ids is None) == (not everything):
        raise Invalid(_("pass either ids or all, not both"), field="ids")
    if ids is not None and not 1 <= len(ids) <= MAX_MARKED:
        raise Invalid(_("pass 1 to {most} ids", most=MAX_MARKED), field="ids")
    if viewer.email is None:
        raise Forbidden(_("sign in to read your notifications"))
    return await repository.mark_read(session, email=viewer.email, ids=ids)
