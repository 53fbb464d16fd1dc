"""Cost budgets (renkei.graphql.throttle): a leaky bucket in Redis per organization, API client
and address; 429 THROTTLED with Retry-After beyond it; extensions.cost on every answer; a
per-address limit on the sign-in endpoints; queries fail open when Redis is away."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from prometheus_client import REGISTRY

from clients.machine import create_client, request_token
from conftest import CommittedDatabase
from factories import create_organization, create_user, token_for
from renkei.crypto import SecretBox
from renkei.db import SessionFactory, unit_of_work
from renkei.graphql.app import create_app
from renkei.graphql.auth import SESSION_COOKIE, SignInConfig
from renkei.graphql.throttle import Budget, Throttling
from renkei.identity import signin
from renkei.identity.oidc import OidcClient
from renkei.identity.scopes import ORGANIZATIONS_READ
from renkei.identity.tokens import TokenService
from renkei.tenancy import Viewer

# organizations(first: 10) may return 10 nodes: it costs 10.
ORGANIZATIONS = "query Organizations { organizations(first: 10) { nodes { name } } }"
CREATE = """
mutation Create($slug: String!) {
  createOrganization(input: {slug: $slug, name: "試験", kind: COMPANY, homePrefectureCode: "40"}) {
    userErrors { code }
  }
}
"""
# A bucket of 25 points refilled at 0.1 point a second: two queries of 10, then a wait of 50 s.
SMALL = Budget(capacity=25, refill_per_minute=6)

Client = Callable[..., Any]


def small_budget(**overrides: Any) -> Throttling:
    # Keys of their own, so that no other test (or run) shares these buckets.
    return Throttling(budget=SMALL, key_prefix=f"test:{uuid.uuid4().hex}:", **overrides)


@asynccontextmanager
async def api(
    sessions: SessionFactory,
    tokens: TokenService,
    redis_url: str,
    throttling: Throttling,
    address: str = "127.0.0.1",
) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=False,
        throttling=throttling,
    )
    transport = httpx2.ASGITransport(app=app, client=(address, 40000))
    async with httpx2.AsyncClient(transport=transport, base_url="https://renkei.test") as http:
        yield http


async def post(http: httpx2.AsyncClient, query: str, token: str | None = None, **variables: Any):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def tenant_token(sessions: SessionFactory, tokens: TokenService, name: str) -> str:
    owner = await create_user(sessions, f"{name}-{uuid.uuid4().hex[:6]}@throttle.example")
    organization = await create_organization(sessions, owner)
    return token_for(tokens, owner, organization)


def throttle_status(body: dict[str, Any]) -> dict[str, Any]:
    return body["extensions"]["cost"]["throttleStatus"]


async def test_a_tenant_beyond_its_budget_gets_429_while_another_is_still_answered(
    sessions, tokens, redis_url
):
    # given
    noisy = await tenant_token(sessions, tokens, "noisy")
    quiet = await tenant_token(sessions, tokens, "quiet")
    async with api(sessions, tokens, redis_url, small_budget()) as http:
        # when
        first = await post(http, ORGANIZATIONS, noisy)
        second = await post(http, ORGANIZATIONS, noisy)
        third = await post(http, ORGANIZATIONS, noisy)
        other = await post(http, ORGANIZATIONS, quiet)
    # then
    assert [first.status_code, second.status_code] == [200, 200]
    assert third.status_code == 429
    # 5 points are left and 10 are needed, at 0.1 a second.
    assert third.headers["retry-after"] == "50"
    error = third.json()["errors"][0]
    assert error["extensions"] == {"code": "THROTTLED", "retryAfter": 50}
    # in Japanese, as no Accept-Language asked otherwise
    assert error["message"] == (
        "このリクエストのコストは10ですが、残りの予算は5です。50秒後にもう一度お試しください。"
    )
    assert third.json()["extensions"]["cost"] == {
        "requestedQueryCost": 10,
        "actualQueryCost": None,
        "throttleStatus": {"maximumAvailable": 25, "currentlyAvailable": 5, "restoreRate": 0.1},
    }
    assert "data" not in third.json()
    assert other.status_code == 200
    assert "errors" not in other.json()
    assert throttle_status(other.json())["currentlyAvailable"] == 15


async def test_server_processes_share_one_budget(sessions, tokens, redis_url):
    # given: two servers (two apps, each with its own Redis client and memory), one budget
    token = await tenant_token(sessions, tokens, "shared")
    throttling = small_budget()
    async with (
        api(sessions, tokens, redis_url, throttling) as one,
        api(sessions, tokens, redis_url, throttling) as other,
    ):
        # when: the first spends 20 of 25 points, then the second asks for 10
        spent = [(await post(one, ORGANIZATIONS, token)).status_code for _ in range(2)]
        refused = await post(other, ORGANIZATIONS, token)
    # then: Redis, not the second server's memory, refuses
    assert spent == [200, 200]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "50"
    assert throttle_status(refused.json())["currentlyAvailable"] == 5


async def test_every_answer_says_what_it_cost_on_the_resolver_and_compiled_paths(
    sessions, tokens, redis_url
):
    # given
    token = await tenant_token(sessions, tokens, "costs")
    budget = Throttling(
        budget=Budget(capacity=1000, refill_per_minute=60), key_prefix=f"t:{uuid.uuid4().hex}:"
    )
    async with api(sessions, tokens, redis_url, budget) as http:
        # when: the first request runs the resolvers, the same one again the compiled plan
        resolved = await post(http, ORGANIZATIONS, token)
        compiled = await post(http, ORGANIZATIONS, token)
        mutation = await post(http, CREATE, token, slug=f"t-{uuid.uuid4().hex[:8]}")
    # then
    bodies = [resolved.json(), compiled.json(), mutation.json()]
    assert [b.get("errors") for b in bodies] == [None, None, None]
    assert bodies[0]["data"] == bodies[1]["data"]
    assert [b["extensions"]["cost"]["requestedQueryCost"] for b in bodies] == [10, 10, 10]
    assert [b["extensions"]["cost"]["actualQueryCost"] for b in bodies] == [10, 10, 10]
    # Refilled at one point a second: the requests take well under a second each.
    available = [throttle_status(b)["currentlyAvailable"] for b in bodies]
    assert 990 <= available[0] <= 991
    assert 980 <= available[1] <= 982
    assert 970 <= available[2] <= 973
    assert {throttle_status(b)["maximumAvailable"] for b in bodies} == {1000}


async def test_a_direct_read_carries_its_cost_and_is_throttled_too(
    committed: CommittedDatabase, tokens, redis_url
):
    # given: a repeated query with a bearer token is answered in one exchange (direct.py)
    token = await tenant_token(committed.sessions, tokens, "direct")
    async with api(committed.sessions, tokens, redis_url, small_budget()) as http:
        # when
        first = await post(http, ORGANIZATIONS, token)
        direct = await post(http, ORGANIZATIONS, token)
        refused = await post(http, ORGANIZATIONS, token)
    # then
    assert first.json()["data"] == direct.json()["data"]
    assert direct.content.startswith(b'{"data":')
    assert direct.json()["extensions"]["cost"]["requestedQueryCost"] == 10
    assert throttle_status(direct.json())["currentlyAvailable"] == 5
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


async def test_each_api_client_has_a_budget_of_its_own(sessions, client, tokens, redis_url):
    # given: two clients of one organization
    issued = await create_client(sessions, scopes=frozenset({ORGANIZATIONS_READ}))
    other = await create_client(
        sessions,
        scopes=frozenset({ORGANIZATIONS_READ}),
        organization=issued.organization,
        owner=issued.owner,
        name="second",
    )
    tokens_of = []
    for each in (issued, other):
        answer = await request_token(client, each.client.client_id, each.secret)
        tokens_of.append(answer.json()["access_token"])
    async with api(sessions, tokens, redis_url, small_budget()) as http:
        # when
        spent = [(await post(http, ORGANIZATIONS, tokens_of[0])).status_code for _ in range(3)]
        second = await post(http, ORGANIZATIONS, tokens_of[1])
    # then
    assert spent == [200, 200, 429]
    assert second.status_code == 200
    assert throttle_status(second.json())["currentlyAvailable"] == 15


async def test_a_browser_session_spends_its_organizations_budget(sessions, tokens, redis_url):
    # given: a person of an organization signed in through the browser, and its API token
    owner = await create_user(sessions, f"browser-{uuid.uuid4().hex[:6]}@throttle.example")
    organization = await create_organization(sessions, owner)
    async with unit_of_work(sessions, Viewer.platform()) as session:
        started = await signin.start_session(
            session, user_id=owner.id, organization_id=organization.id
        )
    config = SignInConfig(
        public_url="https://renkei.test",
        box=SecretBox({"test-key": os.urandom(32)}),
        oidc=OidcClient(min_refetch_gap=0),
        cookie_secret="a test cookie secret",
        secure_cookies=False,
    )
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=False,
        sign_in=config,
        throttling=small_budget(),
    )
    browser = {
        "Cookie": f"{SESSION_COOKIE}={started.secret}",
        "X-CSRF-Token": signin.csrf_token(started.secret, "a test cookie secret"),
    }
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="https://renkei.test") as http:
        # when: two pages of 10, then the organization's token asks for 10 more
        pages = [
            await http.post("/graphql", json={"query": ORGANIZATIONS}, headers=browser)
            for _ in range(2)
        ]
        token = await post(http, ORGANIZATIONS, token_for(tokens, owner, organization))
    # then
    assert [p.status_code for p in pages] == [200, 200]
    assert throttle_status(pages[1].json())["currentlyAvailable"] == 5
    assert token.status_code == 429


async def test_requests_without_a_token_spend_the_budget_of_their_address(
    sessions, tokens, redis_url
):
    # given
    throttling = small_budget()
    prefecture = 'query P { prefecture(code: "40") { name } }'
    # when: a query without connections costs 1
    async with api(sessions, tokens, redis_url, throttling, address="203.0.113.7") as http:
        answers = [await post(http, ORGANIZATIONS) for _ in range(3)]
        cheap = await post(http, prefecture)
    async with api(sessions, tokens, redis_url, throttling, address="198.51.100.9") as http:
        elsewhere = await post(http, ORGANIZATIONS)
    # then
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert cheap.status_code == 200
    assert cheap.json()["extensions"]["cost"]["requestedQueryCost"] == 1
    assert elsewhere.status_code == 200


async def test_the_token_endpoint_is_limited_per_address(sessions, tokens, redis_url):
    # given
    throttling = small_budget(auth_per_minute=3)
    issued = await create_client(sessions, scopes=frozenset({ORGANIZATIONS_READ}))
    async with api(sessions, tokens, redis_url, throttling, address="192.0.2.1") as http:
        # when: a guesser tries secrets
        guesses = [await request_token(http, issued.client.client_id, "wrong") for _ in range(4)]
        # the right secret, from the same address
        right = await request_token(http, issued.client.client_id, issued.secret)
    async with api(sessions, tokens, redis_url, throttling, address="192.0.2.2") as http:
        elsewhere = await request_token(http, issued.client.client_id, issued.secret)
    # then
    assert [g.status_code for g in guesses] == [401, 401, 401, 429]
    assert guesses[3].headers["retry-after"] == "20"
    assert guesses[3].json()["error"] == "too_many_requests"
    assert guesses[3].json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert right.status_code == 429
    assert elsewhere.status_code == 200


async def test_the_sign_in_pages_are_limited_per_address(sessions, tokens, redis_url):
    # given: browser sign-in configured, three requests a minute per address
    config = SignInConfig(
        public_url="https://renkei.test",
        box=SecretBox({"test-key": os.urandom(32)}),
        oidc=OidcClient(min_refetch_gap=0),
        cookie_secret="a test cookie secret",
        secure_cookies=False,
    )
    app = create_app(
        sessions=sessions,
        tokens=tokens,
        redis_url=redis_url,
        development=False,
        sign_in=config,
        throttling=small_budget(auth_per_minute=3),
    )
    transport = httpx2.ASGITransport(app=app, client=("192.0.2.10", 40000))
    async with httpx2.AsyncClient(transport=transport, base_url="https://renkei.test") as http:
        # when: someone walks the sign-in pages
        pages = [await http.get("/auth/login", params={"email": "a@b.example"}) for _ in range(3)]
        session = await http.get("/auth/session")
        graphql = await post(http, 'query P { prefecture(code: "40") { name } }')
    # then: the fourth is refused, and the API is not counted against the sign-in pages
    assert all(page.status_code != 429 for page in pages)
    assert session.status_code == 429
    assert session.headers["retry-after"] == "20"
    assert session.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert graphql.status_code == 200


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def fail_open(kind: str) -> float:
    return REGISTRY.get_sample_value("renkei_throttle_fail_open_total", {"kind": kind}) or 0.0


async def test_without_redis_queries_are_answered_and_mutations_keep_a_local_budget(
    sessions, tokens, redis_url, caplog
):
    # given: Redis is not listening
    token = await tenant_token(sessions, tokens, "outage")
    before = {kind: fail_open(kind) for kind in ("query", "strict")}
    async with api(sessions, tokens, closed_port_url(), small_budget()) as http:
        # when
        queries = [await post(http, ORGANIZATIONS, token) for _ in range(4)]
        mutations = [
            await post(http, CREATE, token, slug=f"o-{uuid.uuid4().hex[:8]}") for _ in range(3)
        ]
    # then: queries pass, beyond the budget too, and say that no budget was checked
    assert [q.status_code for q in queries] == [200, 200, 200, 200]
    assert [q.json().get("errors") for q in queries] == [None] * 4
    assert queries[3].json()["extensions"]["cost"] == {
        "requestedQueryCost": 10,
        "actualQueryCost": 10,
        "throttleStatus": None,
    }
    # mutations are held to the same budget in this process
    assert [m.status_code for m in mutations] == [200, 200, 429]
    assert fail_open("query") - before["query"] == 4
    # the third is refused from this process's copy of the bucket, before Redis is tried
    assert fail_open("strict") - before["strict"] == 2
    assert REGISTRY.get_sample_value("renkei_throttle_redis_unavailable") == 1.0
    warnings = [r.getMessage() for r in caplog.records if r.name == "renkei.graphql.throttle"]
    assert len(warnings) == 1
    assert warnings[0].startswith("rate limiter: Redis unavailable (")
