"""A person with data in every module, written through the HTTP API: an account with a
profile, a roster import naming them (one line refused), an enrollment with progress
and a review, a quiz attempt whose free-text answer holds their name, an assignment
handed in with text and a file, a completed course with its certificate, a Stripe
payment, a private upload, emails in the outbox and webhook deliveries about them, a due
date of their own, a course grade set by hand with a reason naming them, a calendar
feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from lms.core import jobs
from lms.core.config import Settings
from tests.factories.accounts import PASSWORD, Account, login
from tests.factories.api import Headers, ok
from tests.factories.certificates import generate_certificate
from tests.factories.courses import add_lesson, publish_course, published_course
from tests.factories.enrollments import complete_course
from tests.factories.files import pdf, upload_file
from tests.factories.payments import pay_with_stripe
from tests.factories.quizzes import add_question, create_quiz, publish_quiz, start_attempt
from tests.factories.webhooks import Receiver, register_endpoint

NAME = "Zephyrine Quillfeather"
EMAIL = "zephyrine.quillfeather@example.org"
# What the scans look for: the address, the whole name and each of its parts.
NEEDLES = (EMAIL, NAME, "zephyrine", "quillfeather")


@dataclass
class Person:
    account: Account
    course: dict[str, Any]
    paid_course: dict[str, Any]
    short_course: dict[str, Any]
    enrollment: dict[str, Any]
    certificate: dict[str, Any]
    payment: dict[str, Any]
    file: dict[str, Any]
    submission: dict[str, Any]


async def make_person(
    app: Any,
    client: httpx.AsyncClient,
    settings: Settings,
    *,
    admin: Account,
    instructor: Account,
    receiver: Receiver,
) -> Person:
    async def drain() -> None:
        while await jobs.drain(app.state.sessionmaker, settings):
            pass

    # Webhooks hear everything from now on; the account is created by an admin.
    await register_endpoint(client, admin, receiver.url)
    created = ok(
        await client.post(
            "/users",
            headers=admin.headers,
            json={"email": EMAIL, "password": PASSWORD, "full_name": NAME, "role": "student"},
        ),
        201,
    )
    tokens = ok(await login(client, EMAIL), 200)
    account = Account(
        id=created["id"],
        email=EMAIL,
        role="student",
        full_name=NAME,
        password=PASSWORD,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )
    me = Headers(account.headers)
    ok(
        await client.patch(
            "/users/me",
            headers=me.headers,
            json={"profile_metadata": {"bio": f"I am {NAME}", "phone": "+20 100 000 0000"}},
        )
    )
    ok(await client.post("/auth/verify-email/request", headers=me.headers), 202)

    # A course with a text lesson, an assignment and a quiz with a free-text question.
    course, lessons = await published_course(client, instructor, lessons=1, publish=False)
    homework = await add_lesson(
        client,
        instructor,
        course["id"],
        title="Homework",
        lesson_type="assignment",
        content="Write",
    )
    course = await publish_course(client, instructor, course["id"])
    quiz = await create_quiz(
        client, instructor, course["id"], title="About you", quiz_type="graded"
    )
    question = await add_question(
        client,
        instructor,
        quiz["id"],
        question_text="Introduce yourself.",
        question_type="essay",
    )
    await publish_quiz(client, instructor, course["id"], quiz["id"])

    # A roster import of that course names the person twice: enrolled, and refused.
    roster = (
        "email,full_name,role\r\n"
        f"{EMAIL},{NAME},student\r\n"
        f"{EMAIL.upper()},{NAME},principal\r\n"
        "someone.else@example.com,Someone Else,student\r\n"
    ).encode()
    ok(
        await client.post(
            f"/courses/{course['id']}/roster/imports",
            headers={**instructor.headers, "Content-Type": "text/csv"},
            content=roster,
        ),
        202,
    )
    await drain()
    enrollment = await _enrollment_in(client, me, course["id"])

    ok(
        await client.put(
            f"/enrollments/{enrollment['id']}/lessons/{lessons[0]['id']}/progress",
            headers=me.headers,
            json={"time_spent_seconds": 120, "completion_percentage": 60},
        )
    )
    attempt = await start_attempt(client, me, quiz["id"])
    ok(
        await client.post(
            f"/quizzes/{quiz['id']}/attempts/{attempt['id']}/submit",
            headers=me.headers,
            json={"answers": [{"question_id": question["id"], "answer": f"My name is {NAME}."}]},
        )
    )
    file = await upload_file(client, me, "zephyrine-essay.pdf", pdf(f"Essay by {NAME}"))
    submission = ok(
        await client.post(
            f"/lessons/{homework['id']}/submissions",
            headers=me.headers,
            json={"text": f"Homework of {NAME} ({EMAIL})", "file_id": file["id"]},
        ),
        201,
    )
    upload = await upload_file(client, me, "passport.pdf", pdf(f"Passport of {NAME}"))

    # The course's staff gave them a later due date and set their course grade by hand,
    # with a reason that names them; they have a calendar feed.
    ok(
        await client.put(
            f"/lessons/{homework['id']}/schedule",
            headers=instructor.headers,
            json={"due_at": "2030-01-10T12:00:00Z"},
        )
    )
    ok(
        await client.post(
            f"/lessons/{homework['id']}/schedule/overrides",
            headers=instructor.headers,
            json={"student_id": str(account.id), "due_at": "2030-01-20T12:00:00Z"},
        ),
        201,
    )
    ok(
        await client.put(
            f"/courses/{course['id']}/gradebook/{account.id}/override",
            headers=instructor.headers,
            json={"grade": "75", "reason": f"Oral exam for {NAME}"},
        )
    )
    ok(await client.get("/me/calendar/feed", headers=me.headers))

    # A course completed, reviewed, with its certificate; a paid course.
    short_course, completed = await complete_course(client, instructor, me, lessons=1)
    ok(
        await client.post(
            f"/enrollments/{completed['id']}/review",
            headers=me.headers,
            json={"rating": 5, "review": f"Great course, signed {NAME}"},
        ),
        200,
        201,
    )
    certificate = await generate_certificate(client, me, completed["id"])
    paid_course, _ = await published_course(client, instructor, lessons=1, price="250.00")
    payment = await pay_with_stripe(client, me, paid_course)
    await drain()
    return Person(
        account=account,
        course=course,
        paid_course=paid_course,
        short_course=short_course,
        enrollment=enrollment,
        certificate=certificate,
        payment=payment,
        file=upload,
        submission=submission,
    )


async def _enrollment_in(client: httpx.AsyncClient, me: Headers, course_id: str) -> dict[str, Any]:
    """The person's enrollment in the course (the roster import made it)."""
    listed = ok(await client.get("/enrollments/my-courses", headers=me.headers))["items"]
    found = [item for item in listed if item["course_id"] == course_id]
    assert found, "the roster import enrolled the person"
    return found[0]
