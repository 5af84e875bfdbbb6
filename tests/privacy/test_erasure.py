"""Erasure through HTTP: asking with the password (or a second-factor code), the
cool-off, cancelling, an admin's immediate erasure, the periodic job; and, after an
erasure, a scan of every text and JSON column and of the storage folder that finds
neither the person's email nor their name, while analytics, revenue and the
certificate's verification are unchanged."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import func, select, update

from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.session import commit
from lms.modules.privacy import carry_out_due_erasures, erase_account
from lms.modules.privacy.models import ErasureRequest
from lms.modules.schedules.models import CalendarFeed, ScheduleOverride
from lms.modules.users.models import User
from tests.factories.accounts import PASSWORD, Account, AccountFactory, login
from tests.factories.api import ok
from tests.factories.webhooks import Receiver
from tests.payments.conftest import PaymentsWorld
from tests.privacy.person import EMAIL, NAME, NEEDLES, make_person
from tests.privacy.scan import database_mentions, storage_mentions


async def _course_figures(
    client: httpx.AsyncClient, instructor: Account, course_id: str
) -> dict[str, Any]:
    figures = ok(
        await client.get(
            f"/analytics/courses/{course_id}", headers=instructor.headers, params={"fresh": "true"}
        )
    )
    return {key: value for key, value in figures.items() if key not in ("generated_at",)}


class TestScanAfterErasure:
    async def test_an_erased_person_is_nowhere_and_the_totals_stay(
        self,
        app: Any,
        client: httpx.AsyncClient,
        settings: Settings,
        admin: Account,
        instructor: Account,
        payments: PaymentsWorld,
        receiver: Receiver,
        drain: Any,
    ) -> None:
        person = await make_person(
            app, client, settings, admin=admin, instructor=instructor, receiver=receiver
        )
        uploads = Path(settings.upload_dir)
        # The person is everywhere before (the scan can see them).
        async with app.state.engine.connect() as connection:
            before_hits = await database_mentions(connection, NEEDLES)
        tables_before = {hit.split(".")[0] for hit in before_hits}
        assert {
            "users",
            "quiz_attempts",
            "assignment_submissions",
            "enrollments",
            "outbox_messages",
            "webhook_deliveries",
            "import_job_errors",
            "uploaded_files",
            "grade_overrides",
            "grade_changes",
        } <= tables_before, before_hits
        stored_before = {hit.split("/")[0] for hit in storage_mentions(uploads, NEEDLES)}
        assert stored_before == {"imports", "uploads"}, "the uploads and the roster file"

        courses = (person.course["id"], person.short_course["id"], person.paid_course["id"])
        figures = {c: await _course_figures(client, instructor, c) for c in courses}
        revenue = ok(await client.get("/payments/revenue/summary", headers=admin.headers))
        number = person.certificate["certificate_number"]

        erased = ok(
            await client.post(
                f"/admin/users/{person.account.id}/erasure",
                headers=admin.headers,
                json={"reason": f"Asked in writing by {NAME}", "immediate": True},
            )
        )
        assert erased["state"] == "completed"
        await drain()

        async with app.state.engine.connect() as connection:
            hits = await database_mentions(connection, NEEDLES)
        assert hits == [], f"the person is still in the database: {hits}"
        # Their own due date and calendar feed are gone; their course grade stays.
        async with app.state.engine.connect() as connection:
            for column in (ScheduleOverride.student_id, CalendarFeed.user_id):
                left = await connection.scalar(
                    select(func.count()).where(column == uuid.UUID(str(person.account.id)))
                )
                assert left == 0, column
        assert storage_mentions(uploads, NEEDLES) == []

        # What must stay without the person is unchanged.
        for course_id in courses:
            assert await _course_figures(client, instructor, course_id) == figures[course_id]
        assert ok(await client.get("/payments/revenue/summary", headers=admin.headers)) == revenue
        verified = ok(await client.get(f"/certificates/verify/{number}"))
        assert verified["valid"] is True
        assert verified["student_name"] is None and verified["name_withheld"] is True
        certificate_id = person.certificate["id"]
        pdf = await client.get(f"/certificates/{certificate_id}/download", headers=admin.headers)
        assert pdf.status_code == 404, "the PDF showing the name is deleted"

        # The account is gone for good: old tokens refused, no sign-in, the email free.
        assert (await client.get("/users/me", headers=person.account.headers)).status_code == 401
        refreshed = await client.post(
            "/auth/refresh", json={"refresh_token": person.account.refresh_token}
        )
        assert refreshed.status_code == 401
        assert (await login(client, EMAIL)).status_code == 401
        again = await client.post(
            "/auth/register", json={"email": EMAIL, "password": PASSWORD, "full_name": NAME}
        )
        assert again.status_code == 201, again.text
        fresh = ok(await login(client, EMAIL), 200)
        me = ok(
            await client.get(
                "/users/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}
            )
        )
        assert me["id"] != str(person.account.id) and me["full_name"] == NAME

        # An admin cannot bring it back, nor erase it twice.
        revived = await client.patch(
            f"/users/{person.account.id}", headers=admin.headers, json={"is_active": True}
        )
        assert revived.status_code == 409 and revived.json()["code"] == "account_erased"
        twice = await client.post(
            f"/admin/users/{person.account.id}/erasure",
            headers=admin.headers,
            json={"reason": "again", "immediate": True},
        )
        assert twice.status_code == 409 and twice.json()["code"] == "account_erased"

        # Webhook subscribers heard about it, ids only.
        erased_events = receiver.wait_for(1) and receiver.of_type("user.erased.v1")
        assert [event.message["data"] for event in erased_events] == [
            {"user_id": str(person.account.id)}
        ]


class TestAskingForErasure:
    async def test_scheduled_with_the_password_shown_and_cancelled(
        self, client: httpx.AsyncClient, student: Account, mailbox: Any, drain: Any
    ) -> None:
        assert ok(await client.get("/me/erasure", headers=student.headers)) == {
            "state": "none",
            "id": None,
            "account_id": None,
            "requested_at": None,
            "due_at": None,
            "cancelled_at": None,
            "completed_at": None,
            "reason": None,
        }
        wrong = await client.post(
            "/me/erasure", headers=student.headers, json={"password": "not-my-password-1"}
        )
        assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_password_or_code"
        missing = await client.post("/me/erasure", headers=student.headers, json={})
        assert missing.status_code == 422
        unknown_field = await client.post(
            "/me/erasure", headers=student.headers, json={"password": PASSWORD, "now": True}
        )
        assert unknown_field.status_code == 422

        scheduled = ok(
            await client.post("/me/erasure", headers=student.headers, json={"password": PASSWORD}),
            202,
        )
        assert scheduled["state"] == "scheduled"
        due = scheduled["due_at"]
        requested = scheduled["requested_at"]
        assert due > requested
        twice = await client.post(
            "/me/erasure", headers=student.headers, json={"password": PASSWORD}
        )
        assert twice.status_code == 409 and twice.json()["code"] == "erasure_already_scheduled"
        assert ok(await client.get("/me/erasure", headers=student.headers))["state"] == "scheduled"
        await drain()
        assert "will be erased on" in mailbox.messages(student.email)[-1]["Subject"]

        # Still usable during the cool-off; cancelling keeps everything.
        ok(await client.delete("/me/erasure", headers=student.headers), 204)
        assert ok(await client.get("/me/erasure", headers=student.headers))["state"] == "cancelled"
        again = await client.delete("/me/erasure", headers=student.headers)
        assert again.status_code == 404 and again.json()["code"] == "erasure_not_scheduled"
        assert (await client.get("/users/me", headers=student.headers)).status_code == 200

    async def test_the_cool_off_lasts_the_configured_days(
        self,
        client: httpx.AsyncClient,
        student: Account,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(settings, "erasure_cool_off_days", 3)
        body = ok(
            await client.post("/me/erasure", headers=student.headers, json={"password": PASSWORD}),
            202,
        )
        gap = datetime.fromisoformat(body["due_at"]) - datetime.fromisoformat(body["requested_at"])
        assert gap == timedelta(days=3)

    async def test_with_mfa_on_a_current_code_is_needed(
        self,
        app: Any,
        client: httpx.AsyncClient,
        student: Account,
        settings: Settings,
    ) -> None:
        started = ok(
            await client.post(
                "/auth/mfa/enable/request", headers=student.headers, json={"method": "totp"}
            )
        )
        secret = started["secret"]
        ok(
            await client.post(
                "/auth/mfa/enable/confirm",
                headers=student.headers,
                json={"code": pyotp.TOTP(secret).now()},
            )
        )
        # The password alone is not enough once MFA is on.
        with_password = await client.post(
            "/me/erasure", headers=student.headers, json={"password": PASSWORD}
        )
        assert with_password.status_code == 422
        assert with_password.json()["code"] == "wrong_password_or_code"
        wrong_code = await client.post(
            "/me/erasure", headers=student.headers, json={"code": "000000"}
        )
        assert wrong_code.status_code == 422
        ok(
            await client.post(
                "/me/erasure",
                headers=student.headers,
                json={"code": pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))},
            ),
            202,
        )

    async def test_the_only_admin_cannot_ask(
        self, client: httpx.AsyncClient, admin: Account, make_account: AccountFactory
    ) -> None:
        alone = await client.post("/me/erasure", headers=admin.headers, json={"password": PASSWORD})
        assert alone.status_code == 409 and alone.json()["code"] == "last_admin"
        await make_account("admin")
        ok(
            await client.post("/me/erasure", headers=admin.headers, json={"password": PASSWORD}),
            202,
        )

    async def test_anonymous_callers_are_refused(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/me/erasure")).status_code == 401
        assert (await client.post("/me/erasure", json={"password": PASSWORD})).status_code == 401
        assert (await client.delete("/me/erasure")).status_code == 401


class TestDueErasures:
    async def test_the_periodic_job_erases_due_accounts_once(
        self,
        app: Any,
        client: httpx.AsyncClient,
        make_account: AccountFactory,
        db: Any,
    ) -> None:
        due = await make_account("student", full_name="Due Person")
        later = await make_account("student", full_name="Later Person")
        for account in (due, later):
            ok(
                await client.post(
                    "/me/erasure", headers=account.headers, json={"password": PASSWORD}
                ),
                202,
            )
        await db.execute(
            update(ErasureRequest)
            .where(ErasureRequest.account_id == due.id)
            .values(due_at=utcnow() - timedelta(minutes=1))
        )
        await commit(db)

        async with app.state.sessionmaker() as session:
            assert await carry_out_due_erasures(session) == 1
            await commit(session)
        async with app.state.sessionmaker() as session:
            assert await carry_out_due_erasures(session) == 0  # nothing due any more
            await commit(session)

        users = {
            user.id: user
            for user in (await db.scalars(select(User).execution_options(populate_existing=True)))
        }
        assert users[due.id].erased_at is not None and users[due.id].email.endswith(".invalid")
        assert users[due.id].full_name != "Due Person"
        assert users[later.id].erased_at is None
        assert (await login(client, due.email)).status_code == 401
        assert (await login(client, later.email)).status_code == 200

        # Running an erasure again (a retry after a crash) changes nothing more.
        first = (users[due.id].erased_at, users[due.id].email)
        async with app.state.sessionmaker() as session:
            await erase_account(session, due.id)
            await commit(session)
        again = await db.scalar(
            select(User).where(User.id == due.id).execution_options(populate_existing=True)
        )
        assert (again.erased_at, again.email) == first
        assert ok(await client.get("/me/erasure", headers=later.headers))["state"] == "scheduled"


class TestAdminErasure:
    async def test_refusals(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        instructor: Account,
        student: Account,
    ) -> None:
        url = f"/admin/users/{student.id}/erasure"
        body = {"reason": "Court order 12/2026", "immediate": True}
        assert (await client.post(url, json=body)).status_code == 401
        assert (await client.post(url, headers=instructor.headers, json=body)).status_code == 403
        assert (await client.post(url, headers=student.headers, json=body)).status_code == 403
        unknown = await client.post(
            f"/admin/users/{uuid.uuid4()}/erasure", headers=admin.headers, json=body
        )
        assert unknown.status_code == 404
        no_reason = await client.post(url, headers=admin.headers, json={"immediate": True})
        assert no_reason.status_code == 422
        myself = await client.post(
            f"/admin/users/{admin.id}/erasure", headers=admin.headers, json=body
        )
        assert myself.status_code == 422 and myself.json()["code"] == "cannot_erase_self"

    async def test_scheduled_by_an_admin_then_at_once(
        self, client: httpx.AsyncClient, admin: Account, student: Account
    ) -> None:
        url = f"/admin/users/{student.id}/erasure"
        scheduled = ok(
            await client.post(url, headers=admin.headers, json={"reason": "Left the school"}),
            202,
        )
        assert scheduled["state"] == "scheduled" and scheduled["reason"] == "Left the school"
        again = await client.post(url, headers=admin.headers, json={"reason": "again"})
        assert again.status_code == 409
        now = ok(
            await client.post(
                url, headers=admin.headers, json={"reason": "Left the school", "immediate": True}
            )
        )
        assert now["id"] == scheduled["id"] and now["state"] == "completed"
        assert (await client.get("/users/me", headers=student.headers)).status_code == 401
