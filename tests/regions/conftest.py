"""Fixtures of the region tests, rolled back after each test."""

from __future__ import annotations

import httpx2
import pytest

from regions.world import World, create_world
from renkei.db import SessionFactory
from renkei.identity.tokens import TokenService


@pytest.fixture
def client(client: httpx2.AsyncClient) -> httpx2.AsyncClient:
    """Renkei answers in Japanese by default (tests/organizations/test_japanese_first.py checks
    it); these tests are about other things and compare English messages, so they ask for it."""
    client.headers["Accept-Language"] = "en"
    return client


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> World:
    return await create_world(sessions, tokens)
