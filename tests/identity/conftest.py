"""OpenID providers on loopback for the sign-in tests: two organizations' and a third-party one.

`provider_a` and `provider_b` run for the whole session; before each test that uses one, it is
reset (no users, no misbehaviour, its first key only, counters at zero) but keeps its client:
"renkei-a" / "renkei-b", whose redirect URIs are anything under http://renkei.test/.
Users must therefore be added by each test or by a function-scoped fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from identity.dns_server import DnsZone
from identity.oidc_provider import OidcProvider, OidcProviderMock

RENKEI_REDIRECTS = ("http://renkei.test/*",)


@pytest.fixture(scope="session")
def provider_a() -> Iterator[OidcProvider]:
    """Organization A's provider; its client is `provider_a.client` (renkei-a)."""
    with OidcProvider() as provider:
        provider.register_client("renkei-a", "renkei-a-secret", RENKEI_REDIRECTS)
        yield provider


@pytest.fixture(scope="session")
def provider_b() -> Iterator[OidcProvider]:
    """Organization B's provider: another issuer, other keys; its client is renkei-b."""
    with OidcProvider() as provider:
        provider.register_client("renkei-b", "renkei-b-secret", RENKEI_REDIRECTS)
        yield provider


@pytest.fixture(autouse=True)
def _fresh_providers(request: pytest.FixtureRequest) -> None:
    for name in ("provider_a", "provider_b"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


@pytest.fixture(scope="session")
def _dns_server() -> Iterator[DnsZone]:
    zone = DnsZone().start()
    yield zone
    zone.stop()


@pytest.fixture
def dns_zone(_dns_server: DnsZone) -> DnsZone:
    """A DNS server on loopback, empty at the start of each test; `world` resolves through it."""
    _dns_server.clear()
    return _dns_server


@pytest.fixture(scope="session")
def oidc_mock() -> Iterator[OidcProviderMock]:
    """oidc-provider-mock's provider: any client id and secret, nonce required, consent form."""
    with OidcProviderMock() as provider:
        yield provider


# Renkei wired for sign-in, with organizations A and B using provider_a and provider_b.
from identity.signin_world import world  # noqa: E402, F401
