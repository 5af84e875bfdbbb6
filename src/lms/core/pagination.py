"""``page``/``page_size`` query parameters, the list envelope every list returns, and the
one way a repository reads a page and its total."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import URL

from lms.core.errors import BadRequest

T = TypeVar("T")

MAX_PAGE_SIZE = 100


class PageParams(BaseModel):
    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def _page_params(
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page (max 100)")
    ] = 20,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


Pagination = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class CursorPage(BaseModel, Generic[T]):
    """A page of an append-only list, newest first. ``next_cursor`` continues after the
    page's last item however many items were added since (``?cursor=…``; the ``Link``
    header's ``next`` carries it); ``page`` paging still works beside it."""

    items: list[T]
    next_cursor: str | None = None
    total: int
    page: int
    page_size: int


def encode_cursor(created_at: datetime, item_id: uuid.UUID) -> str:
    """The opaque cursor after an item of a list ordered by (created_at, id), newest
    first."""
    raw = f"{created_at.isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position an ``encode_cursor`` cursor names; ``BadRequest`` (code
    ``invalid_cursor``) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, item = raw.partition("|")
        return datetime.fromisoformat(when), uuid.UUID(item)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("The cursor is not one this list gave.", code="invalid_cursor") from error


def page_of(items: Sequence[T], total: int, params: PageParams) -> Page[T]:
    """The list envelope of one page of ``items`` out of ``total``."""
    return Page(items=list(items), total=total, page=params.page, page_size=params.page_size)


async def paginate(
    session: AsyncSession, statement: Select[T], *, offset: int, limit: int
) -> tuple[list[T], int]:
    """One page of the entities ``statement`` selects (it carries its own order) and how
    many it selects in all: two statements, the count over the statement's rows."""
    rows = await session.scalars(statement.offset(offset).limit(limit))
    return list(rows), await _count(session, statement)


async def paginate_rows(
    session: AsyncSession,
    statement: Select[Any],
    *,
    offset: int,
    limit: int,
    counted: Select[Any] | None = None,
) -> tuple[list[Any], int]:
    """``paginate`` for a statement that selects columns: the page as ``Row``s. When the
    page adds columns the total does not need (a count per row, say), ``counted`` is the
    statement whose rows are counted instead."""
    rows = await session.execute(statement.offset(offset).limit(limit))
    return list(rows), await _count(session, statement if counted is None else counted)


async def _count(session: AsyncSession, statement: Select[Any]) -> int:
    total = await session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    return int(total or 0)


def link_header(path: str, query: str, *, total: int, page: int, size: int) -> bytes:
    """RFC 8288 ``Link`` to the first, previous, next and last pages of a list (same
    path and query, another ``page``), as relative references. Built from the raw query
    string rather than URL objects: it runs on every page answered."""
    last = max(1, -(-total // size)) if size > 0 else 1
    # the query's other parameters as the client encoded them
    kept = "&".join(part for part in query.split("&") if part and not part.startswith("page="))
    prefix = f"{path}?{kept}&page=" if kept else f"{path}?page="
    relations = [("first", 1)]
    if page > 1:
        relations.append(("prev", min(page - 1, last)))
    if page < last:
        relations.append(("next", page + 1))
    relations.append(("last", last))
    return ", ".join(f'<{prefix}{number}>; rel="{rel}"' for rel, number in relations).encode()


def cursor_links(url: URL, following: str | None) -> str:
    """RFC 8288 ``Link`` of a page read by cursor: the first page, and the next one
    while there is one."""
    first = url.remove_query_params(["cursor", "page"])
    links = [f'<{first.path}?{first.query}>; rel="first"']
    if following is not None:
        target = first.include_query_params(cursor=following)
        links.append(f'<{target.path}?{target.query}>; rel="next"')
    return ", ".join(links)
