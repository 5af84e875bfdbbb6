"""Reading the audit log in tests: through the API as an admin."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.api import Caller, ok


async def audit_entries(
    client: httpx.AsyncClient, admin: Caller, **params: Any
) -> list[dict[str, Any]]:
    """Every entry the admin's view lists under ``params``, newest first."""
    body = ok(
        await client.get("/admin/audit", headers=admin.headers, params={"page_size": 100, **params})
    )
    items: list[dict[str, Any]] = body["items"]
    return items


async def actions(client: httpx.AsyncClient, admin: Caller, **params: Any) -> list[str]:
    """The actions of those entries, oldest first."""
    return [entry["action"] for entry in reversed(await audit_entries(client, admin, **params))]
