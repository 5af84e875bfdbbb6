"""Certificates: generating one on demand and listing a student's."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.api import Caller, ok


async def generate_certificate(
    client: httpx.AsyncClient, student: Caller, enrollment_id: str
) -> dict[str, Any]:
    """The certificate of a completed enrollment, generated now at its student's request."""
    response = await client.post(
        "/certificates/generate", headers=student.headers, json={"enrollment_id": enrollment_id}
    )
    return ok(response, 201)


async def my_certificates(client: httpx.AsyncClient, student: Caller) -> list[dict[str, Any]]:
    """The first page of ``student``'s certificates."""
    page = ok(await client.get("/certificates/my-certificates", headers=student.headers), 200)
    items: list[dict[str, Any]] = page["items"]
    return items
