from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.db import utcnow
from lms.core.session import commit
from lms.modules.auth.models import OneTimeCode, RefreshToken
from tests.conftest import Mailbox
from tests.factories.accounts import PASSWORD, Account, AccountFactory


async def test_register_returns_student_tokens_and_queues_emails(
    client: httpx.AsyncClient, drain, mailbox: Mailbox
) -> None:
    response = await client.post(
        "/auth/register",
        json={"email": "New@Example.com", "password": "s3cret-pass", "full_name": "Nia New"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["user"]["role"] == "student" and body["user"]["email"] == "new@example.com"
    assert "password_hash" not in body["user"]
    assert mailbox.messages() == []  # nothing is sent inside the request
    assert await drain() == 2
    subjects = sorted(m["Subject"] for m in mailbox.messages("new@example.com"))
    assert subjects == ["Verify your email address", "Welcome to LMS"]


async def test_register_cannot_choose_a_role(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/register",
        json={
            "email": "x@example.com",
            "password": "s3cret-pass",
            "full_name": "X",
            "role": "admin",
        },
    )
    assert response.status_code == 422


async def test_register_twice_is_409(client: httpx.AsyncClient, student: Account) -> None:
    response = await client.post(
        "/auth/register",
        json={"email": student.email.upper(), "password": "s3cret-pass", "full_name": "Dup"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


async def test_weak_password_is_refused(client: httpx.AsyncClient) -> None:
    for weak in ("short1", "onlyletters", "1234567890", "x" * 73):
        response = await client.post(
            "/auth/register",
            json={"email": "w@example.com", "password": weak, "full_name": "Weak"},
        )
        assert response.status_code == 422, weak


async def test_login_wrong_password_and_unknown_email_answer_alike(
    client: httpx.AsyncClient, student: Account
) -> None:
    wrong = await client.post(
        "/auth/login", json={"email": student.email, "password": "nope-nope-1"}
    )
    unknown = await client.post(
        "/auth/login", json={"email": "ghost@example.com", "password": "nope-nope-1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_me_needs_a_valid_token(client: httpx.AsyncClient, student: Account) -> None:
    assert (await client.get("/auth/me")).status_code == 401
    bad = await client.get("/auth/me", headers={"Authorization": "Bearer garbage"})
    assert bad.status_code == 401 and bad.json()["code"] == "token_invalid"
    ok = await client.get("/auth/me", headers=student.headers)
    assert ok.status_code == 200 and ok.json()["email"] == student.email


async def test_login_records_last_login(client: httpx.AsyncClient, student: Account) -> None:
    me = (await client.get("/auth/me", headers=student.headers)).json()
    assert me["last_login_at"] is not None


async def test_oauth2_form_token_for_swagger(client: httpx.AsyncClient, student: Account) -> None:
    response = await client.post(
        "/auth/token", data={"username": student.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == str(student.id)


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, student: Account
) -> None:
    first = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != student.refresh_token

    replay = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert replay.status_code == 401 and replay.json()["code"] == "refresh_reused"
    # the thief's replay also killed the legitimate rotated token
    after = await client.post("/auth/refresh", json={"refresh_token": rotated})
    assert after.status_code == 401


async def test_logout_ends_access_and_refresh(client: httpx.AsyncClient, student: Account) -> None:
    response = await client.post(
        "/auth/logout", headers=student.headers, json={"refresh_token": student.refresh_token}
    )
    assert response.status_code == 204
    me = await client.get("/auth/me", headers=student.headers)
    assert me.status_code == 401 and me.json()["code"] == "token_revoked"
    refreshed = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refreshed.status_code == 401


async def test_deactivated_user_is_locked_out_at_once(
    client: httpx.AsyncClient, student: Account, admin: Account
) -> None:
    response = await client.patch(
        f"/users/{student.id}", headers=admin.headers, json={"is_active": False}
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert (await client.get("/auth/me", headers=student.headers)).status_code == 401
    login = await client.post("/auth/login", json={"email": student.email, "password": PASSWORD})
    assert login.status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refresh.status_code == 401


async def test_repeated_failures_slow_down_that_account_from_that_client_only(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    victim = await make_account("student")
    for _ in range(6):
        await client.post("/auth/login", json={"email": victim.email, "password": "wrong-pass-1"})
    blocked = await client.post("/auth/login", json={"email": victim.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    # another account from the same client is not affected
    other = await make_account("student")
    assert other.access_token


async def test_expired_codes_and_refresh_tokens_are_purged(
    app: Any, client: httpx.AsyncClient, student: Account, db: AsyncSession
) -> None:
    await client.post("/auth/forgot-password", json={"email": student.email})
    await client.post("/auth/verify-email/request", headers=student.headers)
    long_ago = utcnow() - timedelta(days=2)
    await db.execute(
        update(OneTimeCode).where(OneTimeCode.purpose == "verify_email").values(expires_at=long_ago)
    )
    await db.execute(update(RefreshToken).values(expires_at=long_ago))
    await commit(db)
    await jobs.run_periodic(app.state.sessionmaker, "auth.purge_expired")
    assert await db.scalar(select(func.count()).select_from(RefreshToken)) == 0
    assert await db.scalar(select(func.count()).select_from(OneTimeCode)) == 0
    # access tokens are not stored: the session of the live access token goes on
    assert (await client.get("/auth/me", headers=student.headers)).status_code == 200
