"""`make run` starts when the development provider's port is taken: the provider listens on
another port (which the banner prints) instead of werkzeug ending the whole process, and
sign-in follows it there."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

import httpx2
import pytest
from sqlalchemy import select

from factories import create_organization, create_user
from renkei import dev_provider
from renkei.cli import _provider_lines
from renkei.crypto import SecretBox
from renkei.db import unit_of_work
from renkei.identity.models import IdentityProvider
from renkei.identity.oidc import OidcClient
from renkei.seeding_sign_in import register_development_provider
from renkei.tenancy import Viewer

DEFAULT_PORT = 8001  # beside the API's 8000


@contextlib.contextmanager
def _taken(port: int) -> Iterator[None]:
    """Port `port` on loopback held by another program (or already held by one)."""
    try:
        holder = socket.create_server(("127.0.0.1", port))
    except OSError:  # another program already has it: taken all the same
        yield
        return
    with holder:
        yield


@pytest.fixture
def provider_beside_a_taken_port() -> Iterator[dev_provider.DevProvider]:
    with _taken(DEFAULT_PORT):
        started = dev_provider.start(
            "127.0.0.1", DEFAULT_PORT, [("pro@renkei.example", "南 さつき")]
        )
        assert started is not None
        try:
            yield started
        finally:
            started.stop()


def test_the_development_provider_serves_on_another_port_when_8001_is_taken(
    provider_beside_a_taken_port: dev_provider.DevProvider,
) -> None:
    # given port 8001 held by another program, the provider started (fixture)
    provider = provider_beside_a_taken_port
    # when a relying party reads its discovery document
    discovery = httpx2.get(f"{provider.url}/.well-known/openid-configuration", timeout=10)
    # then it answers on another port, as the issuer it names
    assert provider.taken_port == DEFAULT_PORT
    assert not provider.url.endswith(f":{DEFAULT_PORT}")
    assert discovery.status_code == 200
    assert discovery.json()["issuer"] == provider.url


def test_the_banner_prints_where_the_provider_listens_and_that_8001_was_taken(
    provider_beside_a_taken_port: dev_provider.DevProvider,
) -> None:
    lines = _provider_lines(provider_beside_a_taken_port)

    assert (
        f"development provider ({provider_beside_a_taken_port.url}; port 8001 was taken)" in lines
    )


def test_the_provider_keeps_its_port_when_it_is_free() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = int(probe.getsockname()[1])
    provider = dev_provider.start("127.0.0.1", port, [])
    assert provider is not None
    try:
        assert (provider.url, provider.taken_port) == (f"http://127.0.0.1:{port}", None)
    finally:
        provider.stop()


async def test_a_restart_on_another_port_leaves_sign_in_with_the_provider_that_answers(sessions):
    # given an organization registered with the development provider of an earlier run
    owner = await create_user(sessions, "owner@restart-firm.example")
    organization = await create_organization(sessions, owner, slug="restart-firm")
    box = SecretBox({"k": os.urandom(32)})
    earlier = dev_provider.start("127.0.0.1", _free_port(), [])
    now = dev_provider.start("127.0.0.1", _free_port(), [])
    assert earlier is not None and now is not None
    try:
        for provider in (earlier, now):
            # when `renkei run` registers the provider of each run
            await register_development_provider(
                sessions,
                box=box,
                oidc=OidcClient(),
                issuer=provider.url,
                client_id="renkei-dev",
                client_secret="development-only",
                slugs=["restart-firm"],
            )
    finally:
        earlier.stop()
        now.stop()
    # then only the provider of this run is enabled: sign-in never sends anyone to the old one
    async with unit_of_work(sessions, Viewer.platform()) as session:
        enabled = await session.scalars(
            select(IdentityProvider.issuer).where(
                IdentityProvider.organization_id == organization.id,
                IdentityProvider.enabled.is_(True),
            )
        )
        assert list(enabled) == [now.url]


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])
