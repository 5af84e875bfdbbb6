"""The account's access state is read from the store with the token denylist (no SQL
for it on most requests), yet every change locks the account out at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.users.models import User
from tests.factories.accounts import Account
from tests.performance.counting import counting_statements


def _reads_users(statements: Any) -> bool:
    return any("FROM users" in statement for statement in statements.executed)


async def test_a_known_caller_costs_no_query_for_their_account(
    app: Any, client: httpx.AsyncClient, student: Account
) -> None:
    assert (await client.get("/enrollments/my-courses", headers=student.headers)).status_code == 200
    with counting_statements(app) as statements:
        answer = await client.get("/enrollments/my-courses", headers=student.headers)
    assert answer.status_code == 200
    assert not _reads_users(statements), statements


async def test_deactivation_locks_out_at_once_and_reactivation_needs_a_new_login(
    client: httpx.AsyncClient, student: Account, admin: Account
) -> None:
    assert (await client.get("/users/me", headers=student.headers)).status_code == 200
    off = await client.patch(
        f"/users/{student.id}", headers=admin.headers, json={"is_active": False}
    )
    assert off.status_code == 200
    refused = await client.get("/users/me", headers=student.headers)
    assert refused.status_code == 401
    login = {"email": student.email, "password": student.password}
    assert (await client.post("/auth/login", json=login)).status_code == 401

    on = await client.patch(f"/users/{student.id}", headers=admin.headers, json={"is_active": True})
    assert on.status_code == 200
    assert (await client.get("/users/me", headers=student.headers)).status_code == 401
    fresh = (await client.post("/auth/login", json=login)).json()["access_token"]
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.status_code == 200


async def test_role_and_password_changes_end_cached_sessions(
    client: httpx.AsyncClient, make_account: Any, admin: Account
) -> None:
    promoted = await make_account("student")
    assert (await client.get("/users/me", headers=promoted.headers)).status_code == 200
    changed = await client.patch(
        f"/users/{promoted.id}", headers=admin.headers, json={"role": "instructor"}
    )
    assert changed.status_code == 200
    assert (await client.get("/users/me", headers=promoted.headers)).status_code == 401

    mover = await make_account("student")
    assert (await client.get("/users/me", headers=mover.headers)).status_code == 200
    response = await client.post(
        "/users/me/password",
        headers=mover.headers,
        json={"current_password": mover.password, "new_password": "a-new-password-99"},
    )
    assert response.status_code in (200, 204)
    assert (await client.get("/users/me", headers=mover.headers)).status_code == 401


async def test_a_store_failure_aborts_the_change_instead_of_leaving_a_stale_copy(
    app: Any,
    client: httpx.AsyncClient,
    student: Account,
    admin: Account,
    db: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (await client.get("/users/me", headers=student.headers)).status_code == 200
    store = app.state.store
    original = store.set

    async def broken_set(key: str, value: str, ttl_seconds: int | None = None) -> None:
        if key.startswith("principal:"):
            raise OSError("store down")
        await original(key, value, ttl_seconds)

    monkeypatch.setattr(store, "set", broken_set)
    off = await client.patch(
        f"/users/{student.id}", headers=admin.headers, json={"is_active": False}
    )
    assert off.status_code == 503
    monkeypatch.undo()
    assert await db.scalar(select(User.is_active).where(User.id == student.id)) is True
    assert (await client.get("/users/me", headers=student.headers)).status_code == 200
