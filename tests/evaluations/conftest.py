"""Fixtures of the 効果検証 tests: the KPI tests' world of 九州."""

from __future__ import annotations

import pytest

from kpis.world import World, kyushu_world
from renkei.db import SessionFactory


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await kyushu_world(sessions)
