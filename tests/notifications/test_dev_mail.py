"""The development mail server: a real SMTP server on loopback keeps what it receives under
<data_dir>/mail/, and `renkei mail` and /dev/mail read it there."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import aiosmtplib
import httpx2
import pytest

from renkei.config import Settings
from renkei.embedded import start_smtp
from renkei.graphql.app import create_app
from renkei.identity.tokens import TokenService
from renkei.runtime import Runtime

SUBJECT = "熊本県から招待が届きました <script>alert(1)</script>"
TEXT = "熊本県 産業振興課 が、あなたの組織を招待しました。\nhttps://renkei.example/invitations/1\n"
HTML = "<p>熊本県 が招待しました</p><script>alert('html part')</script>"
NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{32}\.eml")


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The embedded SMTP server on a port of the system's choosing, its folder under tmp_path."""
    controller, url = start_smtp(tmp_path, port=0)
    yield url, tmp_path / "mail"
    controller.stop()


def _invitation(to: str = "山田 太郎 <admin@kumamoto.example>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Renkei <no-reply@renkei.example>"
    message["To"] = to
    message["Subject"] = SUBJECT
    message["Message-ID"] = "<notification-1@renkei.example>"
    message["List-Unsubscribe"] = "<https://renkei.example/unsubscribe/1>"
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message


async def _send(url: str, message: EmailMessage) -> None:
    address = urlsplit(url)
    assert address.hostname == "127.0.0.1"
    await aiosmtplib.send(message, hostname=address.hostname, port=address.port, timeout=10)


def _renkei(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("RENKEI_")}
    return subprocess.run(
        [sys.executable, "-m", "renkei.cli", "mail", *args],
        env={**clean, "RENKEI_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_embedded_server_keeps_every_message_it_receives(smtp_server) -> None:
    # given the embedded SMTP server
    url, folder = smtp_server
    # when an invitation is sent to it over SMTP, to two recipients
    message = _invitation()
    await aiosmtplib.send(
        message,
        hostname="127.0.0.1",
        port=urlsplit(url).port,
        recipients=["admin@kumamoto.example", "bcc@renkei.example"],
    )
    # then it is kept as one .eml file named by its arrival, with its envelope on top
    (stored,) = sorted(folder.iterdir())
    assert NAME.fullmatch(stored.name)
    raw = stored.read_bytes()
    assert raw.startswith(
        b"Return-Path: <no-reply@renkei.example>\r\n"
        b"Delivered-To: admin@kumamoto.example\r\n"
        b"Delivered-To: bcc@renkei.example\r\n"
    )
    assert b"Message-ID: <notification-1@renkei.example>" in raw


async def test_renkei_mail_lists_the_messages_newest_first_and_shows_one(
    smtp_server, tmp_path: Path
) -> None:
    # given two messages received, the invitation last
    url, _ = smtp_server
    await _send(url, _invitation(to="first@renkei.example"))
    await _send(url, _invitation())
    # when `renkei mail` lists them
    listed = _renkei(data_dir=tmp_path)
    # then the newest comes first, its To and Subject decoded from MIME encoded-words
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        r"1  \d{4}-\d\d-\d\d \d\d:\d\d  山田 太郎 <admin@kumamoto.example>  " + re.escape(SUBJECT),
        lines[0],
    )
    assert lines[1].startswith("2  ") and "first@renkei.example" in lines[1]
    # when the newest is shown
    shown = _renkei("1", data_dir=tmp_path)
    # then its headers and its text part are printed, decoded
    assert shown.returncode == 0, shown.stderr
    head, body = shown.stdout.split("\n\n", 1)
    assert f"Subject: {SUBJECT}" in head.splitlines()
    assert "To: 山田 太郎 <admin@kumamoto.example>" in head.splitlines()
    assert "Message-ID: <notification-1@renkei.example>" in head.splitlines()
    assert body == TEXT
    # and the same as JSON, by its id
    newest = json.loads(_renkei("--json", data_dir=tmp_path).stdout)[0]
    by_id = json.loads(_renkei("--show", newest["id"], "--json", data_dir=tmp_path).stdout)
    assert (by_id["subject"], by_id["to"], by_id["text"]) == (
        SUBJECT,
        "山田 太郎 <admin@kumamoto.example>",
        TEXT,
    )
    assert by_id["html"].strip() == HTML
    # and a message that is not there is said so
    missing = _renkei("3", data_dir=tmp_path)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert "no message number 3" in missing.stderr


def test_renkei_mail_says_there_is_no_folder_when_mail_goes_to_a_server(tmp_path: Path) -> None:
    # given production's SMTP settings, with credentials
    smtp_url = "smtp://AKIAEXAMPLE:s3cr3t@email-smtp.ap-northeast-1.amazonaws.com:587?starttls=true"
    # when `renkei mail` is run
    answer = _renkei(data_dir=tmp_path, RENKEI_SMTP_URL=smtp_url)
    # then it says where mail goes, without the credentials, and that there is nothing local
    assert answer.returncode == 1
    assert answer.stderr.strip() == (
        "renkei mail: mail is sent to the SMTP server at email-smtp.ap-northeast-1.amazonaws.com"
        " (RENKEI_SMTP_URL); there is no local mail folder to read"
    )
    assert not (tmp_path / "mail").exists()


@pytest.fixture
async def dev_client(
    sessions, tokens: TokenService, redis_url: str, smtp_server
) -> AsyncIterator[httpx2.AsyncClient]:
    """The development API, reading the embedded server's mail folder."""
    _, folder = smtp_server
    app = create_app(
        sessions=sessions, tokens=tokens, redis_url=redis_url, development=True, mail_folder=folder
    )
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://renkei.test"
    ) as http:
        yield http


async def test_the_development_page_lists_and_shows_the_mail_escaped(
    smtp_server, dev_client: httpx2.AsyncClient
) -> None:
    # given an empty folder
    empty = await dev_client.get("/dev/mail")
    assert empty.status_code == 200
    assert '<html lang="ja">' in empty.text
    assert "まだメールはありません。" in empty.text
    # and then an invitation received
    url, folder = smtp_server
    await _send(url, _invitation())
    (stored,) = folder.iterdir()
    message_id = stored.name.removesuffix(".eml")
    # when the page lists the mail, in Japanese
    listed = await dev_client.get("/dev/mail")
    # then it shows the message, its words escaped, with a link to it
    assert listed.status_code == 200
    assert "<h1>開発用メール</h1>" in listed.text
    assert "<th>日時</th><th>宛先</th><th>件名</th>" in listed.text
    assert "山田 太郎 &lt;admin@kumamoto.example&gt;" in listed.text
    assert f"<a href='/dev/mail/{message_id}'>" in listed.text
    assert "熊本県から招待が届きました &lt;script&gt;alert(1)&lt;/script&gt;" in listed.text
    assert "<script" not in listed.text
    # when the message is opened, in English
    shown = await dev_client.get(f"/dev/mail/{message_id}", headers={"Accept-Language": "en"})
    # then its headers and text are there, escaped, and its HTML only inside a sandbox
    assert shown.status_code == 200
    assert '<html lang="en">' in shown.text
    assert "<dt>Subject</dt>" in shown.text
    assert "<dd>&lt;notification-1@renkei.example&gt;</dd>" in shown.text
    assert "熊本県 産業振興課 が、あなたの組織を招待しました。" in shown.text
    assert "<iframe sandbox srcdoc=" in shown.text
    assert "&lt;script&gt;alert(&#x27;html part&#x27;)&lt;/script&gt;" in shown.text
    assert "<script" not in shown.text
    assert "script-src" not in shown.headers["content-security-policy"]
    # and what is not a stored message is a 404
    for path in ("/dev/mail/nothing-here", "/dev/mail/..%2F..%2Fsigning-keys.json"):
        assert (await dev_client.get(path)).status_code == 404


async def test_there_is_no_development_mail_page_in_production(
    sessions, tokens: TokenService, redis_url: str, smtp_server
) -> None:
    # given a message received, and the production API
    url, folder = smtp_server
    await _send(url, _invitation())
    (stored,) = folder.iterdir()
    app = create_app(
        sessions=sessions, tokens=tokens, redis_url=redis_url, development=False, mail_folder=folder
    )
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="https://renkei.test"
    ) as http:
        # when the development pages are asked for
        index = await http.get("/dev/mail")
        shown = await http.get(f"/dev/mail/{stored.name.removesuffix('.eml')}")
    # then they do not exist
    assert (index.status_code, shown.status_code) == (404, 404)


