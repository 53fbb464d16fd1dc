"""Relay building blocks: opaque global ids, cursors and keyset pages of 1 to 100 items."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from renkei.errors import ErrorCode, Invalid
from renkei.i18n.messages import _

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

T = TypeVar("T")


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="The object's global id: opaque and stable; `node(id:)` fetches it again."
    )


def to_global_id(type_name: str, key: uuid.UUID | str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode())


def parse_global_id(global_id: str) -> tuple[str, str] | None:
    """The (type name, key) inside a global id, or None when it is not one of ours."""
    try:
        decoded = base64.urlsafe_b64decode(global_id.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, sep, key = decoded.partition(":")
    return (type_name, key) if sep and type_name and key else None


def row_id(global_id: str, type_name: str) -> uuid.UUID | None:
    """The row id inside a global id of `type_name`; None for anything else (a lookup by it
    finds nothing, exactly as for a row you may not see)."""
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        return None
    try:
        return uuid.UUID(parsed[1])
    except ValueError:
        return None


def decode_id(global_id: str, expected_type: str, *, field: str = "id") -> uuid.UUID:
    """The row id of a global id that must name `expected_type`; Invalid otherwise."""
    parsed = parse_global_id(global_id)
    if parsed is not None and parsed[0] == expected_type:
        try:
            return uuid.UUID(parsed[1])
        except ValueError:
            pass
    raise Invalid(
        _("not an id of type {type}", type=expected_type), field=field, code=ErrorCode.INVALID_ID
    )


@strawberry.type(description="Where a page of a connection sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="True when items follow this page: ask again with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="True when items come before this page: ask again with"
        " `last` and `before: startCursor`."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the page's first item; null for an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item; null for an empty page."
    )


@strawberry.type(description="One item of a connection's page, with the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="An opaque position in the list: pass it as `after` or `before`."
    )
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list: at most 100 items, with cursors to move on.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(
        description="The page's items with their cursors, in the list's order."
    )
    page_info: PageInfo = strawberry.field(description="Whether more items lie before or after.")

    @strawberry.field(description="The items of this page, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


# The four arguments of every connection field (Relay's), described once.
First = Annotated[
    int | None,
    strawberry.argument(
        description="How many items from the start of the list (after `after`): 1 to 100."
        " 20 when neither `first` nor `last` is given; not with `last`."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Start after this cursor (a previous page's `pageInfo.endCursor`)."
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="How many items from the end of the list (before `before`): 1 to 100;"
        " not with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="End before this cursor (a later page's `pageInfo.startCursor`)."
    ),
]


@dataclass(frozen=True)
class PageArgs:
    """first/after or last/before, checked: one page of 1..100 items."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @classmethod
    def of(
        cls,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> PageArgs:
        if first is not None and last is not None:
            raise Invalid(_("pass first or last, not both"), field="first")
        for name, value in (("first", first), ("last", last)):
            if value is not None and not 1 <= value <= MAX_PAGE_SIZE:
                raise Invalid(
                    _("{argument} must be between 1 and {most}", argument=name, most=MAX_PAGE_SIZE),
                    field=name,
                )
        if first is None and last is None:
            first = DEFAULT_PAGE_SIZE
        return cls(first=first, after=after, last=last, before=before)

    @property
    def forward(self) -> bool:
        return self.last is None

    @property
    def size(self) -> int:
        size = self.first if self.forward else self.last
        assert size is not None
        return size


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, ensure_ascii=False).encode()).decode()


def decode_cursor(
    cursor: str, columns: Sequence[InstrumentedAttribute[Any]], *, field: str = "after"
) -> list[Any]:
    """The keys inside a cursor of this list; Invalid, naming the argument, otherwise."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if not isinstance(plain, list) or len(plain) != len(columns):
            raise ValueError
        values: list[Any] = []
        for column, raw in zip(columns, plain, strict=True):
            kind = column.type.python_type
            if kind is datetime:
                values.append(datetime.fromisoformat(raw))
            elif kind is date:
                values.append(date.fromisoformat(raw))
            elif kind is uuid.UUID:
                values.append(uuid.UUID(raw))
            else:
                values.append(kind(raw))
        return values
    except (ValueError, TypeError, UnicodeError, binascii.Error, json.JSONDecodeError) as exc:
        raise Invalid(_("{field} is not a cursor of this list", field=field), field=field) from exc


@dataclass
class Page(Generic[T]):
    rows: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


async def fetch_pages(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    order_by: Sequence[InstrumentedAttribute[Any]],
    args: PageArgs,
    partition_by: InstrumentedAttribute[Any] | None = None,
) -> dict[Hashable, Page[Any]]:
    """One statement for a page of each partition (e.g. the first 10 members of 50 organizations).

    Keyset pagination over `order_by` (which must end with a unique column), windowed with
    row_number() so that nested connections cost one query whatever the number of parents.
    """
    keys = tuple_(*order_by)
    if args.after is not None:
        after = decode_cursor(args.after, order_by, field="after")
        stmt = stmt.where(keys > tuple_(*map(literal, after)))
    if args.before is not None:
        before = decode_cursor(args.before, order_by, field="before")
        stmt = stmt.where(keys < tuple_(*map(literal, before)))
    ordering = [c.asc() if args.forward else c.desc() for c in order_by]
    partition = partition_by if partition_by is not None else literal(1)
    number = func.row_number().over(partition_by=partition, order_by=ordering).label("_rn")
    inner = stmt.add_columns(number, partition.label("_part")).subquery()
    entity = stmt.column_descriptions[0]["entity"]
    row = aliased(entity, inner)
    outer = (
        select(row, inner.c._part)
        .where(inner.c._rn <= args.size + 1)
        .order_by(inner.c._part, inner.c._rn)
    )
    grouped: dict[Hashable, list[Any]] = defaultdict(list)
    for item, part in (await session.execute(outer)).all():
        grouped[part].append(item)
    if partition_by is None and not grouped:
        # One list, and so one page, even when nothing is left after the cursor.
        return {1: empty_page(args)}
    pages: dict[Hashable, Page[Any]] = {}
    for part, items in grouped.items():
        more = len(items) > args.size
        items = items[: args.size]
        if not args.forward:
            items.reverse()
        cursors = [encode_cursor([getattr(i, c.key) for c in order_by]) for i in items]
        pages[part] = Page(
            rows=items,
            cursors=cursors,
            has_next_page=more if args.forward else args.before is not None,
            has_previous_page=args.after is not None if args.forward else more,
        )
    return pages


async def root_page(
    context: Any,
    stmt: Select[Any] | None,
    *,
    order_by: Sequence[InstrumentedAttribute[Any]],
    args: PageArgs,
) -> Page[Any]:
    """One page of a root list, read through the repository's statement in the request's
    session; `stmt` None: nothing can match (e.g. an id of another type)."""
    if stmt is None:
        return empty_page(args)
    pages = await context.run(lambda s: fetch_pages(s, stmt, order_by=order_by, args=args))
    return next(iter(pages.values()), empty_page(args))


def empty_page(args: PageArgs) -> Page[Any]:
    """A page with no rows: items still lie behind the cursor it was asked from."""
    return Page(
        rows=[],
        cursors=[],
        has_next_page=not args.forward and args.before is not None,
        has_previous_page=args.forward and args.after is not None,
    )


def to_connection(page: Page[Any], wrap: Any) -> Connection[Any]:
    edges = [Edge(cursor=c, node=wrap(r)) for r, c in zip(page.rows, page.cursors, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
    )
