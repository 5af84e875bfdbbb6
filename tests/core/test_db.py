"""Transaction semantics the services rely on, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


async def test_a_released_savepoint_is_undone_by_the_outer_rollback(app: Any) -> None:
    engine = app.state.engine
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS savepoint_probe (x INTEGER)"))
        await connection.execute(text("DELETE FROM savepoint_probe"))
    try:
        async with engine.connect() as connection:
            await connection.begin()
            nested = await connection.begin_nested()  # the first statement of the transaction
            await connection.execute(text("INSERT INTO savepoint_probe VALUES (1)"))
            await nested.commit()
            await connection.rollback()
        async with engine.connect() as connection:
            count = await connection.scalar(text("SELECT count(*) FROM savepoint_probe"))
        assert count == 0
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DROP TABLE savepoint_probe"))
