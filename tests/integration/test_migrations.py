"""The migrations build the schema from empty on SQLite and PostgreSQL, and the models
and the migrations agree (what ``alembic check`` reports)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from lms.core.migrate import alembic_config, check, upgrade
from tests.conftest import DATABASE_URL, IS_POSTGRES
from tests.integration.conftest import require

pytestmark = pytest.mark.integration

EXPECTED_TABLES = {"users", "refresh_tokens", "one_time_codes", "outbox_messages"}


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        finally:
            await engine.dispose()
        return set(names)

    return asyncio.run(read())


def _round_trip(url: str) -> None:
    assert _tables(url) == set()
    upgrade(url)
    assert _tables(url) >= EXPECTED_TABLES
    check(url)  # raises if autogenerate would find a difference
    command.downgrade(alembic_config(url), "base")
    assert _tables(url) == {"alembic_version"}
    upgrade(url)
    check(url)


def test_migrations_from_empty_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")


def test_migrations_from_empty_on_a_fresh_postgresql_database() -> None:
    require("PostgreSQL", IS_POSTGRES, "LMS_TEST_DATABASE_URL is not a PostgreSQL URL")
    server = make_url(DATABASE_URL)
    name = f"lms_fresh_{uuid.uuid4().hex[:12]}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        _round_trip(server.set(database=name).render_as_string(hide_password=False))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
