"""Which methods each path answers: the ``Allow`` header of a 405 and the answer to
``OPTIONS``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.routing import BaseRoute, Route, compile_path


class PathMethods:
    """Every method each path of the application answers, whichever route serves it.

    The router answers a request whose method no route of its path takes with the 405 of
    the first route that matched the path, whose ``Allow`` lists that route's methods
    only (``OPTIONS /courses`` would say ``GET`` though ``POST`` exists). The error
    handler asks this table instead, so ``Allow`` lists every method of the path
    (RFC 9110, section 15.5.6), and ``OPTIONS`` on any path is answered with them."""

    def __init__(self, routes: Iterable[tuple[str, Iterable[str]]]) -> None:
        methods: dict[str, set[str]] = {}
        for path, route_methods in routes:
            methods.setdefault(path, set()).update(route_methods)
        self._paths = [
            (compile_path(path)[0], frozenset(found | {"OPTIONS"}))
            for path, found in methods.items()
        ]

    def allowed(self, path: str) -> frozenset[str]:
        """The methods ``path`` answers (empty when no route has it)."""
        found: set[str] = set()
        for pattern, methods in self._paths:
            if pattern.match(path):
                found |= methods
        return frozenset(found)


def route_methods(
    routes: Iterable[BaseRoute], *, prefix: str = ""
) -> list[tuple[str, Iterable[str]]]:
    """Each route's path (under ``prefix``) and methods, for ``PathMethods``."""
    return [
        (prefix + route.path, route.methods or ()) for route in routes if isinstance(route, Route)
    ]


def allow_header(methods: Iterable[str]) -> str:
    return ", ".join(sorted(methods))


def route_path(scope: Mapping[str, Any]) -> str:
    """The request's path as the routes see it (without the application's root path)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
