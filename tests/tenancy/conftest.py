"""Fixtures of the tenancy tests: organizations A and B, rolled back after each test."""

from __future__ import annotations

import httpx2
import pytest

from renkei.db import SessionFactory
from tenancy.tenants import Tenants, create_tenants


@pytest.fixture
def client(client: httpx2.AsyncClient) -> httpx2.AsyncClient:
    """Renkei answers in Japanese by default (tests/organizations/test_japanese_first.py checks
    it); these tests are about other things and compare English messages, so they ask for it."""
    client.headers["Accept-Language"] = "en"
    return client


@pytest.fixture
async def tenants(sessions: SessionFactory) -> Tenants:
    return await create_tenants(sessions)
