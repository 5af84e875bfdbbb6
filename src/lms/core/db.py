"""Engine, session factory, declarative base and the column types every module shares.

One transaction per request: the session dependency opens it, the ``TransactionalRoute``
commits it after the handler returns and before the response leaves, and any exception
rolls it back. Services only ``flush()``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, event, make_url
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from lms.core.config import Settings
from lms.core.pool import FairAsyncQueuePool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


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


# ``session.info`` key of the application's store, for work that must reach the store
# within a commit (see lms.modules.users.service: cached principals).
STORE_INFO_KEY = "lms.store"


def create_sessionmaker(
    engine: AsyncEngine, *, store: Any | None = None
) -> async_sessionmaker[AsyncSession]:
    info = {STORE_INFO_KEY: store} if store is not None else None
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)


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


@event.listens_for(Session, "before_flush")
def _refuse_writes_when_read_only(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY_INFO_KEY) and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a read_only endpoint tried to write; remove @read_only from it")


_READ_ONLY_ATTRIBUTE = "__lms_read_only__"
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])


def read_only(endpoint: EndpointT) -> EndpointT:
    """Mark an endpoint that only reads: its session runs without a transaction (see
    ``create_read_sessionmaker``), so its statements may see different snapshots. Only
    for endpoints whose answer a single statement makes consistent, or where that does
    not matter, and which never write. Put it below the route decorator."""
    setattr(endpoint, _READ_ONLY_ATTRIBUTE, True)
    return endpoint


# What a repository function needs to run Core statements (selects of columns, DML on
# tables): the request's session, or the plain connection of a read-only endpoint.
Executor = AsyncSession | AsyncConnection


def create_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine of ``request_connection``: the same pool, in autocommit on PostgreSQL
    (see ``create_read_sessionmaker``)."""
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def request_connection(request: Request) -> AsyncConnection:
    """A plain connection (no ORM session, no transaction on PostgreSQL) for a
    ``read_only`` endpoint whose statements select columns: the cheapest way to the
    database SQLAlchemy has. The request's session, if it needs one (to load the
    caller's account), runs on the same connection: a request never holds one pooled
    connection while it waits for another. ``TransactionalRoute`` closes it."""
    state = request.scope.setdefault("state", {})
    connection: AsyncConnection | None = state.get("db_connection")
    if connection is None:
        route = request.scope.get("route")
        if not (isinstance(route, TransactionalRoute) and route.read_only):
            raise RuntimeError("the request connection is only for read_only endpoints")
        engine: AsyncEngine = request.app.state.read_engine
        connection = await engine.connect()
        state["db_connection"] = connection
    return connection


async def request_session(request: Request) -> AsyncSession:
    """The request's session (one per request, opened by the first to ask).
    ``TransactionalRoute`` commits it before the response leaves (or rolls it back) and
    closes it; a route of another class may not use it."""
    known: AsyncSession | None = request.scope.get("state", {}).get("db_session")
    if known is not None:
        return known
    route = request.scope.get("route")
    if not isinstance(route, TransactionalRoute):
        raise RuntimeError("the request session is only for routes of TransactionalRoute")
    state = request.app.state
    if route.uses_connection:
        session = state.read_sessionmaker(bind=await request_connection(request))
    elif route.read_only:
        session = state.read_sessionmaker()
    else:
        session = state.sessionmaker()
    request.state.db_session = session
    return session


def _depends_on(dependant: Any, call: Callable[..., Any]) -> bool:
    return any(
        dependency.call is call or _depends_on(dependency, call)
        for dependency in dependant.dependencies
    )


_OPERATION_OPENAPI = "__lms_operation_openapi__"


def documents_operation(dependency: EndpointT, extra: dict[str, Any]) -> EndpointT:
    """Mark a dependency whose routes add ``extra`` to their OpenAPI operation: what a
    dependency FastAPI documents by itself (a security scheme) would have added, for one
    that does the same work without being one."""
    setattr(dependency, _OPERATION_OPENAPI, extra)
    return dependency


def _operation_openapi(dependant: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for dependency in dependant.dependencies:
        extra.update(_operation_openapi(dependency))
        extra.update(getattr(dependency.call, _OPERATION_OPENAPI, {}))
    return extra


class TransactionalRoute(APIRoute):
    """Commits the request's session after the handler and before the response is sent,
    so a client never receives a 2xx for a change that failed to commit; rolls it back
    on an error response or an exception, and closes it (and the request's connection)
    in every case."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.read_only: bool = getattr(endpoint, _READ_ONLY_ATTRIBUTE, False)
        super().__init__(path, endpoint, **kwargs)
        self.uses_connection = _depends_on(self.dependant, request_connection)
        documented = _operation_openapi(self.dependant)
        if documented:
            self.openapi_extra = {**documented, **(self.openapi_extra or {})}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run_in_transaction(request: Request) -> Response:
            state = request.scope.setdefault("state", {})
            try:
                try:
                    response = await handler(request)
                except BaseException:
                    session = state.get("db_session")
                    if session is not None:
                        await _discard(session)
                    raise
                session = state.get("db_session")
                if session is not None:
                    try:
                        if not (session.in_transaction() or session.info.get("after_commit")):
                            pass  # never used (the principal came from the store, say)
                        elif response.status_code < 400:
                            await commit(session)
                        else:
                            await session.rollback()
                            session.info.pop("after_commit", None)
                    finally:
                        await session.close()
                return response
            finally:
                connection = state.get("db_connection")
                if connection is not None:
                    await connection.close()

        return run_in_transaction


async def _discard(session: AsyncSession) -> None:
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
