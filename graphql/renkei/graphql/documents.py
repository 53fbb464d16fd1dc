"""Trusted documents: operations sent by id instead of by text.

Two ways, as Apollo's clients and router know them:

- Automatic persisted queries (APQ): a client sends `extensions.persistedQuery = {version: 1,
  sha256Hash}` without the query. An unknown hash answers `PersistedQueryNotFound`
  (`PERSISTED_QUERY_NOT_FOUND`, 404); the client sends the same request again with the query,
  whose SHA-256 must be the hash (`PERSISTED_QUERY_HASH_MISMATCH`, 400, else), and once the
  operation has run (so it parsed and validated, and the budget was charged for it) Renkei
  keeps it in Redis: at most MAX_STORED_CHARS long, at most `max_documents` of them (the oldest
  go first), each for `ttl_seconds`, so a client cannot fill Redis with made-up documents.
  Over GET too (`?extensions=…&variables=…`), which suits HTTP caches.
- Registered documents: the manifests (Apollo's persisted query manifest format) list the
  documents first-party clients may send; the web console's is written at build time from its
  operations (`renkei export-documents`, checked by a test). Their ids work in every mode, with
  no Redis. With `registered` set to PUBLIC, requests of public clients (browsers, people's
  tokens, anonymous readers: everything but an API client's client-credentials token) run only
  registered documents: an unregistered id is `PERSISTED_QUERY_NOT_IN_LIST` (404), any other
  text `PERSISTED_QUERY_ID_REQUIRED` (400); the full text of a registered document is accepted.
  With ALL, API clients too.

Redis not answering is not an outage here: a lookup then finds nothing (the client sends the
text again) and a registration is skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import redis.asyncio as redis

from renkei.graphql.input_guard import RequestRefused
from renkei.i18n.messages import _

logger = logging.getLogger(__name__)

CONSOLE_MANIFEST = Path(__file__).parent / "console" / "operations" / "manifest.json"
MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_HASH = re.compile(r"[0-9a-f]{64}")
REDIS_TIMEOUT_SECONDS = 0.25
# Documents longer than this are run but never kept: Redis holds at most
# max_documents x MAX_STORED_CHARS of them (5,000 x 16 KiB: 80 MiB at worst).
MAX_STORED_CHARS = 16 * 1024
# Documents read from Redis are kept in the process too (a hash names one text forever).
LOCAL_COPIES = 512


class Registered(StrEnum):
    """Which requests must send a registered document."""

    OFF = "off"
    PUBLIC = "public"  # all but API clients (client-credentials tokens)
    ALL = "all"


@dataclass(frozen=True)
class DocumentSettings:
    registered: Registered = Registered.OFF
    ttl_seconds: int = 86_400
    max_documents: int = 5_000
    # Manifests of other first-party clients, besides the console's.
    manifests: tuple[Path, ...] = ()
    # Redis keys: <prefix><sha256> for each document, <prefix>index for their number's bound.
    key_prefix: str = "renkei:apq:"


@dataclass(frozen=True)
class Document:
    id: str
    name: str | None
    type: str
    body: str


def document_id(text: str) -> str:
    """A document's id: the SHA-256 of its text (UTF-8), in lowercase hexadecimal."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_of(documents: Iterable[tuple[str | None, str, str]]) -> dict[str, Any]:
    """An Apollo persisted query manifest of (name, type, body), sorted by name."""
    operations = [
        {"id": document_id(body), "name": name, "type": kind, "body": body}
        for name, kind, body in documents
    ]
    operations.sort(key=lambda o: (o["name"] or "", o["id"]))
    return {"format": MANIFEST_FORMAT, "version": 1, "operations": operations}


def console_manifest() -> dict[str, Any]:
    """The manifest of the web console's operations, as `renkei export-documents` writes it."""
    from renkei.graphql.console.operations import load

    return manifest_of(
        (o.name, "mutation" if o.mutation else "query", o.document) for o in load().values()
    )


