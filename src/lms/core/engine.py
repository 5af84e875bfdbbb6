"""The database engine and its pool: driver settings, JSON codecs, and how a connection
the server dropped is told apart from a bug."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import event, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lms.core.config import Settings
from lms.core.pool import FairAsyncQueuePool


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers past 64 bits, keys that are not strings
        return json.dumps(value)


# JSON columns (answers, marks, option orders, metadata) are written with orjson, several
# times faster than the standard library; what orjson refuses (a client's metadata may
# hold any JSON number) is written as before. They are read with the standard library:
# orjson reads an integer past 64 bits as a float, and would lose its digits.
_JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text}


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url, connect_args={"timeout": 30}, **_JSON_CODEC
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "savepoint")
        def _sqlite_savepoint(connection: Any, _name: str) -> None:
            # The driver opens a transaction only before the first write, so a SAVEPOINT
            # issued earlier would be a transaction of its own and its RELEASE a real
            # commit that a later rollback cannot undo. Open the transaction first.
            if not connection.connection.driver_connection.in_transaction:
                connection.exec_driver_sql("BEGIN")

        return engine
    on_asyncpg = make_url(settings.database_url).get_driver_name() == "asyncpg"
    engine = create_async_engine(
        settings.database_url,
        poolclass=FairAsyncQueuePool,
        **_JSON_CODEC,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_recycle=1800,
        # A burst waits for a connection (first come, first served) this long at most.
        pool_timeout=settings.database_pool_wait_seconds,
        # asyncpg: closed connections are found without a round trip (below); another
        # driver gets SQLAlchemy's ping.
        pool_pre_ping=not on_asyncpg,
    )
    if on_asyncpg:
        event.listen(engine.sync_engine, "handle_error", _asyncpg_lost_connection)
        event.listen(engine.sync_engine, "checkin", _note_checkin)
        event.listen(
            engine.sync_engine,
            "checkout",
            _checkout_check(settings.database_ping_after_idle_seconds),
        )
    return engine


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _checkout_check(ping_after_idle: float) -> Callable[[Any, Any, Any], None]:
    """Hand out no pooled connection the server has closed: the pool throws it away and
    takes another.

    Instead of SQLAlchemy's ``pool_pre_ping``, which for asyncpg costs three round trips
    on every checkout (BEGIN, a ping, ROLLBACK). A connection whose server went away (a
    restart, a failover, an administrator's terminate) has seen its socket close, and
    asyncpg knows it without asking. A connection dropped silently by something in
    between (a load balancer's or firewall's idle timeout) has not: a connection that sat
    idle longer than ``ping_after_idle`` seconds is pinged first. Under load connections
    come back within milliseconds and are never pinged. A connection that dies while in
    use is caught by ``_asyncpg_lost_connection``."""

    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > ping_after_idle:
            try:
                dbapi_connection.ping()
            except Exception as exc:
                raise DisconnectionError("a pooled connection did not answer") from exc

    return check


def is_database_unavailable(error: DBAPIError) -> bool:
    """The database dropped the connection or refused a new one (a restart, a failover,
    its connection limit): a temporary condition, not a bug."""
    if error.connection_invalidated:
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover (asyncpg is a dependency)
        return False
    refused = (
        asyncpg.exceptions.TooManyConnectionsError,
        asyncpg.exceptions.CannotConnectNowError,
        ConnectionRefusedError,
    )
    cause = getattr(error.orig, "__cause__", None)
    return isinstance(error.orig, refused) or isinstance(cause, refused)


def _asyncpg_lost_connection(context: Any) -> None:
    """Count every way asyncpg reports a connection the server dropped (a restart, an
    administrator's terminate) as a disconnect, so the pool throws it away instead of
    handing it out again. A pooled connection that received the server's shutdown
    notice while idle says "another operation is in progress", which SQLAlchemy does
    not recognise by itself."""
    import asyncpg

    lost = (
        asyncpg.exceptions.AdminShutdownError,
        asyncpg.exceptions.CrashShutdownError,
        asyncpg.exceptions.CannotConnectNowError,
        asyncpg.exceptions.ConnectionDoesNotExistError,
        asyncpg.exceptions.PostgresConnectionError,
        asyncpg.exceptions.InterfaceError,
        asyncpg.exceptions.InternalClientError,
        ConnectionError,
    )
    error = context.original_exception
    cause = getattr(error, "__cause__", None)
    if isinstance(error, lost) or isinstance(cause, lost):
        context.is_disconnect = True


def create_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine of ``request_connection``: the same pool, in autocommit on PostgreSQL
    (see ``create_read_sessionmaker``)."""
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")
