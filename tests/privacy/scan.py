"""Looking for a person everywhere: every text, character and JSON column of every
table (from PostgreSQL's ``information_schema``, or SQLite's table list and column
types), and every object of the local storage folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

TEXT_TYPES_PG = ("text", "character varying", "character", "json", "jsonb")


async def text_columns(connection: AsyncConnection) -> list[tuple[str, str]]:
    """(table, column) of every column that can hold text, in the live database."""
    if connection.dialect.name == "postgresql":
        rows = await connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND data_type = ANY(:types) "
                "ORDER BY table_name, column_name"
            ),
            {"types": list(TEXT_TYPES_PG)},
        )
        return [(table, column) for table, column in rows]
    found = []
    tables = await connection.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    )
    for (table,) in list(tables):
        for row in await connection.execute(text(f'PRAGMA table_info("{table}")')):
            declared = str(row[2]).upper()
            if any(kind in declared for kind in ("CHAR", "TEXT", "JSON", "CLOB")):
                found.append((table, str(row[1])))
    return found


async def database_mentions(connection: AsyncConnection, needles: tuple[str, ...]) -> list[str]:
    """``table.column: needle`` for every column where a needle appears (any case)."""
    hits = []
    for table, column in await text_columns(connection):
        for needle in needles:
            count = await connection.scalar(
                text(
                    f'SELECT count(*) FROM "{table}" '  # noqa: S608 (names from the catalogue)
                    f'WHERE lower(CAST("{column}" AS TEXT)) LIKE :pattern'
                ),
                {"pattern": f"%{needle.lower()}%"},
            )
            if count:
                hits.append(f"{table}.{column}: {needle} ({count} rows)")
    return hits


def storage_mentions(folder: Path, needles: tuple[str, ...]) -> list[str]:
    """``path: needle`` for every stored object holding a needle (any case)."""
    hits = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        content = path.read_bytes().lower()
        for needle in needles:
            if needle.lower().encode() in content:
                hits.append(f"{path.relative_to(folder)}: {needle}")
    return hits
