"""The declarative base and the column types every module's tables share.

The engine and its pool are in ``lms.core.engine``, sessions and the unit of work in
``lms.core.session``, the route class that commits a request's transaction in
``lms.core.routing``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, Select, TypeDecorator, func, literal
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


def where_one_of(
    statement: SelectT,
    expression: Any,
    values: Sequence[Any],
    type_: TypeEngine[Any],
    *,
    dialect: str,
) -> SelectT:
    """``statement`` limited to the rows whose indexed ``expression`` is one of
    ``values`` (distinct; hundreds of them): on PostgreSQL a join with ``unnest`` of one
    array parameter, which the planner answers with an index probe per value where it
    answers an ``IN`` list of a thousand with a sequential scan of the table; ``IN``
    elsewhere."""
    if dialect == "postgresql":
        keys = (
            func.unnest(literal(list(values), ARRAY(type_)))
            .table_valued("key")
            .render_derived("keys")
        )
        return statement.join(keys, expression == keys.c.key)
    return statement.where(expression.in_(list(values)))


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
