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
from lms.core.i18n import N_, SOURCE_LOCALE, gettext, has_translation, request_locale
from lms.core.methods import PathMethods, allow_header, route_path
from lms.core.problem_codes import problem_codes, problem_type

log = logging.getLogger("lms.errors")

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    402: N_("Payment Required"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    412: N_("Precondition Failed"),
    413: N_("Content Too Large"),
    415: N_("Unsupported Media Type"),
    416: N_("Range Not Satisfiable"),
    422: N_("Unprocessable Content"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    502: N_("Bad Gateway"),
    503: N_("Service Unavailable"),
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
    title: str = Field(
        description="The HTTP status's name, in the response's language (Content-Language)"
    )
    status: int = Field(description="The HTTP status code")
    detail: str = Field(
        description="What went wrong, for a person, in the response's language (Content-Language)"
    )
    code: str = Field(
        description="What went wrong, for a program (e.g. `not_found`); never translated"
    )
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


def problem_detail(locale: str, detail: str, code: str) -> str:
    """``detail`` in ``locale``. A detail the catalogue lacks (one built from the request,
    e.g. with a number in it) is replaced by its code's meaning in that language, so an
    Arabic reader never gets English; in the source language it stays as written."""
    if has_translation(locale, detail):
        return gettext(locale, detail)
    if locale != SOURCE_LOCALE:
        meaning = problem_codes().get(code)
        if meaning and has_translation(locale, meaning):
            return gettext(locale, meaning)
    return detail


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    locale: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem-details response. With ``locale``, ``title`` and ``detail`` are
    translated (``code`` never is)."""
    title = title or _TITLES.get(status, "Error")
    if locale is not None:
        title = gettext(locale, title)
        detail = problem_detail(locale, detail, code)
        # The body depends on the header (for a caller without an account locale): a
        # shared cache keeps one copy per language.
        headers = {**(headers or {}), "Vary": "Accept-Language"}
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _location(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem(
        exc.status,
        exc.detail,
        code=exc.code,
        headers=exc.headers,
        locale=request_locale(request.scope),
        **exc.extra,
    )


_INVALID_AT = N_("Invalid input at {where}: {message}")
_INVALID = N_("Invalid input: {message}")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": _location(err.get("loc", ())), "msg": str(err.get("msg", "invalid"))}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
    where = ".".join(str(p) for p in first["loc"])
    # The sentence is translated; Pydantic's per-field messages (``msg``, also quoted in
    # ``detail``) stay in English as Pydantic writes them.
    locale = request_locale(request.scope)
    template = gettext(locale, _INVALID_AT if where else _INVALID)
    return problem(
        422,
        template.format(where=where, message=first["msg"]),
        code="validation_error",
        title=gettext(locale, _TITLES[422]),
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
        locale=request_locale(request.scope),
    )


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    # Redis is down where no fallback is safe (revoking a token, counting second-factor
    # tries): refuse, and say it is temporary. Cache and rate limits never get here.
    log.warning("store unavailable", extra={"error": type(exc).__name__})
    return problem(
        503,
        "A service this request needs is not available; retry shortly.",
        code="store_unavailable",
        headers={"Retry-After": "5"},
        locale=request_locale(request.scope),
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
            locale=request_locale(request.scope),
        )
    return await _unhandled(request, exc)


async def _pool_wait_error(request: Request, exc: Exception) -> JSONResponse:
    # Every pooled database connection stayed busy for LMS_DATABASE_POOL_WAIT_SECONDS:
    # overloaded, not broken. Say when to come back.
    log.warning("database pool wait exceeded", extra={"error": type(exc).__name__})
    return problem(
        503,
        "The service is busy right now; retry shortly.",
        code="database_busy",
        headers={"Retry-After": "1"},
        locale=request_locale(request.scope),
    )


async def _connection_error(request: Request, exc: Exception) -> JSONResponse:
    # A backing service refused or dropped the connection outright (e.g. PostgreSQL
    # restarting): temporary, not a bug.
    log.warning("service connection failed", extra={"error": type(exc).__name__})
    return problem(
        503,
        "A service this request needs is not available; retry shortly.",
        code="service_unavailable",
        headers={"Retry-After": "5"},
        locale=request_locale(request.scope),
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error turned into 409", extra={"error": type(exc).__name__})
    return problem(
        409,
        "The change conflicts with existing data (a duplicate or a missing reference).",
        code="conflict",
        locale=request_locale(request.scope),
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(
        500,
        "An unexpected error occurred.",
        code="internal_error",
        locale=request_locale(request.scope),
    )


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
