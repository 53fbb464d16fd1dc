"""Fixtures of the tenancy tests: organizations A and B, rolled back after each test."""

from __future__ import annotations

import pytest

from renkei.db import SessionFactory
from tenancy.tenants import Tenants, create_tenants


@pytest.fixture
async def tenants(sessions: SessionFactory) -> Tenants:
    return await create_tenants(sessions)
