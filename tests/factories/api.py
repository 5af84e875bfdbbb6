"""Calling the API as someone: the ``Caller`` every factory takes, and ``ok``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx


class Caller(Protocol):
    """Anyone who sends requests with headers of their own (an ``Account``, say)."""

    @property
    def headers(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class Headers:
    """A caller known only by its headers, such as a token minted for one request."""

    headers: dict[str, str]


def ok(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """The JSON body of ``response`` (``{}`` if empty), after checking that its status is
    one of ``statuses`` (200 or 201 when none is given)."""
    assert response.status_code in (statuses or (200, 201)), (
        f"{response.request.method} {response.request.url}: "
        f"{response.status_code} {response.text[:500]}"
    )
    body: dict[str, Any] = response.json() if response.content else {}
    return body
