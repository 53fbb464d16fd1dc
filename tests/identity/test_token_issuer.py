"""A token made for a server on another port: the refusal names the issuer this server expects,
and `renkei token` signs for the port the development server runs on."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from factories import create_user
from renkei.identity.tokens import TokenService

VIEWER = {"query": "{ viewer { user { email } } }"}


def _refusal(response: httpx2.Response) -> tuple[int, str]:
    return response.status_code, response.json()["errors"][0]["message"]


async def test_a_token_issued_for_another_port_names_the_issuer_this_server_expects(
    client, sessions, tokens
):
    # given: signed with this server's keys, by `renkei token` for a server on port 8000
    user = await create_user(sessions, "iss@a.example")
    port_8000 = TokenService(tokens.keys, issuer="http://127.0.0.1:8000")
    token = port_8000.issue(user_id=user.id, organization_id=None, scopes=frozenset())
    headers = {"Authorization": f"Bearer {token}"}
    # when
    english = await client.post(
        "/graphql", json=VIEWER, headers={**headers, "Accept-Language": "en"}
    )
    japanese = await client.post(
        "/graphql", json=VIEWER, headers={**headers, "Accept-Language": "ja"}
    )
    # then
    assert _refusal(english) == (
        401,
        "invalid access token: its issuer (iss) is http://127.0.0.1:8000, and this server"
        " accepts tokens issued by http://renkei.test",
    )
    assert _refusal(japanese) == (
        401,
        "アクセストークンが無効です: 発行者 (iss) が http://127.0.0.1:8000 です。"
        "このサーバーが受け付けるのは http://renkei.test が発行したトークンです。",
    )


async def test_a_token_for_another_audience_names_the_audience_this_server_expects(
    client, sessions, tokens
):
    # given
    user = await create_user(sessions, "aud-name@a.example")
    elsewhere = TokenService(tokens.keys, issuer=tokens.issuer, audience="https://other.example")
    token = elsewhere.issue(user_id=user.id, organization_id=None, scopes=frozenset())
    # when
    response = await client.post(
        "/graphql",
        json=VIEWER,
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    # then
    assert _refusal(response) == (
        401,
        "invalid access token: its audience (aud) is https://other.example, and this server"
        " accepts tokens for http://renkei.test",
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _renkei(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from renkei.cli import main; sys.exit(main())",
        *args,
    ]


def _serve_and_ask_for_a_token(env: dict[str, str], email: str) -> tuple[str, str, dict]:
    """Start `renkei serve` on a free port, run `renkei token` without RENKEI_PORT, and call the
    server with the token: (the server's URL, what the command said, the answer)."""
    port = _free_port()
    server = subprocess.Popen(
        _renkei("serve"),
        env=env | {"RENKEI_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                httpx2.get(f"{base}/healthz", timeout=2)
                break
            except httpx2.TransportError:
                time.sleep(0.2)
        assert server.poll() is None, server.communicate()[1]
        issued = subprocess.run(
            _renkei("token", "--email", email),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert issued.returncode == 0, issued.stderr
        response = httpx2.post(
            f"{base}/graphql",
            json=VIEWER,
            headers={"Authorization": f"Bearer {issued.stdout.strip()}"},
            timeout=10,
        )
        return base, issued.stderr, response.json()
    finally:
        server.terminate()
        server.wait(timeout=20)


async def test_renkei_token_signs_for_the_port_the_development_server_runs_on(
    committed, redis_url: str, tmp_path: Path
):
    # given a development server on a port other than 8000, and a person it knows
    await create_user(committed.sessions, "newcomer@a.example")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENKEI_")} | {
        "RENKEI_ENV": "development",
        "RENKEI_DATABASE_URL": committed.owner_url,
        "RENKEI_REDIS_URL": redis_url,
        "RENKEI_DATA_DIR": str(tmp_path),
        "RENKEI_METRICS_PORT": "off",
    }
    # when a newcomer asks for a token in another shell, without RENKEI_PORT, and uses it
    base, said, answer = await asyncio.to_thread(
        _serve_and_ask_for_a_token, env, "newcomer@a.example"
    )
    # then the server accepts it, and the command said which server it signed for
    assert answer["data"] == {"viewer": {"user": {"email": "newcomer@a.example"}}}
    assert f"signed for the server at {base}" in said
