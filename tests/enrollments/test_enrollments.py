"""Enrolling, my courses, one enrollment, and a course's roster through HTTP."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.events import bus
from lms.core.session import commit
from lms.modules import enrollments
from lms.modules.enrollments import service
from lms.modules.enrollments.models import Enrollment, LessonProgress
from tests.conftest import Mailbox
from tests.factories.accounts import Account
from tests.factories.courses import add_lesson, create_course, published_course
from tests.factories.enrollments import complete_lesson, enroll

UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def test_enrolling_creates_progress_rows_and_emails_the_student(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    drain: Any,
    mailbox: Mailbox,
) -> None:
    course, lessons = await published_course(client, instructor, title="Guitar Basics")
    response = await client.post(
        "/enrollments", headers=student.headers, json={"course_id": course["id"]}
    )
    assert response.status_code == 201, response.text
    enrollment = response.json()
    assert enrollment["status"] == "active" and enrollment["student_id"] == str(student.id)
    assert enrollment["progress_percentage"] == 0
    assert enrollment["completed_lessons_count"] == 0
    assert enrollment["total_lessons_count"] == 3
    assert enrollment["course_title"] == "Guitar Basics"
    assert enrollment["course_slug"] == course["slug"]

    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert [p["lesson_id"] for p in detail["lesson_progress"]] == [
        lesson["id"] for lesson in lessons
    ]
    assert {p["status"] for p in detail["lesson_progress"]} == {"not_started"}
    assert all(p["completed"] is False for p in detail["lesson_progress"])

    assert mailbox.messages() == []  # sent after the request, by the outbox
    await drain()
    [email] = mailbox.messages(student.email)
    assert email["Subject"] == "You are enrolled in Guitar Basics"
    assert f"https://lms.example.com/courses/{course['slug']}" in mailbox.text_of(email)


async def test_enrolling_twice_is_409(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, _ = await published_course(client, instructor)
    await enroll(client, student, course["id"])
    again = await client.post(
        "/enrollments", headers=student.headers, json={"course_id": course["id"]}
    )
    assert again.status_code == 409 and again.json()["code"] == "already_enrolled"


async def test_two_enrollments_racing_give_one_201_and_one_409(
    client: httpx.AsyncClient, instructor: Account, student: Account, db: AsyncSession
) -> None:
    course, _ = await published_course(client, instructor)

    async def attempt() -> httpx.Response:
        return await client.post(
            "/enrollments", headers=student.headers, json={"course_id": course["id"]}
        )

    first, second = await asyncio.gather(attempt(), attempt())
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["code"] == "already_enrolled"
    rows = await db.scalar(
        select(func.count(Enrollment.id)).where(Enrollment.student_id == student.id)
    )
    assert rows == 1
    progress_rows = await db.scalar(select(func.count(LessonProgress.id)))
    assert progress_rows == 3


async def test_enrolling_is_refused_where_it_must_be(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    admin: Account,
) -> None:
    course, _ = await published_course(client, instructor)
    draft = await create_course(client, instructor, title="Draft")
    await add_lesson(client, instructor, draft["id"])
    cases = [
        (student.headers, {"course_id": UNKNOWN}, 404),
        (student.headers, {"course_id": draft["id"]}, 404),
        (student.headers, {"course_id": "not-a-uuid"}, 422),
        (student.headers, {}, 422),
        (student.headers, {"course_id": course["id"], "student_id": str(admin.id)}, 422),
        (instructor.headers, {"course_id": course["id"]}, 403),
        (admin.headers, {"course_id": course["id"]}, 403),
        ({}, {"course_id": course["id"]}, 401),
    ]
    for headers, body, status in cases:
        response = await client.post("/enrollments", headers=headers, json=body)
        assert response.status_code == status, (body, response.text)
    unpublished, _ = await published_course(client, instructor, title="Soon gone")
    await client.post(f"/courses/{unpublished['id']}/unpublish", headers=instructor.headers)
    gone = await client.post(
        "/enrollments", headers=student.headers, json={"course_id": unpublished["id"]}
    )
    assert gone.status_code == 404 and gone.json()["code"] == "course_not_found"


async def test_paid_course_needs_paid_access(
    client: httpx.AsyncClient,
    app: Any,
    settings: Settings,
    instructor: Account,
    student: Account,
    other_student: Account,
) -> None:
    course, _ = await published_course(client, instructor, price="250.00", currency="EGP")
    refused = await client.post(
        "/enrollments", headers=student.headers, json={"course_id": course["id"]}
    )
    assert refused.status_code == 402
    assert refused.json()["code"] == "payment_required"
    assert refused.json()["title"] == "Payment Required"

    paid: set[tuple[uuid.UUID, uuid.UUID]] = {(student.id, uuid.UUID(course["id"]))}

    async def payments_say(_session: AsyncSession, question: enrollments.PaidAccessAsked) -> bool:
        return (question.student_id, question.course_id) in paid

    bus.answer(enrollments.PaidAccessAsked, payments_say)
    try:
        allowed = await client.post(
            "/enrollments", headers=student.headers, json={"course_id": course["id"]}
        )
        assert allowed.status_code == 201
        still_refused = await client.post(
            "/enrollments", headers=other_student.headers, json={"course_id": course["id"]}
        )
        assert still_refused.status_code == 402
    finally:
        bus.unsubscribe(enrollments.PaidAccessAsked, payments_say)

    # What the payments module calls after a succeeded payment: idempotent.
    async with app.state.sessionmaker() as session:
        first = await service.enroll_student(
            session,
            settings=settings,
            student_id=other_student.id,
            course_id=uuid.UUID(course["id"]),
            skip_payment_check=True,
        )
        again = await service.enroll_student(
            session,
            settings=settings,
            student_id=other_student.id,
            course_id=uuid.UUID(course["id"]),
            skip_payment_check=True,
        )
        assert first.id == again.id and first.total_lessons_count == 3
        await commit(session)
    mine = (await client.get("/enrollments/my-courses", headers=other_student.headers)).json()
    assert [e["id"] for e in mine["items"]] == [str(first.id)]


async def test_free_course_service_enroll_refuses_paid_without_access(
    app: Any, client: httpx.AsyncClient, settings: Settings, instructor: Account, student: Account
) -> None:
    course, _ = await published_course(client, instructor, price="10")
    async with app.state.sessionmaker() as session:
        assert not await service.has_paid_access(
            session, student_id=student.id, course_id=uuid.UUID(course["id"])
        )
        with pytest.raises(service.PaymentRequired):
            await service.enroll_student(
                session, settings=settings, student_id=student.id, course_id=uuid.UUID(course["id"])
            )


async def test_lessons_added_later_get_progress_rows(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_student: Account
) -> None:
    course, _ = await published_course(client, instructor, lessons=2)
    first = await enroll(client, student, course["id"])
    second = await enroll(client, other_student, course["id"])
    extra = await add_lesson(client, instructor, course["id"], title="Bonus")
    for account, enrollment in ((student, first), (other_student, second)):
        detail = (
            await client.get(f"/enrollments/{enrollment['id']}", headers=account.headers)
        ).json()
        assert detail["total_lessons_count"] == 3
        assert detail["lesson_progress"][-1]["lesson_id"] == extra["id"]
        assert detail["lesson_progress"][-1]["lesson_title"] == "Bonus"


async def test_my_courses_lists_only_my_enrollments(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_student: Account
) -> None:
    algebra, algebra_lessons = await published_course(client, instructor, title="Algebra")
    poetry, _ = await published_course(client, instructor, title="Poetry")
    mine_algebra = await enroll(client, student, algebra["id"])
    await enroll(client, student, poetry["id"])
    await enroll(client, other_student, poetry["id"])
    await complete_lesson(client, student, mine_algebra["id"], algebra_lessons[0]["id"])

    mine = (await client.get("/enrollments/my-courses", headers=student.headers)).json()
    assert mine["total"] == 2 and mine["page"] == 1 and mine["page_size"] == 20
    by_title = {e["course_title"]: e for e in mine["items"]}
    assert set(by_title) == {"Algebra", "Poetry"}
    assert by_title["Algebra"]["course_slug"] == algebra["slug"]
    assert by_title["Algebra"]["progress_percentage"] == 33.33
    assert by_title["Algebra"]["completed_lessons_count"] == 1
    assert all(e["student_id"] == str(student.id) for e in mine["items"])
    theirs = (await client.get("/enrollments/my-courses", headers=other_student.headers)).json()
    assert [e["course_title"] for e in theirs["items"]] == ["Poetry"]
    completed = await client.get(
        "/enrollments/my-courses", headers=student.headers, params={"status": "completed"}
    )
    assert completed.json()["total"] == 0
    # Pages count the whole list, also the page past its end.
    for page, titles in ((1, ["Poetry"]), (2, ["Algebra"]), (3, [])):
        paged = await client.get(
            "/enrollments/my-courses",
            headers=student.headers,
            params={"page": page, "page_size": 1},
        )
        assert paged.json()["total"] == 2
        assert [e["course_title"] for e in paged.json()["items"]] == titles
    assert (await client.get("/enrollments/my-courses")).status_code == 401
    bad = await client.get(
        "/enrollments/my-courses", headers=student.headers, params={"page_size": 1000}
    )
    assert bad.status_code == 422
    bad_status = await client.get(
        "/enrollments/my-courses", headers=student.headers, params={"status": "paused"}
    )
    assert bad_status.status_code == 422


async def test_an_enrollment_is_visible_to_its_student_the_instructor_and_admins_only(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    course, _ = await published_course(client, instructor)
    enrollment = await enroll(client, student, course["id"])
    for caller in (student, instructor, admin):
        response = await client.get(f"/enrollments/{enrollment['id']}", headers=caller.headers)
        assert response.status_code == 200 and response.json()["id"] == enrollment["id"]
    for caller in (other_student, other_instructor):
        response = await client.get(f"/enrollments/{enrollment['id']}", headers=caller.headers)
        assert response.status_code == 404
    assert (await client.get(f"/enrollments/{enrollment['id']}")).status_code == 401
    assert (await client.get(f"/enrollments/{UNKNOWN}", headers=admin.headers)).status_code == 404
    assert (await client.get("/enrollments/not-a-uuid", headers=admin.headers)).status_code == 422


async def test_course_roster_for_its_instructor_and_admins(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    course, _ = await published_course(client, instructor)
    await enroll(client, student, course["id"])
    await enroll(client, other_student, course["id"])
    for caller in (instructor, admin):
        roster = await client.get(f"/enrollments/courses/{course['id']}", headers=caller.headers)
        assert roster.status_code == 200
        body = roster.json()
        assert body["total"] == 2
        assert {(e["student_name"], e["student_email"]) for e in body["items"]} == {
            (student.full_name, student.email),
            (other_student.full_name, other_student.email),
        }
    paged = await client.get(
        f"/enrollments/courses/{course['id']}",
        headers=instructor.headers,
        params={"page_size": 1, "page": 2},
    )
    assert paged.json()["total"] == 2 and len(paged.json()["items"]) == 1
    for caller in (other_instructor, student):
        refused = await client.get(f"/enrollments/courses/{course['id']}", headers=caller.headers)
        assert refused.status_code == 403
    draft = await create_course(client, instructor, title="Hidden")
    hidden = await client.get(
        f"/enrollments/courses/{draft['id']}", headers=other_instructor.headers
    )
    assert hidden.status_code == 404
    unknown = await client.get(f"/enrollments/courses/{UNKNOWN}", headers=admin.headers)
    assert unknown.status_code == 404
    too_big = await client.get(
        f"/enrollments/courses/{course['id']}",
        headers=instructor.headers,
        params={"page_size": 1000},
    )
    assert too_big.status_code == 422