def _settings(tmp_path: Path, tokens: TokenService, **changes: str) -> Settings:
    # The database and Redis are not reached: the runtime connects on first use only.
    return Settings(
        database_url="postgresql+psycopg://renkei@/renkei?host=/nonexistent",
        app_database_url="postgresql+psycopg://renkei_app@/renkei?host=/nonexistent",
        redis_url="redis://127.0.0.1:1/0",
        signing_keys=json.dumps(tokens.keys.as_dict(private=True)),
        data_dir=tmp_path,
        **changes,  # type: ignore[arg-type]
    )


async def test_without_smtp_settings_the_runtime_starts_the_embedded_server(
    tmp_path: Path, tokens: TokenService
) -> None:
    # given no RENKEI_SMTP_URL
    runtime = Runtime.start(_settings(tmp_path, tokens))
    try:
        # then the runtime sends to the embedded server on loopback, which keeps what it gets
        assert runtime.smtp_url is not None
        assert re.fullmatch(r"smtp://127\.0\.0\.1:\d+", runtime.smtp_url)
        assert runtime.embedded.smtp is not None
        await _send(runtime.smtp_url, _invitation())
        (stored,) = (tmp_path / "mail").iterdir()
        assert NAME.fullmatch(stored.name)
    finally:
        runtime.stop_embedded()
    assert runtime.embedded.smtp is None


def test_with_smtp_settings_the_runtime_uses_them_and_starts_nothing(
    tmp_path: Path, tokens: TokenService
) -> None:
    # given RENKEI_SMTP_URL
    smtp_url = "smtps://user:secret@smtp.example.org:465"
    settings = _settings(tmp_path, tokens, smtp_url=smtp_url)
    # when the runtime starts
    runtime = Runtime.start(settings)
    # then it sends there, and no server was started nor folder made
    assert runtime.smtp_url == smtp_url
    assert runtime.embedded.smtp is None
    assert not (tmp_path / "mail").exists()
    # and a command that sends no mail starts no server either
    quiet = Runtime.start(_settings(tmp_path, tokens), mail=False)
    assert (quiet.smtp_url, quiet.embedded.smtp) == (None, None)
