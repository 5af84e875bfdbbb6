"""Staff enroll students by account or by email (inviting new people), drop and
reactivate them; no payment is needed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.modules.enrollments import EnrollmentDropped
from lms.modules.users.models import User
from tests.conftest import Mailbox
from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.courses import published_course
from tests.factories.enrollments import complete_lesson
from tests.factories.teams import add_staff

NEW_PASSWORD = "a-brand-new-pass-42"
INVITE = r"accept-invitation\?token=(\S+)"


async def test_an_email_without_an_account_is_invited_once_and_the_link_works_once(
    client: httpx.AsyncClient,
    instructor: Account,
    db: AsyncSession,
    drain: Any,
    mailbox: Mailbox,
) -> None:
    course, _ = await published_course(client, instructor, lessons=1, price="300.00")
    url = f"/courses/{course['id']}/enrollments"
    body = {"email": "Layla.Hassan@Example.com", "full_name": "ليلى حسن"}
    created = await client.post(url, headers=instructor.headers, json=body)
    assert created.status_code == 201, created.text  # a paid course: no payment asked
    assert created.json()["status"] == "active"
    await drain()  # the invitation job, which queues the email
    await drain()
    first_link = mailbox.last_match(INVITE, to="layla.hassan@example.com")
    invited = await client.post(
        "/auth/login", json={"email": "layla.hassan@example.com", "password": NEW_PASSWORD}
    )
    assert invited.status_code == 401  # no password yet

    again = await client.post(url, headers=instructor.headers, json=body)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    await drain()  # the invitation job, which queues the email
    await drain()
    second_link = mailbox.last_match(INVITE, to="layla.hassan@example.com")
    assert second_link != first_link
    accounts = await db.scalar(
        select(func.count(User.id)).where(User.email == "layla.hassan@example.com")
    )
    assert accounts == 1

    stale = await client.post(
        "/auth/reset-password", json={"token": first_link, "new_password": NEW_PASSWORD}
    )
    assert stale.status_code == 400  # resending replaced the first link
    accepted = await client.post(
        "/auth/reset-password", json={"token": second_link, "new_password": NEW_PASSWORD}
    )
    assert accepted.status_code == 204
    reused = await client.post(
        "/auth/reset-password", json={"token": second_link, "new_password": "other-pass-77"}
    )
    assert reused.status_code == 400
    login = ok(
        await client.post(
            "/auth/login", json={"email": "layla.hassan@example.com", "password": NEW_PASSWORD}
        )
    )
    assert login["user"]["full_name"] == "ليلى حسن"
    mine = ok(
        await client.get(
            "/enrollments/my-courses",
            headers={"Authorization": f"Bearer {login['access_token']}"},
        )
    )
    assert [e["course_id"] for e in mine["items"]] == [course["id"]]
    # once the password is set, enrolling the address again invites no more
    third = await client.post(url, headers=instructor.headers, json=body)
    assert third.status_code == 200
    await drain()  # the invitation job, which queues the email
    await drain()
    assert mailbox.last_match(INVITE, to="layla.hassan@example.com") == second_link


async def test_an_existing_account_is_enrolled_without_an_invitation(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    make_account: AccountFactory,
    drain: Any,
    mailbox: Mailbox,
) -> None:
    course, _ = await published_course(client, instructor, lessons=1, publish=False)
    co = await make_account("instructor")
    await add_staff(client, instructor, course["id"], co.id, "co_instructor")
    by_co = await client.post(
        f"/courses/{course['id']}/enrollments",
        headers=co.headers,
        json={"email": student.email},
    )
    assert by_co.status_code == 201  # a draft course too: staff decide
    await drain()  # the invitation job, which queues the email
    await drain()
    assert not [m for m in mailbox.messages(student.email) if "accept-invitation" in str(m)]


async def test_staff_enrollment_refusals(
    client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    url = f"/courses/{course['id']}/enrollments"
    unknown = await client.post(
        url, headers=instructor.headers, json={"user_id": str(uuid.uuid4())}
    )
    assert unknown.status_code == 404
    both = await client.post(
        url, headers=instructor.headers, json={"user_id": str(uuid.uuid4()), "email": "a@b.co"}
    )
    assert both.status_code == 422
    neither = await client.post(url, headers=instructor.headers, json={})
    assert neither.status_code == 422
    bad_email = await client.post(url, headers=instructor.headers, json={"email": "not-an-email"})
    assert bad_email.status_code == 422
    inactive = await make_account("student")
    admin = await make_account("admin")
    ok(
        await client.patch(
            f"/users/{inactive.id}", headers=admin.headers, json={"is_active": False}
        )
    )
    refused = await client.post(url, headers=instructor.headers, json={"user_id": str(inactive.id)})
    assert refused.status_code == 404
    missing = await client.delete(f"{url}/{uuid.uuid4()}", headers=instructor.headers)
    assert missing.status_code == 404


async def test_drop_keeps_progress_and_reactivate_restores_access(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, lessons=2)
    enrollment = ok(
        await client.post(
            f"/courses/{course['id']}/enrollments",
            headers=instructor.headers,
            json={"user_id": str(student.id)},
        ),
        201,
    )
    await complete_lesson(client, student, enrollment["id"], lessons[1]["id"])
    base = f"/courses/{course['id']}/enrollments/{enrollment['id']}"

    heard: list[EnrollmentDropped] = []

    async def listen(_session: Any, event: EnrollmentDropped) -> None:
        heard.append(event)

    events.bus.subscribe(EnrollmentDropped, listen)
    try:
        dropped = ok(await client.delete(base, headers=instructor.headers))
    finally:
        events.bus.unsubscribe(EnrollmentDropped, listen)
    # Integrators hear a drop by staff as they hear one after a refund.
    assert [(str(e.enrollment_id), e.student_id, str(e.course_id)) for e in heard] == [
        (enrollment["id"], student.id, course["id"])
    ]
    assert dropped["status"] == "dropped" and dropped["completed_lessons_count"] == 1
    locked = ok(await client.get(f"/lessons/{lessons[1]['id']}", headers=student.headers))
    assert locked["content_locked"] is True
    twice = await client.delete(base, headers=instructor.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "enrollment_not_open"

    back = ok(await client.post(f"{base}/reactivate", headers=instructor.headers))
    assert back["status"] == "active" and back["completed_lessons_count"] == 1
    assert back["progress_percentage"] == 50
    open_again = ok(await client.get(f"/lessons/{lessons[1]['id']}", headers=student.headers))
    assert open_again["content_locked"] is False
    not_dropped = await client.post(f"{base}/reactivate", headers=instructor.headers)
    assert not_dropped.status_code == 409 and not_dropped.json()["code"] == "enrollment_not_dropped"
