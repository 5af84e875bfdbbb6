"""Sessions and the unit of work: one transaction per request or job, committed in one
place (``lms.core.routing.TransactionalRoute`` for requests, the job runner for jobs),
with callbacks that run only once the commit has succeeded. Services only ``flush()``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.orm import Session

from lms.core.config import Settings, get_settings

# ``session.info`` key of the application's store, for work that must reach the store
# within a commit (see lms.modules.users.service: cached principals).
STORE_INFO_KEY = "lms.store"


# ``session.info`` key of the settings the session's application runs with.
SETTINGS_INFO_KEY = "lms.settings"


def create_sessionmaker(
    engine: AsyncEngine, *, store: Any | None = None, settings: Settings | None = None
) -> async_sessionmaker[AsyncSession]:
    info: dict[str, Any] = {}
    if store is not None:
        info[STORE_INFO_KEY] = store
    if settings is not None:
        info[SETTINGS_INFO_KEY] = settings
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info or None)


def session_settings(session: AsyncSession) -> Settings:
    """The settings of the application (or worker) that opened ``session``: what a
    subscriber to an event uses, since it is called with the session only."""
    settings: Settings | None = session.info.get(SETTINGS_INFO_KEY)
    return settings if settings is not None else get_settings()


READ_ONLY_INFO_KEY = "lms.read_only"


def create_read_sessionmaker(
    engine: AsyncEngine, *, store: Any | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions for ``read_only`` endpoints. On PostgreSQL each statement runs on its own
    (autocommit): no ``BEGIN`` and ``COMMIT`` round trips around a request that only
    reads. SQLite keeps ordinary transactions (the pysqlite driver's own)."""
    info: dict[str, Any] = {READ_ONLY_INFO_KEY: True}
    if store is not None:
        info[STORE_INFO_KEY] = store
    bind = (
        engine
        if engine.dialect.name == "sqlite"
        else engine.execution_options(isolation_level="AUTOCOMMIT")
    )
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False, info=info)


AUTOCOMMIT_INFO_KEY = "lms.autocommit"


def create_autocommit_sessionmaker(
    engine: AsyncEngine, *, store: Any | None = None, settings: Settings | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions for ``single_statements`` endpoints: on PostgreSQL each statement commits
    on its own (no ``BEGIN`` and ``COMMIT`` round trips), so every write must be one
    statement that checks its own conditions. SQLite keeps ordinary transactions."""
    info: dict[str, Any] = {AUTOCOMMIT_INFO_KEY: True}
    if store is not None:
        info[STORE_INFO_KEY] = store
    if settings is not None:
        info[SETTINGS_INFO_KEY] = settings
    bind = (
        engine
        if engine.dialect.name == "sqlite"
        else engine.execution_options(isolation_level="AUTOCOMMIT")
    )
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False, info=info)


class TransactionNeeded(Exception):
    """Raised by a use case running in a ``single_statements`` session, before it has
    written anything, when it must make several changes that succeed together: the
    route runs the endpoint again in a transaction."""


def require_transaction(session: AsyncSession) -> None:
    """Make sure what follows runs in a transaction: in a ``single_statements`` session,
    raise ``TransactionNeeded`` (nothing may have been written yet)."""
    if session.info.get(AUTOCOMMIT_INFO_KEY):
        raise TransactionNeeded()


def in_single_statements(session: AsyncSession) -> bool:
    """Whether each statement of ``session`` commits on its own (a ``single_statements``
    endpoint on PostgreSQL): a row lock would end with its statement."""
    autocommit = bool(session.info.get(AUTOCOMMIT_INFO_KEY))
    return autocommit and session.get_bind().dialect.name != "sqlite"


@event.listens_for(Session, "before_flush")
def _refuse_writes_when_read_only(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY_INFO_KEY) and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a read_only endpoint tried to write; remove @read_only from it")


# What a repository function needs to run Core statements (selects of columns, DML on
# tables): the request's session, or the plain connection of a read-only endpoint.
Executor = AsyncSession | AsyncConnection


async def discard(session: AsyncSession) -> None:
    try:
        await session.rollback()
    finally:
        await session.close()


async def commit(session: AsyncSession) -> None:
    """Commit, then run the callbacks registered with ``run_after_commit``."""
    await session.commit()
    for callback in session.info.pop("after_commit", []):
        await callback()


def run_after_commit(
    session: AsyncSession, callback: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Run ``callback`` once this session's transaction has committed (dropped on rollback)."""
    session.info.setdefault("after_commit", []).append(callback)
