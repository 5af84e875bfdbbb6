"""Counting the SQL statements a request runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


class Statements:
    def __init__(self) -> None:
        self.executed: list[str] = []

    @property
    def count(self) -> int:
        return len(self.executed)

    def __repr__(self) -> str:
        return "\n".join(
            f"{i + 1}. {' '.join(s.split())[:160]}" for i, s in enumerate(self.executed)
        )


@contextmanager
def counting_statements(app: Any) -> Iterator[Statements]:
    """Every statement sent through the app's engine while the block runs (BEGIN and
    COMMIT are not statements to SQLAlchemy and are not counted)."""
    found = Statements()
    engine = app.state.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found.executed.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)
