"""An admin turns off another account's second factor: POST /admin/users/{id}/mfa/disable."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.auth.models import OneTimeCode
from lms.modules.users.models import User
from tests.audit.helpers import audit_entries
from tests.conftest import Mailbox
from tests.factories.accounts import Account, enable_email_mfa, login
from tests.factories.api import ok

REASON = "Ticket 4711: phone lost, identity checked in person"


def route(user_id: Any) -> str:
    return f"/admin/users/{user_id}/mfa/disable"


async def enable_totp(client: httpx.AsyncClient, account: Account) -> list[str]:
    """Turn TOTP on for ``account``; its recovery codes."""
    started = ok(
        await client.post(
            "/auth/mfa/enable/request", headers=account.headers, json={"method": "totp"}
        )
    )
    code = pyotp.TOTP(started["secret"]).generate_otp(
        pyotp.TOTP(started["secret"]).timecode(time.time())
    )
    confirmed = ok(
        await client.post("/auth/mfa/enable/confirm", headers=account.headers, json={"code": code})
    )
    codes: list[str] = confirmed["recovery_codes"]
    return codes


async def live_codes(db: AsyncSession, user_id: uuid.UUID) -> list[OneTimeCode]:
    return list(
        await db.scalars(
            select(OneTimeCode).where(
                OneTimeCode.user_id == user_id, OneTimeCode.consumed_at.is_(None)
            )
        )
    )


class TestAdminDisablesMfa:
    async def test_valid(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        student: Account,
        db: AsyncSession,
        drain: Any,
        mailbox: Mailbox,
    ) -> None:
        await enable_totp(client, student)
        assert await live_codes(db, student.id)  # the recovery codes
        challenged = ok(await login(client, student.email))
        assert challenged["mfa_required"] is True

        done = await client.post(route(student.id), headers=admin.headers, json={"reason": REASON})
        assert done.status_code == 204, done.text

        # MFA off, its secret and every code gone
        stored = await db.scalar(select(User).where(User.id == student.id))
        assert stored is not None
        assert (stored.mfa_enabled, stored.mfa_method) == (False, None)
        assert stored.totp_secret_encrypted is None and stored.totp_last_step is None
        assert await live_codes(db, student.id) == []
        # every session of the account ended, access and refresh
        assert (await client.get("/auth/me", headers=student.headers)).status_code == 401
        refreshed = await client.post(
            "/auth/refresh", json={"refresh_token": student.refresh_token}
        )
        assert refreshed.status_code == 401
        # the password alone signs in now
        assert ok(await login(client, student.email)).get("access_token")

        [entry] = await audit_entries(client, admin, action="user.mfa_disabled")
        assert entry["actor_id"] == str(admin.id) and entry["acting_for_id"] is None
        assert entry["context"] == "user"
        assert (entry["target_type"], entry["target_id"]) == ("user", str(student.id))
        assert entry["change"] == {
            "before": {"mfa_enabled": True, "mfa_method": "totp"},
            "after": {"mfa_enabled": False, "reason": REASON},
        }

        await drain()
        [told] = [
            m
            for m in mailbox.messages(student.email)
            if m["Subject"] == "The second step of your sign-in was turned off"
        ]
        text = mailbox.text_of(told)
        assert "An administrator turned off" in text and "Ticket 4711" not in text

    async def test_email_mfa_and_the_person_s_language(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        student: Account,
        db: AsyncSession,
        drain: Any,
        mailbox: Mailbox,
    ) -> None:
        await enable_email_mfa(client, student, drain, mailbox)
        ok(await client.patch("/users/me", headers=student.headers, json={"locale": "ar"}))
        # a sign-in code waits, unused
        assert ok(await login(client, student.email))["mfa_required"] is True
        await drain()
        assert await live_codes(db, student.id)

        done = await client.post(
            route(student.id), headers=admin.headers, json={"reason": f"  {REASON}  "}
        )
        assert done.status_code == 204, done.text
        assert await live_codes(db, student.id) == []
        [entry] = await audit_entries(client, admin, action="user.mfa_disabled")
        assert entry["change"]["before"]["mfa_method"] == "email"
        assert entry["change"]["after"]["reason"] == REASON  # stripped

        await drain()
        subjects = [m["Subject"] for m in mailbox.messages(student.email)]
        assert subjects[-1] == "أُوقفت الخطوة الثانية لتسجيل دخولك"

    async def test_another_admin_s_second_factor(
        self, client: httpx.AsyncClient, admin: Account, make_account: Any
    ) -> None:
        colleague = await make_account("admin")
        await enable_totp(client, colleague)
        done = await client.post(
            route(colleague.id), headers=admin.headers, json={"reason": REASON}
        )
        assert done.status_code == 204, done.text

    async def test_refusals(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        student: Account,
        other_student: Account,
        instructor: Account,
        db: AsyncSession,
    ) -> None:
        await enable_totp(client, student)
        await enable_totp(client, admin)
        body = {"reason": REASON}

        def refused(answer: httpx.Response, status: int, code: str) -> None:
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["code"] == code, answer.text

        refused(await client.post(route(student.id), json=body), 401, "not_authenticated")
        for caller in (other_student, instructor):
            refused(
                await client.post(route(student.id), headers=caller.headers, json=body),
                403,
                "role_required",
            )
        refused(
            await client.post(route(uuid.uuid4()), headers=admin.headers, json=body),
            404,
            "user_not_found",
        )
        refused(
            await client.post(route(other_student.id), headers=admin.headers, json=body),
            409,
            "mfa_not_enabled",
        )
        for bad in ({}, {"reason": ""}, {"reason": "     "}, {"reason": "abc"}, None):
            refused(
                await client.post(route(student.id), headers=admin.headers, json=bad),
                422,
                "validation_error",
            )
        refused(
            await client.post(route(student.id), headers=admin.headers, json={**body, "x": 1}),
            422,
            "validation_error",
        )
        # an admin's own second factor: the self-service route, which asks for proof
        refused(
            await client.post(route(admin.id), headers=admin.headers, json=body),
            422,
            "mfa_own_account",
        )
        # an "act as" token (the account acted as is never an admin)
        token = ok(
            await client.post(
                f"/admin/users/{other_student.id}/act-as", headers=admin.headers, json=body
            )
        )
        acting = {"Authorization": f"Bearer {token['access_token']}"}
        refused(
            await client.post(route(student.id), headers=acting, json=body),
            403,
            "act_as_forbidden",
        )

        # nothing changed: both still have MFA, their sessions go on, nothing recorded
        for account in (student, admin):
            assert ok(await login(client, account.email))["mfa_required"] is True
            assert (await client.get("/auth/me", headers=account.headers)).status_code == 200
        assert await audit_entries(client, admin, action="user.mfa_disabled") == []

    async def test_documented(self, client: httpx.AsyncClient) -> None:
        schema = (await client.get("http://testserver/openapi.json")).json()
        operation = schema["paths"]["/api/v1/admin/users/{user_id}/mfa/disable"]["post"]
        assert set(operation["responses"]) >= {"204", "401", "403", "404", "409", "422"}
        body = operation["requestBody"]["content"]["application/json"]
        assert body["example"] == {"reason": REASON}
