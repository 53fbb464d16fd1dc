"""The request's context: who is asking, their transaction, and the request's loaders."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from renkei.graphql.loaders import Loaders
from renkei.identity.tokens import TokenService
from renkei.tenancy import Viewer

if TYPE_CHECKING:
    from renkei.graphql.auth import SignInConfig
    from renkei.webhooks.service import WebhookConfig

R = TypeVar("R")


@dataclass
class Context:
    request: Request
    viewer: Viewer
    session: AsyncSession
    # The operation the client named, if any (operationName).
    operation_name: str | None = None
    tokens: TokenService | None = None
    # Set when the request is authenticated by a browser session cookie.
    browser_session_id: uuid.UUID | None = None
    # Set when the request's bearer token was handed out by a browser session (its `sid`).
    token_session_id: uuid.UUID | None = None
    sign_in: SignInConfig | None = None
    # The key ring sealing webhook secrets and the URL rules (None: webhooks not configured).
    webhooks: WebhookConfig | None = None
    # Whether a fully registered query may run as one statement (renkei.graphql.compiled).
    compile_reads: bool = True
    # One session runs one statement at a time; sibling resolvers take turns.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @cached_property
    def loaders(self) -> Loaders:
        """This request's loaders, made when a resolver first asks (a compiled read never does)
        and dropped with the context."""
        return Loaders.for_request(self.session, self.lock)

    async def run(self, work: Callable[[AsyncSession], Awaitable[R]]) -> R:
        async with self.lock:
            return await work(self.session)


Info = StrawberryInfo[Context, None]
