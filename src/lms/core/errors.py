"""Errors as classes, rendered as RFC 9457 problem details by one set of handlers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("lms.errors")

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class AppError(Exception):
    status = 400
    code = "bad_request"
    detail = "The request could not be processed."

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
        "type": "about:blank",
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


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {
        401: "not_authenticated",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
    }
    return problem(
        exc.status_code,
        str(exc.detail) if exc.detail else _TITLES.get(exc.status_code, "Error"),
        code=codes.get(exc.status_code, "http_error"),
        headers=dict(exc.headers or {}),
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
    app.add_exception_handler(Exception, _unhandled)
