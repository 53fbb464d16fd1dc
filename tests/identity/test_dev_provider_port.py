"""`make run` starts when the development provider's port is taken: the provider listens on
another port (which the banner prints) instead of werkzeug ending the whole process."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest

from renkei import dev_provider
from renkei.cli import _provider_lines

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
    discovery = httpx.get(f"{provider.url}/.well-known/openid-configuration", timeout=10)
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
