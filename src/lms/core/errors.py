"""Errors as classes, rendered as RFC 9457 problem details by one set of handlers."""

from __future__ import annotations

import logging
from typing import Any, Self

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolWaitTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from lms.core.engine import is_database_unavailable
from lms.core.methods import PathMethods, allow_header, route_path
from lms.core.problem_codes import problem_type

log = logging.getLogger("lms.errors")

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class AppError(Exception):
    status = 400
    code = "bad_request"
    detail = "The request could not be processed."
    # Commit what the request wrote before the refusal is sent (see ``keeping_changes``).
    keep_changes = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.detail
        self.code = code or self.code
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)

    def keeping_changes(self) -> Self:
        """Refuse the request, but commit what it recorded first: ``raise
        WrongCode().keeping_changes()`` after counting a failed try. The route class
        honours it (``lms.core.routing``); without it a refused request's changes roll
        back."""
        self.keep_changes = True
        return self


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status = 401
    code = "not_authenticated"
    detail = "Authentication is required."

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    detail = "You are not allowed to do this."


class NotFound(AppError):
    status = 404
    code = "not_found"
    detail = "The resource was not found."


class Conflict(AppError):
    status = 409
    code = "conflict"
    detail = "The request conflicts with the current state."


class RuleViolation(AppError):
    status = 422
    code = "rule_violation"
    detail = "The request breaks a business rule."


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    detail = "The request body is too large."


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    detail = "The content type is not supported."


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"
    detail = "Too many requests; retry later."

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    detail = "A service this request needs is not available."


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="Where: `body`, `query`, `path` or `header`, then the field"
    )
    msg: str


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow", title="ProblemDetails")

    type: str = Field(
        default="urn:lms:problem:bad_request",
        description="`urn:lms:problem:` and the code: names the kind of problem",
    )
    title: str = Field(description="The HTTP status's name")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong, for a person")
    code: str = Field(description="What went wrong, for a program (e.g. `not_found`)")
    errors: list[FieldError] | None = Field(
        default=None, description="Every invalid field (validation errors only)"
    )


_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
_PROBLEM_DESCRIPTIONS = {
    400: "The request could not be processed",
    401: "Not signed in, or the token is invalid, expired or revoked",
    402: "Payment required",
    403: "Signed in, but not allowed to do this",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    412: "`If-Match` names an older version of the resource",
    413: "The request body is too large",
    415: "The content type is not supported",
    416: "The requested byte range is outside the file",
    422: "Invalid input, or a business rule refused it",
    429: "Too many requests; `Retry-After` says when to retry",
    502: "An upstream provider refused the request",
    503: "A service this request needs is down; retry shortly",
}
_PROBLEM_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
}
# Every router documents these: the refusals any operation may answer with.
DEFAULT_PROBLEM_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429, 503)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for problem-details errors, for ``APIRouter(responses=…)``
    or a route's ``responses=``. Without arguments: ``DEFAULT_PROBLEM_STATUSES``."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses or DEFAULT_PROBLEM_STATUSES:
        response: dict[str, Any] = {
            "description": _PROBLEM_DESCRIPTIONS.get(status, _TITLES.get(status, "Error")),
            "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}},
        }
        if status in _PROBLEM_HEADERS:
            response["headers"] = _PROBLEM_HEADERS[status]
        documented[status] = response
    return documented


def _problem_component_schemas() -> dict[str, Any]:
    schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = schema.pop("$defs", {})
    return {**nested, "ProblemDetails": schema}


def document_problem_details(app: FastAPI) -> None:
    """Add the ``ProblemDetails`` schema that ``problem_responses`` refers to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(_problem_component_schemas())
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _location(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem(exc.status, exc.detail, code=exc.code, headers=exc.headers, **exc.extra)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": _location(err.get("loc", ())), "msg": str(err.get("msg", "invalid"))}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
    where = ".".join(str(p) for p in first["loc"])
    return problem(
        422,
        f"Invalid input at {where}: {first['msg']}" if where else str(first["msg"]),
        code="validation_error",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        table: PathMethods | None = getattr(request.app.state, "path_methods", None)
        allowed = table.allowed(route_path(request.scope)) if table is not None else None
        if allowed:
            headers["Allow"] = allow_header(allowed)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
    codes = {
        400: "bad_request",
        401: "not_authenticated",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
    }
    return problem(
        exc.status_code,
        str(exc.detail) if exc.detail else _TITLES.get(exc.status_code, "Error"),
        code=codes.get(exc.status_code, "http_error"),
        headers=headers,
    )


async def _store_error(_request: Request, exc: Exception) -> JSONResponse:
    # Redis is down where no fallback is safe (revoking a token, counting second-factor
    # tries): refuse, and say it is temporary. Cache and rate limits never get here.
    log.warning("store unavailable", extra={"error": type(exc).__name__})
    return problem(
        503,
        "A service this request needs is not available; retry shortly.",
        code="store_unavailable",
        headers={"Retry-After": "5"},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if is_database_unavailable(exc):
        # The database dropped the connection (a restart, a failover; the pool has
        # discarded it) or refused a new one (its connection limit). Temporary: say so.
        log.warning("database unavailable", extra={"error": type(exc.orig).__name__})
        return problem(
            503,
            "The database is not available right now; retry shortly.",
            code="database_unavailable",
            headers={"Retry-After": "1"},
        )
    return await _unhandled(request, exc)


async def _pool_wait_error(_request: Request, exc: Exception) -> JSONResponse:
    # Every pooled database connection stayed busy for LMS_DATABASE_POOL_WAIT_SECONDS:
    # overloaded, not broken. Say when to come back.
    log.warning("database pool wait exceeded", extra={"error": type(exc).__name__})
    return problem(
        503,
        "The service is busy right now; retry shortly.",
        code="database_busy",
        headers={"Retry-After": "1"},
    )


async def _connection_error(_request: Request, exc: Exception) -> JSONResponse:
    # A backing service refused or dropped the connection outright (e.g. PostgreSQL
    # restarting): temporary, not a bug.
    log.warning("service connection failed", extra={"error": type(exc).__name__})
    return problem(
        503,
        "A service this request needs is not available; retry shortly.",
        code="service_unavailable",
        headers={"Retry-After": "5"},
    )


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error turned into 409", extra={"error": type(exc).__name__})
    return problem(
        409,
        "The change conflicts with existing data (a duplicate or a missing reference).",
        code="conflict",
    )


async def _unhandled(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "An unexpected error occurred.", code="internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolWaitTimeout, _pool_wait_error)
    app.add_exception_handler(ConnectionError, _connection_error)
    app.add_exception_handler(RedisError, _store_error)
    app.add_exception_handler(Exception, _unhandled)
    document_problem_details(app)
