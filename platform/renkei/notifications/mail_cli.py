"""`renkei mail`: read what the embedded SMTP server received, from the mail folder.

    renkei mail              the messages, newest first: number, date, To, Subject
    renkei mail 1            the newest message's headers and text (N counts from the newest)
    renkei mail --show ID    a message by its id (its file name under .renkei/mail/)
    --json                   the same as JSON

No server needs to run: the folder is read. With RENKEI_SMTP_URL set, mail goes to that server
and there is no local folder to read. Written in English, like the operators' commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import urlsplit

from renkei.config import Settings
from renkei.notifications.mail_folder import StoredMessage, folder_of, messages, read


def add_parser(commands: Any) -> None:
    mail = commands.add_parser(
        "mail", help="read the emails the development SMTP server received (.renkei/mail/)"
    )
    mail.add_argument("number", nargs="?", type=int, help="show the Nth newest message (1: newest)")
    mail.add_argument("--show", metavar="ID", help="show the message with this id")
    mail.add_argument("--json", action="store_true", help="write JSON")


def run(settings: Settings, args: argparse.Namespace) -> int:
    if settings.smtp_url is not None:
        host = urlsplit(settings.smtp_url).hostname or "?"
        print(
            f"renkei mail: mail is sent to the SMTP server at {host} (RENKEI_SMTP_URL); there is"
            " no local mail folder to read",
            file=sys.stderr,
        )
        return 1
    folder = folder_of(settings.data_dir)
    if args.number is None and args.show is None:
        found = messages(folder)
        if args.json:
            print(json.dumps([m.as_dict() for m in found], ensure_ascii=False, indent=2))
        elif not found:
            print(f"no mail in {folder}")
        else:
            width = len(str(len(found)))
            for number, message in enumerate(found, start=1):
                print(
                    f"{number:>{width}}  {message.when.astimezone():%Y-%m-%d %H:%M}  "
                    f"{message.to}  {message.subject}"
                )
        return 0
    chosen = _chosen(folder, args)
    if chosen is None:
        which = args.show if args.show is not None else f"number {args.number}"
        print(f"renkei mail: no message {which} in {folder}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(chosen.as_dict(with_body=True), ensure_ascii=False, indent=2))
    else:
        print(_shown(chosen), end="")
    return 0


def _chosen(folder: Any, args: argparse.Namespace) -> StoredMessage | None:
    if args.show is not None:
        return read(folder, args.show)
    found = messages(folder)
    return found[args.number - 1] if 1 <= args.number <= len(found) else None


def _shown(message: StoredMessage) -> str:
    headers = [
        ("Id", message.id),
        ("Date", f"{message.when.astimezone():%Y-%m-%d %H:%M:%S %z}"),
        ("From", message.sender),
        ("To", message.to),
        ("Subject", message.subject),
        ("Message-ID", message.header("Message-ID")),
        ("List-Unsubscribe", message.header("List-Unsubscribe")),
    ]
    top = "".join(f"{name}: {value}\n" for name, value in headers if value)
    return f"{top}\n{message.text()}"
