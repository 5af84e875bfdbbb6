"""Structured JSON logs, request ids, security headers and the request body limit.

Written as plain ASGI middleware: they run on every request, so they stay cheap."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lms.core.actor import RequestActor, begin_request, end_request
from lms.core.errors import PROBLEM_JSON, problem, problem_detail
from lms.core.i18n import gettext, request_locale
from lms.core.problem_codes import problem_type
from lms.core.tracing import current_trace_ids

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class JsonFormatter(logging.Formatter):
    def __init__(self, *, trace_ids: bool = False) -> None:
        super().__init__()
        self.trace_ids = trace_ids

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        if self.trace_ids:
            ids = current_trace_ids()
            if ids is not None:
                entry["trace_id"], entry["span_id"] = ids
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, json_logs: bool, *, trace_ids: bool = False) -> None:
    """Logs of the ``lms`` loggers to stderr; with ``trace_ids`` (LMS_OPENTELEMETRY)
    every line carries the current OpenTelemetry trace and span ids."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter(trace_ids=trace_ids))
    else:
        text = "%(asctime)s %(levelname)s %(name)s %(message)s"
        handler.setFormatter(TraceIdFormatter(text) if trace_ids else logging.Formatter(text))
    root = logging.getLogger("lms")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


class TraceIdFormatter(logging.Formatter):
    """The plain-text format, ended with ``trace_id=…`` inside a recorded span."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = current_trace_ids()
        return f"{line} trace_id={ids[0]}" if ids is not None else line


# Called before the answer to a request made with an "act as" token leaves: the acting
# parties, the method, the route's path template (the path when no route matched) and
# the status. If it raises, the client gets a 500 instead of the answer.
ActingRequestRecorder = Callable[[RequestActor, str, str, int], Awaitable[None]]


class RequestContextMiddleware:
    """Assigns each request an id (or keeps a well-formed incoming ``X-Request-ID``),
    returns it in the response, logs one line per request and adds security headers.
    Opens the request's actor context (``lms.core.actor``); an answer to a request made
    with an "act as" token is recorded by ``on_acting_request`` before it is sent."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        docs_paths: tuple[str, ...] = (),
        on_acting_request: ActingRequestRecorder | None = None,
    ) -> None:
        self.app = app
        self.docs_paths = docs_paths
        self.on_acting_request = on_acting_request
        self.log = logging.getLogger("lms.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = accept_language = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"accept-language":
                accept_language = value.decode("latin-1")
        request_id = (
            incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        token = request_id_var.set(request_id)
        client = scope.get("client")
        actor_token = begin_request(request_id, client[0] if client else None)
        actor = actor_token.var.get()
        started = time.perf_counter()
        status_holder = {"status": 500, "started": 0, "recorded": 0}
        path: str = scope["path"]
        is_docs = path in self.docs_paths
        is_tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                if (
                    actor is not None
                    and actor.acting_for_id is not None
                    and self.on_acting_request is not None
                    and not status_holder["recorded"]
                ):
                    status_holder["recorded"] = 1
                    await self.on_acting_request(
                        actor, scope["method"], _route_template(scope), message["status"]
                    )
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"x-frame-options", b"DENY"))
                headers.append((b"referrer-policy", b"no-referrer"))
                # Problem details, emails and certificates speak it; read when the
                # response starts, after the principal (and its locale) is known.
                headers.append(
                    (b"content-language", request_locale(scope, accept_language or "").encode())
                )
                if is_tls:
                    headers.append(
                        (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
                    )
                if is_docs:
                    headers.append(
                        (
                            b"content-security-policy",
                            b"default-src 'none'; script-src 'self' https://cdn.jsdelivr.net "
                            b"'unsafe-inline'; style-src 'self' https://cdn.jsdelivr.net "
                            b"'unsafe-inline'; img-src 'self' data: https://fastapi.tiangolo.com; "
                            b"connect-src 'self'; frame-ancestors 'none'",
                        )
                    )
                else:
                    headers.append(
                        (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
                    )
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Answered here rather than by Starlette's outermost error middleware, so that
            # a 500 carries the request id and the security headers like every response.
            if status_holder["started"]:
                raise
            logging.getLogger("lms.errors").exception("unhandled error", exc_info=exc)
            response = problem(
                500,
                "An unexpected error occurred.",
                code="internal_error",
                locale=request_locale(scope, accept_language or ""),
            )
            await response(scope, receive, send_with_headers)
        finally:
            self.log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status_holder["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)
            end_request(actor_token)


def _route_template(scope: Scope) -> str:
    """The matched route's path template under the prefixes of the routers that hold it
    (``/api/v1/courses/{course_id}``); the request's path when no route matched. A
    router included under a prefix matches the rest of the path, so the prefix is the
    request path's leading segments, as many as the template does not have."""
    path: str = scope["path"]
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str) or not template:
        return path
    parts = path.split("/")
    return "/".join(parts[: max(1, len(parts) - template.count("/"))]) + template


class BodySizeLimitMiddleware:
    """Refuses request bodies over the limit with 413, while they stream in.
    Upload routes (``exempt_prefixes``, or paths ending with ``exempt_suffixes``) enforce
    their own, larger limit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        exempt_prefixes: tuple[str, ...] = (),
        exempt_suffixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes
        self.exempt_suffixes = exempt_suffixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(self.exempt_prefixes)
            or scope["path"].endswith(self.exempt_suffixes)
        ):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await _send_413(scope, send, self.max_bytes)
                    return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _send_413(scope, send, self.max_bytes)


class _BodyTooLarge(StarletteHTTPException):
    """An HTTPException so that FastAPI's body parsing passes it through as a 413."""

    def __init__(self) -> None:
        super().__init__(413, "The request body is too large.")


async def _send_413(scope: Scope, send: Send, max_bytes: int) -> None:
    locale = request_locale(scope)
    body = json.dumps(
        {
            "type": problem_type("payload_too_large"),
            "title": gettext(locale, "Content Too Large"),
            "status": 413,
            "detail": problem_detail(
                locale, f"The request body exceeds {max_bytes} bytes.", "payload_too_large"
            ),
            "code": "payload_too_large",
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
