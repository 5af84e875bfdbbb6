"""What a dependency adds to the OpenAPI operation of every route that uses it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])

_OPERATION_OPENAPI = "__lms_operation_openapi__"


def documents_operation(dependency: EndpointT, extra: dict[str, Any]) -> EndpointT:
    """Mark a dependency whose routes add ``extra`` to their OpenAPI operation: what a
    dependency FastAPI documents by itself (a security scheme) would have added, for one
    that does the same work without being one."""
    setattr(dependency, _OPERATION_OPENAPI, extra)
    return dependency


def operation_openapi(dependant: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for dependency in dependant.dependencies:
        extra.update(operation_openapi(dependency))
        extra.update(getattr(dependency.call, _OPERATION_OPENAPI, {}))
    return extra
