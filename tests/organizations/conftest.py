"""The organization tests read the API's English unless a test says otherwise."""

from __future__ import annotations

import httpx2
import pytest


@pytest.fixture
def client(client: httpx2.AsyncClient) -> httpx2.AsyncClient:
    """Renkei answers in Japanese by default (test_japanese_first checks it); these tests are
    about other things and compare English messages, so they ask for English."""
    client.headers["Accept-Language"] = "en"
    return client
