"""Fixtures of the region tests, rolled back after each test."""

from __future__ import annotations

import pytest

from regions.world import World, create_world
from renkei.db import SessionFactory
from renkei.identity.tokens import TokenService


@pytest.fixture
async def world(sessions: SessionFactory, tokens: TokenService) -> World:
    return await create_world(sessions, tokens)
