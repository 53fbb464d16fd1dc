"""Fixtures of the KPI tests."""

from __future__ import annotations

import pytest

from kpis.world import World, kyushu_world
from renkei.db import SessionFactory


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await kyushu_world(sessions)