def render_manifest(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"


def read_manifest(path: Path) -> list[Document]:
    """The documents of a manifest; each id must be its body's hash."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path}: not an {MANIFEST_FORMAT} (version 1)")
    documents = []
    for entry in data.get("operations", []):
        body = entry["body"]
        if entry["id"] != document_id(body):
            raise ValueError(f"{path}: {entry.get('name')}'s id is not its body's SHA-256")
        documents.append(Document(entry["id"], entry.get("name"), entry.get("type", ""), body))
    return documents


@dataclass
class Registry:
    """The registered documents, by id."""

    documents: dict[str, Document] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Registry:
        registry = cls()
        for path in paths:
            for document in read_manifest(path):
                registry.documents[document.id] = document
        return registry

    def get(self, id_: str) -> Document | None:
        return self.documents.get(id_)

    def names(self) -> set[str]:
        return {d.name for d in self.documents.values() if d.name}

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents.values())


def not_found() -> RequestRefused:
    # The message is the protocol's, which clients match as it is: not translated.
    return RequestRefused(
        404,
        "PersistedQueryNotFound",
        "PERSISTED_QUERY_NOT_FOUND",
        {"Cache-Control": "private, no-cache, must-revalidate"},
    )


@dataclass(frozen=True)
class Resolved:
    """The text to run; `new` when the client sent it with its id for Renkei to keep
    (`PersistedDocuments.keep`, once the operation has run)."""

    text: str | None
    new: bool = False


class PersistedDocuments:
    """Turns a request that names a document by id into one that carries its text."""

    def __init__(self, redis_url: str, settings: DocumentSettings | None = None) -> None:
        self.settings = settings or DocumentSettings()
        self.registry = Registry.load(
            [p for p in (CONSOLE_MANIFEST, *self.settings.manifests) if p.exists()]
        )
        self._redis_url = redis_url
        self._redis: redis.Redis | None = None
        self._copies: OrderedDict[str, str] = OrderedDict()

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                self._redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        return self._redis

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    def must_register(self, *, api_client: bool) -> bool:
        mode = self.settings.registered
        return mode is Registered.ALL or (mode is Registered.PUBLIC and not api_client)

    async def resolve(
        self, query: str | None, extensions: dict[str, Any] | None, *, api_client: bool
    ) -> Resolved:
        """The text to run: `query`, or the document `extensions.persistedQuery` names.
        Raises RequestRefused when the id is unknown or does not fit the text, or when the
        request must send a registered document and did not."""
        persisted = (extensions or {}).get("persistedQuery")
        must_register = self.must_register(api_client=api_client)
        if persisted is None:
            if (
                must_register
                and query is not None
                and self.registry.get(document_id(query)) is None
            ):
                raise RequestRefused(
                    400,
                    _(
                        "this server runs registered documents only: send the document's id "
                        "in extensions.persistedQuery.sha256Hash"
                    ),
                    "PERSISTED_QUERY_ID_REQUIRED",
                )
            return Resolved(query)
        id_ = _checked_id(persisted)
        registered = self.registry.get(id_)
        if registered is not None:
            if query is not None and document_id(query) != id_:
                raise _mismatch()
            return Resolved(registered.body)
        if must_register:
            raise RequestRefused(
                404,
                _("no registered document has the id {id}", id=id_),
                "PERSISTED_QUERY_NOT_IN_LIST",
            )
        if query is None:
            found = await self._lookup(id_)
            if found is None:
                raise not_found()
            return Resolved(found)
        if document_id(query) != id_:
            raise _mismatch()
        return Resolved(query, new=id_ not in self._copies)

    async def keep(self, text: str) -> None:
        """Keep a document a client sent with its id, once its operation ran without a request
        error (it parsed and validated); bounded, for `ttl_seconds`."""
        if len(text) <= MAX_STORED_CHARS:
            await self._register(document_id(text), text)

    async def _lookup(self, id_: str) -> str | None:
        copy = self._copies.get(id_)
        if copy is not None:
            self._copies.move_to_end(id_)
            return copy
        try:
            raw = await self.redis.get(self.settings.key_prefix + id_)
        except (TimeoutError, redis.RedisError, OSError):
            logger.warning("persisted queries: Redis did not answer a lookup")
            return None
        if raw is None:
            return None
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        if document_id(text) != id_:  # not ours, or damaged: never run a text by a wrong id
            return None
        self._remember(id_, text)
        return text

    def _remember(self, id_: str, text: str) -> None:
        self._copies[id_] = text
        if len(self._copies) > LOCAL_COPIES:
            self._copies.popitem(last=False)

    async def _register(self, id_: str, text: str) -> None:
        settings = self.settings
        now = time.time()
        key = settings.key_prefix + id_
        index = settings.key_prefix + "index"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(key, text, ex=settings.ttl_seconds)
                pipe.zadd(index, {key: now})
                pipe.zremrangebyscore(index, "-inf", now - settings.ttl_seconds)
                pipe.zcard(index)
                *_, count = await pipe.execute()
            over = int(count) - settings.max_documents
            if over > 0:
                oldest = [k for k, _score in await self.redis.zpopmin(index, over)]
                if oldest:
                    await self.redis.delete(*oldest)
        except (TimeoutError, redis.RedisError, OSError):
            logger.warning("persisted queries: Redis did not keep a document")
            return
        self._remember(id_, text)


def _checked_id(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise RequestRefused(
            400,
            _("persisted queries of version 1 only: extensions.persistedQuery.version must be 1"),
            "PERSISTED_QUERY_NOT_SUPPORTED",
        )
    id_ = persisted.get("sha256Hash")
    if not isinstance(id_, str) or not _HASH.fullmatch(id_):
        raise RequestRefused(
            400,
            _("extensions.persistedQuery.sha256Hash must be 64 lowercase hexadecimal digits"),
            "PERSISTED_QUERY_INVALID",
        )
    return id_


def _mismatch() -> RequestRefused:
    return RequestRefused(
        400,
        _("the query's SHA-256 is not extensions.persistedQuery.sha256Hash"),
        "PERSISTED_QUERY_HASH_MISMATCH",
    )
