"""Password reset and email verification: single-use, expiring tokens sent by email."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.session import commit
from lms.modules.auth.models import OneTimeCode
from tests.conftest import Mailbox
from tests.factories.accounts import PASSWORD, Account

RESET_TOKEN = r"Reset token: (\S+)"
VERIFY_TOKEN = r"Verification token: (\S+)"
NEW_PASSWORD = "fresh-start-2024"


async def _deliver_all(drain: Any) -> None:
    # the reset job queues the email it sends: deliver until nothing is left
    while await drain():
        pass


async def _reset_token(
    client: httpx.AsyncClient, account: Account, drain: Any, mailbox: Mailbox
) -> str:
    response = await client.post("/auth/forgot-password", json={"email": account.email})
    assert response.status_code == 202
    await _deliver_all(drain)
    return mailbox.last_match(RESET_TOKEN, account.email)


async def test_forgot_password_answers_alike_for_unknown_addresses(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    known = await client.post("/auth/forgot-password", json={"email": student.email.upper()})
    unknown = await client.post("/auth/forgot-password", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert mailbox.messages() == []  # nothing is sent inside the request
    await _deliver_all(drain)
    assert [m["Subject"] for m in mailbox.messages(student.email)] == ["Reset your password"]
    assert mailbox.messages("nobody@example.com") == []


async def test_reset_password_ends_every_session_and_works_once(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    token = await _reset_token(client, student, drain, mailbox)
    response = await client.post(
        "/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204, response.text

    assert (await client.get("/auth/me", headers=student.headers)).status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refresh.status_code == 401
    old = await client.post("/auth/login", json={"email": student.email, "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/auth/login", json={"email": student.email, "password": NEW_PASSWORD})
    assert new.status_code == 200
    assert new.json()["user"]["email_verified_at"] is not None  # the inbox was proven

    reused = await client.post(
        "/auth/reset-password", json={"token": token, "new_password": "another-one-99"}
    )
    assert reused.status_code == 400 and reused.json()["code"] == "reset_token_invalid"


async def test_reset_refusals(
    client: httpx.AsyncClient,
    student: Account,
    drain: Any,
    mailbox: Mailbox,
    db: AsyncSession,
) -> None:
    token = await _reset_token(client, student, drain, mailbox)
    weak = await client.post("/auth/reset-password", json={"token": token, "new_password": "short"})
    assert weak.status_code == 422
    extra = await client.post(
        "/auth/reset-password",
        json={"token": token, "new_password": NEW_PASSWORD, "user_id": str(student.id)},
    )
    assert extra.status_code == 422
    forged = await client.post(
        "/auth/reset-password", json={"token": "made-up-token", "new_password": NEW_PASSWORD}
    )
    assert forged.status_code == 400
    malformed = await client.post("/auth/forgot-password", json={"email": "not-an-email"})
    assert malformed.status_code == 422

    await db.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == student.id)
        .values(expires_at=utcnow().replace(year=2000))
    )
    await commit(db)
    expired = await client.post(
        "/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert expired.status_code == 400


async def test_a_new_reset_email_supersedes_the_old_one(
    client: httpx.AsyncClient,
    student: Account,
    drain: Any,
    mailbox: Mailbox,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await _reset_token(client, student, drain, mailbox)
    # inside the cooldown a second request sends nothing
    await _reset_token(client, student, drain, mailbox)
    assert len(mailbox.messages(student.email)) == 1
    monkeypatch.setattr(settings, "otp_resend_seconds", 0)
    second = await _reset_token(client, student, drain, mailbox)
    assert second != first and len(mailbox.messages(student.email)) == 2
    stale = await client.post(
        "/auth/reset-password", json={"token": first, "new_password": NEW_PASSWORD}
    )
    assert stale.status_code == 400
    ok = await client.post(
        "/auth/reset-password", json={"token": second, "new_password": NEW_PASSWORD}
    )
    assert ok.status_code == 204


async def test_deactivated_accounts_get_no_reset_email(
    client: httpx.AsyncClient, student: Account, admin: Account, drain: Any, mailbox: Mailbox
) -> None:
    await client.patch(f"/users/{student.id}", headers=admin.headers, json={"is_active": False})
    response = await client.post("/auth/forgot-password", json={"email": student.email})
    assert response.status_code == 202
    await _deliver_all(drain)
    assert mailbox.messages(student.email) == []


async def test_verify_email_from_the_registration_email(
    client: httpx.AsyncClient, drain: Any, mailbox: Mailbox
) -> None:
    registered = await client.post(
        "/auth/register",
        json={"email": "vera@example.com", "password": "s3cret-pass", "full_name": "Vera"},
    )
    assert registered.json()["user"]["email_verified_at"] is None
    await drain()
    token = mailbox.last_match(VERIFY_TOKEN, "vera@example.com")

    as_reset = await client.post(
        "/auth/reset-password", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert as_reset.status_code == 400  # a token works only for its own purpose

    confirmed = await client.post("/auth/verify-email/confirm", json={"token": token})
    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == "vera@example.com"
    assert confirmed.json()["email_verified_at"] is not None
    again = await client.post("/auth/verify-email/confirm", json={"token": token})
    assert again.status_code == 400 and again.json()["code"] == "verify_token_invalid"
    headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    done = await client.post("/auth/verify-email/request", headers=headers)
    assert done.status_code == 409 and done.json()["code"] == "email_already_verified"


async def test_verification_email_on_request(
    client: httpx.AsyncClient,
    student: Account,
    drain: Any,
    mailbox: Mailbox,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (await client.post("/auth/verify-email/request")).status_code == 401
    first = await client.post("/auth/verify-email/request", headers=student.headers)
    assert first.status_code == 202
    too_soon = await client.post("/auth/verify-email/request", headers=student.headers)
    assert too_soon.status_code == 429 and int(too_soon.headers["retry-after"]) >= 1
    await drain()
    old = mailbox.last_match(VERIFY_TOKEN, student.email)

    monkeypatch.setattr(settings, "otp_resend_seconds", 0)
    second = await client.post("/auth/verify-email/request", headers=student.headers)
    assert second.status_code == 202
    await drain()
    new = mailbox.last_match(VERIFY_TOKEN, student.email)
    assert (await client.post("/auth/verify-email/confirm", json={"token": old})).status_code == 400
    ok = await client.post("/auth/verify-email/confirm", json={"token": new})
    assert ok.status_code == 200 and ok.json()["id"] == str(student.id)
    assert (await client.post("/auth/verify-email/confirm", json={})).status_code == 422


async def test_password_change_also_ends_refresh_tokens(
    client: httpx.AsyncClient, student: Account
) -> None:
    changed = await client.post(
        "/users/me/password",
        headers=student.headers,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204
    refresh = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refresh.status_code == 401
