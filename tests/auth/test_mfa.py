"""MFA: email one-time codes, TOTP, recovery codes, and the login step that uses them."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.jobs import OutboxMessage
from lms.core.security import decrypt_secret
from lms.core.session import commit
from lms.modules.auth.models import OneTimeCode
from lms.modules.users.models import User
from tests.conftest import Mailbox
from tests.factories.accounts import PASSWORD, SIGN_IN_CODE, Account, enable_email_mfa, login


async def _enable_totp(client: httpx.AsyncClient, account: Account) -> tuple[pyotp.TOTP, int]:
    """Turn TOTP on through the alias paths; returns the app's TOTP and the used step."""
    started = await client.post(
        "/auth/mfa/enable", headers=account.headers, json={"method": "totp"}
    )
    assert started.status_code == 200, started.text
    totp = pyotp.TOTP(started.json()["secret"])
    step = totp.timecode(time.time())
    confirmed = await client.post(
        "/auth/mfa/verify", headers=account.headers, json={"code": totp.generate_otp(step)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["method"] == "totp"
    return totp, step


async def test_email_mfa_from_enrolment_to_login(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    enabled = await enable_email_mfa(client, student, drain, mailbox)
    assert enabled["mfa_enabled"] is True and enabled["method"] == "email"
    assert len(enabled["recovery_codes"]) == 10
    assert (await client.get("/auth/me", headers=student.headers)).json()["mfa_enabled"] is True

    challenge = await login(client, student.email)
    assert challenge.status_code == 200
    body = challenge.json()
    assert body["mfa_required"] is True and "access_token" not in body
    assert body["methods"] == ["email", "recovery_code"]
    await drain()
    code = mailbox.last_match(SIGN_IN_CODE, student.email)

    wrong = await client.post(
        "/auth/login/mfa",
        json={"mfa_token": body["mfa_token"], "code": "000000" if code != "000000" else "111111"},
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_mfa_code"
    ok = await client.post("/auth/login/mfa", json={"mfa_token": body["mfa_token"], "code": code})
    assert ok.status_code == 200, ok.text
    tokens = ok.json()
    assert tokens["user"]["email"] == student.email and tokens["token_type"] == "bearer"
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200

    again = await client.post(
        "/auth/login/mfa", json={"mfa_token": body["mfa_token"], "code": code}
    )
    assert again.status_code == 401 and again.json()["code"] == "mfa_token_used"

    # signing in again at once works: the used code does not hold back a new one
    relogin = await login(client, student.email)
    assert relogin.status_code == 200 and await drain() == 1
    fresh = mailbox.last_match(SIGN_IN_CODE, student.email)
    second = await client.post(
        "/auth/login/mfa", json={"mfa_token": relogin.json()["mfa_token"], "code": fresh}
    )
    assert second.status_code == 200


async def test_mfa_token_is_never_an_access_token(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    await enable_email_mfa(client, student, drain, mailbox)
    mfa_token = (await login(client, student.email)).json()["mfa_token"]
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {mfa_token}"})
    assert me.status_code == 401 and me.json()["code"] == "token_invalid"
    # and an access token is not an mfa_token either
    swapped = await client.post(
        "/auth/login/mfa", json={"mfa_token": student.access_token, "code": "123456"}
    )
    assert swapped.status_code == 401 and swapped.json()["code"] == "token_invalid"
    garbage = await client.post("/auth/mfa/login", json={"mfa_token": "x.y.z", "code": "123456"})
    assert garbage.status_code == 401
    for bad in (
        {"mfa_token": mfa_token},
        {"mfa_token": mfa_token, "code": "12"},
        {"mfa_token": mfa_token, "code": "123456", "user_id": str(student.id)},
    ):
        assert (await client.post("/auth/login/mfa", json=bad)).status_code == 422, bad


async def test_password_form_refuses_mfa_accounts(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    await enable_email_mfa(client, student, drain, mailbox)
    response = await client.post(
        "/auth/token", data={"username": student.email, "password": PASSWORD}
    )
    assert response.status_code == 401 and response.json()["code"] == "mfa_required"


async def test_email_codes_are_hashed_and_erased_from_the_outbox(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox, db: AsyncSession
) -> None:
    await client.post("/auth/mfa/enable/request", headers=student.headers, json={"method": "email"})
    await drain()
    code = mailbox.last_match(SIGN_IN_CODE, student.email)
    rows = list(await db.scalars(select(OneTimeCode).where(OneTimeCode.user_id == student.id)))
    assert rows and all(code not in row.code_hash for row in rows)
    payloads = [m.payload for m in await db.scalars(select(OutboxMessage))]
    assert code not in str(payloads)
    assert {"_sensitive": True, "scrubbed": True} in payloads


async def test_a_code_dies_after_five_wrong_tries(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    await enable_email_mfa(client, student, drain, mailbox)
    first = (await login(client, student.email)).json()["mfa_token"]
    await drain()
    code = mailbox.last_match(SIGN_IN_CODE, student.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # a second login inside the resend cooldown sends no new code: the first stays valid
    second = (await login(client, student.email)).json()["mfa_token"]
    assert await drain() == 0
    for token in (first, first, first, second, second):
        response = await client.post("/auth/login/mfa", json={"mfa_token": token, "code": wrong})
        assert response.status_code == 401
    # five tries spent across both tokens: the right code no longer works
    dead = await client.post("/auth/login/mfa", json={"mfa_token": second, "code": code})
    assert dead.status_code == 401 and dead.json()["code"] == "invalid_mfa_code"
    # a dead code does not hold back the next one: a new login sends a new code
    fresh = (await login(client, student.email)).json()["mfa_token"]
    assert await drain() == 1
    new_code = mailbox.last_match(SIGN_IN_CODE, student.email)
    ok = await client.post("/auth/login/mfa", json={"mfa_token": fresh, "code": new_code})
    assert ok.status_code == 200


async def test_an_enrolment_code_dies_after_five_wrong_tries(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    started = await client.post(
        "/auth/mfa/enable/request", headers=student.headers, json={"method": "email"}
    )
    assert started.status_code == 200
    await drain()
    code = mailbox.last_match(SIGN_IN_CODE, student.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused = await client.post(
            "/auth/mfa/enable/confirm", headers=student.headers, json={"code": wrong}
        )
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_code"
    # every refused try was counted: the code is spent, so nothing is pending any more
    dead = await client.post(
        "/auth/mfa/enable/confirm", headers=student.headers, json={"code": code}
    )
    assert dead.status_code == 422 and dead.json()["code"] == "mfa_not_requested"
    assert (await client.get("/auth/me", headers=student.headers)).json()["mfa_enabled"] is False


async def test_only_the_latest_code_counts_and_codes_expire(
    client: httpx.AsyncClient,
    student: Account,
    drain: Any,
    mailbox: Mailbox,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    db: AsyncSession,
) -> None:
    await enable_email_mfa(client, student, drain, mailbox)
    monkeypatch.setattr(settings, "otp_resend_seconds", 0)
    await login(client, student.email)
    await drain()
    old_code = mailbox.last_match(SIGN_IN_CODE, student.email)
    token = (await login(client, student.email)).json()["mfa_token"]
    await drain()
    new_code = mailbox.last_match(SIGN_IN_CODE, student.email)
    if old_code != new_code:
        stale = await client.post("/auth/login/mfa", json={"mfa_token": token, "code": old_code})
        assert stale.status_code == 401

    await db.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == student.id)
        .values(expires_at=utcnow().replace(year=2000))
    )
    await commit(db)
    expired = await client.post("/auth/login/mfa", json={"mfa_token": token, "code": new_code})
    assert expired.status_code == 401 and expired.json()["code"] == "invalid_mfa_code"


async def test_hourly_cap_on_emailed_codes(
    client: httpx.AsyncClient,
    student: Account,
    drain: Any,
    mailbox: Mailbox,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "otp_resend_seconds", 0)
    monkeypatch.setattr(settings, "otp_max_per_hour", 2)
    for _ in range(2):
        sent = await client.post(
            "/auth/mfa/enable/request", headers=student.headers, json={"method": "email"}
        )
        assert sent.status_code == 200
    capped = await client.post(
        "/auth/mfa/enable/request", headers=student.headers, json={"method": "email"}
    )
    assert capped.status_code == 429 and int(capped.headers["retry-after"]) > 3000
    assert await drain() == 2


async def test_totp_enrolment_secret_is_encrypted_and_codes_work_once(
    client: httpx.AsyncClient, student: Account, db: AsyncSession, settings: Settings
) -> None:
    started = await client.post(
        "/auth/mfa/enable/request", headers=student.headers, json={"method": "totp"}
    )
    assert started.status_code == 200
    body = started.json()
    secret = body["secret"]
    assert body["otpauth_uri"].startswith("otpauth://totp/LMS:")
    assert "issuer=LMS" in body["otpauth_uri"] and f"secret={secret}" in body["otpauth_uri"]
    stored = await db.scalar(select(User.totp_secret_encrypted).where(User.id == student.id))
    assert stored and secret not in stored and decrypt_secret(settings, stored) == secret
    # not on until confirmed
    assert (await login(client, student.email)).json().get("access_token")

    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time())
    bad = await client.post(
        "/auth/mfa/enable/confirm",
        headers=student.headers,
        json={"code": totp.generate_otp(step + 5)},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_code"
    ok = await client.post(
        "/auth/mfa/enable/confirm", headers=student.headers, json={"code": totp.generate_otp(step)}
    )
    assert ok.status_code == 200 and ok.json()["method"] == "totp"

    challenge = (await login(client, student.email)).json()
    assert challenge["methods"] == ["totp", "recovery_code"]
    replay = await client.post(
        "/auth/login/mfa",
        json={"mfa_token": challenge["mfa_token"], "code": totp.generate_otp(step)},
    )
    assert replay.status_code == 401  # the step used to confirm cannot be used again
    nxt = totp.generate_otp(step + 1)
    ok_login = await client.post(
        "/auth/login/mfa", json={"mfa_token": challenge["mfa_token"], "code": nxt}
    )
    assert ok_login.status_code == 200, ok_login.text
    again = (await login(client, student.email)).json()["mfa_token"]
    reused = await client.post("/auth/login/mfa", json={"mfa_token": again, "code": nxt})
    assert reused.status_code == 401


async def test_mfa_token_dies_after_too_many_wrong_codes(
    client: httpx.AsyncClient, student: Account
) -> None:
    totp, step = await _enable_totp(client, student)
    token = (await login(client, student.email)).json()["mfa_token"]
    for _ in range(5):
        wrong = await client.post(
            "/auth/mfa/login", json={"mfa_token": token, "code": totp.generate_otp(step + 9)}
        )
        assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_mfa_code"
    right = await client.post(
        "/auth/mfa/login", json={"mfa_token": token, "code": totp.generate_otp(step + 1)}
    )
    assert right.status_code == 401 and right.json()["code"] == "mfa_token_used"


async def test_recovery_codes_work_once_each(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    recovery = (await enable_email_mfa(client, student, drain, mailbox))["recovery_codes"]
    token = (await login(client, student.email)).json()["mfa_token"]
    ok = await client.post(
        "/auth/login/mfa", json={"mfa_token": token, "code": recovery[0].upper()}
    )
    assert ok.status_code == 200
    token = (await login(client, student.email)).json()["mfa_token"]
    used = await client.post("/auth/login/mfa", json={"mfa_token": token, "code": recovery[0]})
    assert used.status_code == 401
    other = await client.post("/auth/login/mfa", json={"mfa_token": token, "code": recovery[1]})
    assert other.status_code == 200


async def test_disable_mfa_needs_password_or_current_code(
    client: httpx.AsyncClient, student: Account, other_student: Account
) -> None:
    totp, step = await _enable_totp(client, student)
    no_proof = await client.post("/auth/mfa/disable", headers=student.headers, json={})
    assert no_proof.status_code == 422
    both = await client.post(
        "/auth/mfa/disable", headers=student.headers, json={"password": PASSWORD, "code": "123456"}
    )
    assert both.status_code == 422
    wrong = await client.post(
        "/auth/mfa/disable", headers=student.headers, json={"password": "not-the-password-1"}
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_password_or_code"
    stale = await client.post(
        "/auth/mfa/disable", headers=student.headers, json={"code": totp.generate_otp(step)}
    )
    assert stale.status_code == 422
    assert (await client.post("/auth/mfa/disable", json={"password": PASSWORD})).status_code == 401
    # the caller's own account is the only one concerned, and theirs has MFA off
    others = await client.post(
        "/auth/mfa/disable", headers=other_student.headers, json={"password": PASSWORD}
    )
    assert others.status_code == 409 and others.json()["code"] == "mfa_not_enabled"

    ok = await client.post(
        "/auth/mfa/disable", headers=student.headers, json={"code": totp.generate_otp(step + 1)}
    )
    assert ok.status_code == 204
    assert (await login(client, student.email)).json().get("access_token")

    # and with the password, after turning it on again
    await _enable_totp(client, student)
    ok = await client.post(
        "/auth/mfa/disable", headers=student.headers, json={"password": PASSWORD}
    )
    assert ok.status_code == 204
    assert (await client.get("/auth/me", headers=student.headers)).json()["mfa_enabled"] is False


async def test_enrolment_refusals(
    client: httpx.AsyncClient, student: Account, drain: Any, mailbox: Mailbox
) -> None:
    assert (
        await client.post("/auth/mfa/enable/request", json={"method": "email"})
    ).status_code == 401
    assert (
        await client.post("/auth/mfa/enable/confirm", json={"code": "123456"})
    ).status_code == 401
    unknown = await client.post(
        "/auth/mfa/enable/request", headers=student.headers, json={"method": "sms"}
    )
    assert unknown.status_code == 422
    nothing_pending = await client.post(
        "/auth/mfa/enable/confirm", headers=student.headers, json={"code": "123456"}
    )
    assert nothing_pending.status_code == 422
    assert nothing_pending.json()["code"] == "mfa_not_requested"
    short = await client.post(
        "/auth/mfa/enable/confirm", headers=student.headers, json={"code": "12"}
    )
    assert short.status_code == 422
    await enable_email_mfa(client, student, drain, mailbox)
    twice = await client.post(
        "/auth/mfa/enable/request", headers=student.headers, json={"method": "totp"}
    )
    assert twice.status_code == 409 and twice.json()["code"] == "mfa_already_enabled"


async def test_mfa_step_ends_with_the_session(
    client: httpx.AsyncClient, student: Account, admin: Account
) -> None:
    totp, step = await _enable_totp(client, student)
    token = (await login(client, student.email)).json()["mfa_token"]
    await client.patch(f"/users/{student.id}", headers=admin.headers, json={"is_active": False})
    response = await client.post(
        "/auth/login/mfa", json={"mfa_token": token, "code": totp.generate_otp(step + 1)}
    )
    assert response.status_code == 401


async def test_aliases_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("http://testserver/openapi.json")).json()["paths"]
    for path in (
        "/login/mfa",
        "/mfa/login",
        "/mfa/enable/request",
        "/mfa/enable",
        "/mfa/enable/confirm",
        "/mfa/verify",
        "/mfa/disable",
        "/forgot-password",
        "/reset-password",
        "/verify-email/request",
        "/verify-email/confirm",
    ):
        assert "post" in paths[f"/api/v1/auth{path}"], path
