"""The personal data contract: how each module exports and erases what it holds about
one account (GDPR articles 15, 17 and 20).

Every module whose tables refer to an account declares a ``PersonalDataHandler`` on its
public surface: the tables it answers for, an ``export`` that returns the person's data
as JSON-compatible values (with the JSON Schema it follows), an ``erase`` that removes
or irreversibly anonymises it, and optionally the stored files that belong in the
person's export. ``lms/wiring.py`` registers them in ``registry``, in the order erasure
runs them; nothing registers on import. An architecture test checks that every table
with a column referring to an account is covered by some handler.

This file holds no business rule: the helpers below turn table rows into JSON values
and table columns into JSON Schema, so that a module's export and its published schema
come from one definition."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    Integer,
    Numeric,
    Table,
    Text,
    Uuid,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import UTCDateTime


class Exporter(Protocol):
    async def __call__(self, session: AsyncSession, account_id: uuid.UUID) -> Any: ...


class Eraser(Protocol):
    async def __call__(self, session: AsyncSession, account_id: uuid.UUID) -> None: ...


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A stored object that belongs in the person's export: ``path`` is its name inside
    the archive (safe segments, no user-chosen directories)."""

    path: str
    storage_provider: str
    key: str


class FileLister(Protocol):
    async def __call__(self, session: AsyncSession, account_id: uuid.UUID) -> list[ExportFile]: ...


@dataclass(frozen=True, kw_only=True)
class PersonalDataHandler:
    """What one module holds about a person and how it answers for it.

    ``export`` returns the module's JSON document (validated by ``schema``); ``erase``
    deletes or anonymises every personal value in ``tables`` and in storage, keeping
    only what must outlive the person (and saying so in its docstring); it must be
    idempotent. ``files`` lists the stored objects the export copies."""

    module: str
    tables: tuple[str, ...]
    export: Exporter
    erase: Eraser
    schema: dict[str, Any]
    files: FileLister | None = None
    kept: str = ""


@dataclass
class PersonalDataRegistry:
    """The handlers of every module, in the order erasure runs them (filled by
    ``lms.wiring.wire``)."""

    _handlers: dict[str, PersonalDataHandler] = field(default_factory=dict)

    def register(self, handler: PersonalDataHandler) -> None:
        existing = self._handlers.get(handler.module)
        if existing is not None and existing is not handler:
            raise ValueError(f"two personal data handlers for module {handler.module!r}")
        self._handlers[handler.module] = handler

    def handlers(self) -> tuple[PersonalDataHandler, ...]:
        return tuple(self._handlers.values())

    def covered_tables(self) -> set[str]:
        return {table for handler in self._handlers.values() for table in handler.tables}

    def clear(self) -> None:
        self._handlers.clear()


registry = PersonalDataRegistry()


# --- rows as JSON, columns as JSON Schema ------------------------------------------------


def json_value(value: Any) -> Any:
    """A column value as JSON: ids and decimals as strings, times in ISO 8601."""
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def table_of(source: Table | type[Any]) -> Table:
    """The table of a mapped class (or the table itself)."""
    table = source if isinstance(source, Table) else source.__table__
    assert isinstance(table, Table)
    return table


async def export_rows(
    session: AsyncSession,
    source: Table | type[Any],
    where: ColumnElement[bool],
    *,
    omit: Collection[str] = (),
) -> list[dict[str, Any]]:
    """The rows of ``table`` matching ``where``, as JSON objects without the ``omit``
    columns (secrets and hashes are never exported)."""
    table = table_of(source)
    columns = [column for column in table.columns if column.name not in omit]
    result = await session.execute(select(*columns).where(where).order_by(*table.primary_key))
    return [
        {column.name: json_value(value) for column, value in zip(columns, row, strict=True)}
        for row in result
    ]


def _column_schema(column: Any) -> dict[str, Any]:
    kind = column.type
    schema: dict[str, Any]
    if isinstance(kind, Uuid):
        schema = {"type": "string", "format": "uuid"}
    elif isinstance(kind, UTCDateTime):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(kind, Date):
        schema = {"type": "string", "format": "date"}
    elif isinstance(kind, Boolean):
        schema = {"type": "boolean"}
    elif isinstance(kind, Numeric) and not isinstance(kind, Integer):
        schema = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
    elif isinstance(kind, Integer):
        schema = {"type": "integer"}
    elif isinstance(kind, JSON):
        return {}
    else:
        schema = {"type": "string"}
    if column.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def rows_schema(source: Table | type[Any], *, omit: Collection[str] = ()) -> dict[str, Any]:
    """The JSON Schema of ``export_rows(source, omit=omit)``: an array of objects with
    exactly those columns."""
    columns = [column for column in table_of(source).columns if column.name not in omit]
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {column.name: _column_schema(column) for column in columns},
            "required": [column.name for column in columns],
            "additionalProperties": False,
        },
    }


def document_schema(
    module: str, description: str, properties: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """A module's export document: an object with exactly ``properties``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:lms:personal-data:{module}",
        "title": f"Personal data held by the {module} module",
        "description": description,
        "type": "object",
        "properties": dict(properties),
        "required": list(properties),
        "additionalProperties": False,
    }


REDACTED = "[erased]"


def redact(value: Any, needles: Collection[str]) -> Any:
    """``value`` (a JSON value or a string) with every occurrence of each needle
    replaced by ``[erased]``, ignoring case; for values that mention a person among
    other things (an event's payload, a provider's message)."""
    patterns = [re.compile(re.escape(needle), re.IGNORECASE) for needle in needles if needle]
    return _redact(value, patterns)


def _redact(value: Any, patterns: list[re.Pattern[str]]) -> Any:
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, list):
        return [_redact(item, patterns) for item in value]
    if isinstance(value, dict):
        return {_redact(key, patterns): _redact(item, patterns) for key, item in value.items()}
    return value


def mentions(value: Any, needles: Collection[str]) -> bool:
    """True when ``redact`` would change ``value``."""
    return redact(value, needles) != value


def json_mentions(column: Any, needles: Collection[str]) -> ColumnElement[bool]:
    """SQL: the JSON ``column``, as text, holds one of ``needles`` (ignoring case, in
    plain or JSON-escaped form: SQLite stores non-ASCII text as ``\\u`` escapes)."""
    text = func.lower(cast(column, Text))
    forms = {form.lower() for needle in needles if needle for form in _forms(needle)}
    return or_(*(text.contains(form, autoescape=True) for form in sorted(forms)))


def _forms(needle: str) -> tuple[str, str]:
    return needle, json.dumps(needle)[1:-1]
