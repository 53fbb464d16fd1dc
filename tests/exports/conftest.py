"""Fixtures of the export tests: the world of world.py, built anew for each test."""

from __future__ import annotations

import httpx2
import pytest

from exports.world import World, build_world
from renkei.db import SessionFactory
from renkei.identity.tokens import TokenService


@pytest.fixture
async def world(
    sessions: SessionFactory, client: httpx2.AsyncClient, tokens: TokenService
) -> World:
    return await build_world(sessions, client, tokens)
