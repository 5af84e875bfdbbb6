"""The route class every module's router uses: one transaction per request, committed
after the handler returns and before the response is sent, rolled back on any error,
except an error raised with ``keeping_changes()`` (record this, then refuse), which is
committed first. Also the request's session and connection dependencies, and the
``read_only`` marker for endpoints that only read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from lms.core import idempotency
from lms.core.conditional import etag_of, none_match
from lms.core.errors import AppError
from lms.core.openapi import operation_openapi
from lms.core.pagination import CursorPage, Page, link_header
from lms.core.ratelimit import STATE_KEY as RATE_LIMIT_STATE
from lms.core.ratelimit import Budget
from lms.core.session import TransactionNeeded, commit, discard

API_PREFIX = "/api/v1"
_READ_ONLY_ATTRIBUTE = "__lms_read_only__"
_SINGLE_STATEMENTS_ATTRIBUTE = "__lms_single_statements__"
# Request state: the endpoint asked for a transaction (``TransactionNeeded``) and runs again.
_RETRYING_IN_TRANSACTION = "lms.in_transaction_retry"
_CREATES_ATTRIBUTE = "__lms_creates__"
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])
# Answers that carry the entity tag of their body: a read, a changed resource, a
# created one. (Not the answer to a PUT: the only ones save a quiz attempt's answers,
# whose representation no one reads back conditionally.)
_TAGGED = {("GET", 200), ("HEAD", 200), ("PATCH", 200), ("POST", 201)}
# A read model's id is its first field: the created resource's id, where a 201 starts.
_LEADING_ID = re.compile(rb'^\{"id":"([0-9a-f-]{36})"')
# The end of a ``Page`` answer (its fields in declaration order).
_PAGE_TAIL = re.compile(rb'"total":(\d+),"page":(\d+),"page_size":(\d+)\}\Z')


def creates(location: str) -> Callable[[EndpointT], EndpointT]:
    """Mark a route whose 201 answer names the created resource in ``Location``:
    ``location`` is its path under the API prefix, ``{id}`` standing for the id the
    answer starts with and ``{name}`` for the request's path parameters
    (``@creates("/quizzes/{quiz_id}/questions/{id}")``). Put it below the route
    decorator."""

    def mark(endpoint: EndpointT) -> EndpointT:
        setattr(endpoint, _CREATES_ATTRIBUTE, API_PREFIX + location)
        return endpoint

    return mark


def read_only(endpoint: EndpointT) -> EndpointT:
    """Mark an endpoint that only reads: its session runs without a transaction (see
    ``create_read_sessionmaker``), so its statements may see different snapshots. Only
    for endpoints whose answer a single statement makes consistent, or where that does
    not matter, and which never write. Put it below the route decorator."""
    setattr(endpoint, _READ_ONLY_ATTRIBUTE, True)
    return endpoint


def single_statements(endpoint: EndpointT) -> EndpointT:
    """Mark an endpoint whose usual work is reads and at most one write that checks its
    own conditions (a version, ``ON CONFLICT``): its session commits each statement on
    its own (PostgreSQL; see ``create_autocommit_sessionmaker``), which saves the
    ``BEGIN`` and ``COMMIT`` round trips. When its use case needs more (several writes
    that must succeed together) it calls ``require_transaction`` before writing, and the
    route runs the endpoint again in a transaction. Dependencies must tolerate that
    second run (the caller is resolved once per request; rate limits count once). Put
    it below the route decorator."""
    setattr(endpoint, _SINGLE_STATEMENTS_ATTRIBUTE, True)
    return endpoint


def retrying_in_transaction(request: Request) -> bool:
    """Whether this is the second run of a ``single_statements`` endpoint, in a
    transaction: what the first run counted (a rate limit) is not counted again."""
    return bool(request.scope.get("state", {}).get(_RETRYING_IN_TRANSACTION))


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
    elif route.single_statements and not retrying_in_transaction(request):
        session = state.autocommit_sessionmaker()
    else:
        session = state.sessionmaker()
    request.state.db_session = session
    return session


def _depends_on(dependant: Any, call: Callable[..., Any]) -> bool:
    return any(
        dependency.call is call or _depends_on(dependency, call)
        for dependency in dependant.dependencies
    )


class TransactionalRoute(APIRoute):
    """Commits the request's session after the handler and before the response is sent,
    so a client never receives a 2xx for a change that failed to commit; rolls it back
    on an error response or an exception, and closes it (and the request's connection)
    in every case."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.read_only: bool = getattr(endpoint, _READ_ONLY_ATTRIBUTE, False)
        self.single_statements: bool = getattr(endpoint, _SINGLE_STATEMENTS_ATTRIBUTE, False)
        self.idempotency = idempotency.policy_of(endpoint)
        self.location: str | None = getattr(endpoint, _CREATES_ATTRIBUTE, None)
        super().__init__(path, endpoint, **kwargs)
        model = self.response_model
        self.paged = isinstance(model, type) and issubclass(model, (Page, CursorPage))
        self.uses_connection = _depends_on(self.dependant, request_connection)
        documented = operation_openapi(self.dependant)
        if self.idempotency is not None:
            documented.setdefault("parameters", []).append(idempotency.IDEMPOTENCY_OPENAPI)
        if documented:
            self.openapi_extra = {**documented, **(self.openapi_extra or {})}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        run_in_transaction = self._transactional_handler()
        policy = self.idempotency

        async def run(request: Request) -> Response:
            if policy is not None:
                key = idempotency.request_key(request)
                if key is not None:
                    try:
                        response = await idempotency.run_once(
                            request, key, run_in_transaction, policy
                        )
                    finally:
                        # Answered from the key alone (a replay, a reused key, one in
                        # progress), the route never ran: the session that looked up
                        # the caller is still open.
                        await _close_request_session(request)
                    return self._conventions(request, response)
            return self._conventions(request, await run_in_transaction(request))

        return run

    def _conventions(self, request: Request, response: Response) -> Response:
        """The headers HTTP's conventions ask of an answer: its entity tag (and 304 to a
        read that already has it), ``Location`` of a 201, ``Link`` of a page, the rate
        limit's budget."""
        status = response.status_code
        raw = response.headers.raw
        budget: Budget | None = request.scope.get("state", {}).get(RATE_LIMIT_STATE)
        if budget is not None:
            raw.extend(budget.headers())
        body = getattr(response, "body", None)
        if not isinstance(body, bytes) or not body:
            return response
        if status == 201 and self.location is not None and "location" not in response.headers:
            found = _LEADING_ID.match(body)
            if found is not None or "{id}" not in self.location:
                location = self.location.format_map(
                    {**request.path_params, "id": found.group(1).decode() if found else ""}
                )
                raw.append((b"location", (request.scope.get("root_path", "") + location).encode()))
        if self.paged and status == 200 and "link" not in response.headers:
            tail = _PAGE_TAIL.search(body, max(0, len(body) - 80))
            if tail is not None:
                total, page, size = (int(part) for part in tail.groups())
                link = link_header(
                    request.scope["path"],
                    request.scope["query_string"].decode("latin-1"),
                    total=total,
                    page=page,
                    size=size,
                )
                raw.append((b"link", link))
        method = request.method
        if (method, status) in _TAGGED and "etag" not in response.headers:
            etag = etag_of(body)
            raw.append((b"etag", etag.encode()))
            if method in ("GET", "HEAD"):
                condition = request.headers.get("if-none-match")
                if condition is not None and none_match(condition, etag):
                    kept = [
                        (name, value)
                        for name, value in raw
                        if name in (b"etag", b"link", b"ratelimit", b"ratelimit-policy")
                    ]
                    not_modified = Response(status_code=304)
                    not_modified.headers.raw.extend(kept)
                    return not_modified
        return response

    def _transactional_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run_in_transaction(request: Request) -> Response:
            state = request.scope.setdefault("state", {})
            try:
                try:
                    try:
                        response = await handler(request)
                    except TransactionNeeded:
                        # Nothing was written: run the endpoint again, in a transaction.
                        first = state.pop("db_session", None)
                        if first is not None:
                            await discard(first)
                        state[_RETRYING_IN_TRANSACTION] = True
                        response = await handler(request)
                except AppError as error:
                    session = state.get("db_session")
                    if session is not None:
                        await _end_refused(session, keep_changes=error.keep_changes)
                    raise
                except BaseException:
                    session = state.get("db_session")
                    if session is not None:
                        await discard(session)
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
                state.pop("db_session", None)
                connection = state.pop("db_connection", None)
                if connection is not None:
                    await connection.close()

        return run_in_transaction


async def _close_request_session(request: Request) -> None:
    """Roll back and close the request's session and connection if they are still
    open (``run_in_transaction`` takes them out of the request's state as it ends)."""
    state = request.scope.get("state", {})
    session = state.pop("db_session", None)
    connection = state.pop("db_connection", None)
    try:
        if session is not None:
            await discard(session)
    finally:
        if connection is not None:
            await connection.close()


async def _end_refused(session: AsyncSession, *, keep_changes: bool) -> None:
    """End the transaction of a request refused with an ``AppError``: rolled back, or
    committed when the error asked to keep what the request recorded (a failed login
    counted, an expired attempt closed)."""
    if not keep_changes:
        await discard(session)
        return
    try:
        await commit(session)
    finally:
        await session.close()
