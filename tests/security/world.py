"""A small school with one of every object, built through the HTTP API, so that every
path parameter of every route has something real to point at.

The student owns the student-side objects (enrollment, progress, attempt, submission,
certificate, private file, payment, subscription); the owner teaches the courses. The
other student, the other instructor and the admin own nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from lms.core.config import Settings
from lms.core.security import create_access_token
from tests.conftest import Account, AccountFactory
from tests.files.conftest import pdf
from tests.payments import fakes
from tests.payments.flows import send_stripe, stripe_intent, stripe_pays

CALLERS = ("anonymous", "student", "other_student", "other_instructor", "owner", "admin")


def ok(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in (statuses or (200, 201)), (
        f"{response.request.method} {response.request.url}: "
        f"{response.status_code} {response.text[:500]}"
    )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


@dataclass
class World:
    settings: Settings
    student: Account
    other_student: Account
    owner: Account
    other_instructor: Account
    admin: Account
    spare: Account
    course: dict[str, Any] = field(default_factory=dict)
    lessons: list[dict[str, Any]] = field(default_factory=list)
    assignment: dict[str, Any] = field(default_factory=dict)
    draft_course: dict[str, Any] = field(default_factory=dict)
    quiz: dict[str, Any] = field(default_factory=dict)
    questions: list[dict[str, Any]] = field(default_factory=list)
    enrollment: dict[str, Any] = field(default_factory=dict)
    attempt: dict[str, Any] = field(default_factory=dict)
    submission: dict[str, Any] = field(default_factory=dict)
    short_course: dict[str, Any] = field(default_factory=dict)
    completed_enrollment: dict[str, Any] = field(default_factory=dict)
    certificate: dict[str, Any] = field(default_factory=dict)
    file: dict[str, Any] = field(default_factory=dict)
    paid_course: dict[str, Any] = field(default_factory=dict)
    payment: dict[str, Any] = field(default_factory=dict)
    subscription: dict[str, Any] = field(default_factory=dict)

    def account(self, caller: str) -> Account | None:
        return None if caller == "anonymous" else getattr(self, caller)

    def headers(self, caller: str) -> dict[str, str]:
        """A fresh access token for the caller, so that a call which ends a session
        (logout, a password change) ends only that one."""
        account = self.account(caller)
        if account is None:
            return {}
        token, _ = create_access_token(self.settings, user_id=account.id, role=account.role)
        return {"Authorization": f"Bearer {token}"}

    @property
    def accounts(self) -> list[Account]:
        return [self.student, self.other_student, self.owner, self.other_instructor, self.admin]


async def new_course(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    lessons: int = 2,
    publish: bool = True,
    **fields: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    body = {"title": f"Course {uuid.uuid4().hex[:8]}", "description": "About testing", **fields}
    course = ok(await client.post("/courses", headers=headers, json=body), 201)
    made = [
        ok(
            await client.post(
                f"/courses/{course['id']}/lessons",
                headers=headers,
                json={
                    "title": f"Lesson {index + 1}",
                    "lesson_type": "text",
                    "content": "Material for enrolled students",
                    "is_preview": index == 0,
                },
            ),
            201,
        )
        for index in range(lessons)
    ]
    if publish:
        course = ok(await client.post(f"/courses/{course['id']}/publish", headers=headers))
    return course, made


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, content: bytes, **fields: str
) -> dict[str, Any]:
    response = await client.post(
        "/files/upload",
        headers=headers,
        data=fields,
        files={"file": (name, content, "application/octet-stream")},
    )
    return ok(response, 201)


async def build_world(
    client: httpx.AsyncClient, make_account: AccountFactory, settings: Settings
) -> World:
    """Everything, in about a second. Payments need the fake providers configured
    (``tests.payments.conftest.PaymentsWorld``)."""
    world = World(
        settings=settings,
        student=await make_account("student", full_name="Sara Student"),
        other_student=await make_account("student", full_name="Omar Other"),
        owner=await make_account("instructor", full_name="Ines Owner"),
        other_instructor=await make_account("instructor", full_name="Ivan Outsider"),
        admin=await make_account("admin", full_name="Ada Admin"),
        spare=await make_account("student", full_name="Sam Spare"),
    )
    student, owner = world.student, world.owner

    # A published free course: two text lessons (the first a preview), an assignment
    # lesson and a graded quiz.
    world.course, world.lessons = await new_course(client, owner.headers, publish=False)
    world.assignment = ok(
        await client.post(
            f"/courses/{world.course['id']}/lessons",
            headers=owner.headers,
            json={"title": "Homework", "lesson_type": "assignment", "content": "Write"},
        ),
        201,
    )
    world.course = ok(
        await client.post(f"/courses/{world.course['id']}/publish", headers=owner.headers)
    )
    world.quiz = ok(
        await client.post(
            f"/courses/{world.course['id']}/quizzes",
            headers=owner.headers,
            json={"title": "Checkpoint", "quiz_type": "graded"},
        ),
        201,
    )
    world.questions = [
        ok(
            await client.post(
                f"/quizzes/{world.quiz['id']}/questions",
                headers=owner.headers,
                json={
                    "question_text": "Which one is prime?",
                    "question_type": "multiple_choice",
                    "options": ["4", "6", "7"],
                    "correct_answer": "7",
                    "explanation": "Seven has no divisors but 1 and itself.",
                },
            ),
            201,
        ),
        ok(
            await client.post(
                f"/quizzes/{world.quiz['id']}/questions",
                headers=owner.headers,
                json={
                    "question_text": "The sky is green.",
                    "question_type": "true_false",
                    "correct_answer": "false",
                },
            ),
            201,
        ),
    ]
    world.quiz = ok(
        await client.post(
            f"/courses/{world.course['id']}/quizzes/{world.quiz['id']}/publish",
            headers=owner.headers,
        )
    )
    world.draft_course, _ = await new_course(client, owner.headers, lessons=1, publish=False)

    # The student: enrolled, part-way through, an attempt in progress, homework handed in.
    world.enrollment = ok(
        await client.post(
            "/enrollments", headers=student.headers, json={"course_id": world.course["id"]}
        ),
        201,
    )
    ok(
        await client.put(
            f"/enrollments/{world.enrollment['id']}/lessons/{world.lessons[0]['id']}/progress",
            headers=student.headers,
            json={"time_spent_seconds": 60, "completion_percentage": 50},
        )
    )
    world.attempt = ok(
        await client.post(f"/quizzes/{world.quiz['id']}/attempts", headers=student.headers), 201
    )
    world.file = await upload(client, student.headers, "notes.pdf", pdf("student notes"))
    world.submission = ok(
        await client.post(
            f"/lessons/{world.assignment['id']}/submissions",
            headers=student.headers,
            json={"text": "My answer", "file_id": world.file["id"]},
        ),
        201,
    )

    # A one-lesson course the student completed, with its certificate.
    world.short_course, short_lessons = await new_course(client, owner.headers, lessons=1)
    world.completed_enrollment = ok(
        await client.post(
            "/enrollments", headers=student.headers, json={"course_id": world.short_course["id"]}
        ),
        201,
    )
    ok(
        await client.post(
            f"/enrollments/{world.completed_enrollment['id']}/lessons/"
            f"{short_lessons[0]['id']}/complete",
            headers=student.headers,
        )
    )
    world.certificate = ok(
        await client.post(
            "/certificates/generate",
            headers=student.headers,
            json={"enrollment_id": world.completed_enrollment["id"]},
        ),
        201,
    )

    # A paid course, paid for by the student (Stripe, confirmed by a signed webhook),
    # and a subscription.
    world.paid_course, _ = await new_course(client, owner.headers, lessons=1, price="250.00")
    world.payment = ok(
        await client.post(
            "/payments/create-payment-intent",
            headers=student.headers,
            json={"course_id": world.paid_course["id"], "provider": "stripe"},
        ),
        201,
    )
    ok(await stripe_pays(client, world.payment))
    world.subscription = ok(
        await client.post(
            "/payments/create-subscription", headers=student.headers, json={"plan": "monthly"}
        ),
        201,
    )
    return world


async def pay_for(client: httpx.AsyncClient, world: World, course: dict[str, Any]) -> None:
    """A succeeded Stripe payment by the student for ``course``."""
    payment = ok(
        await client.post(
            "/payments/create-payment-intent",
            headers=world.headers("student"),
            json={"course_id": course["id"], "provider": "stripe"},
        ),
        201,
    )
    event = fakes.stripe_event("payment_intent.succeeded", stripe_intent(payment))
    ok(await send_stripe(client, event))


__all__ = ["CALLERS", "World", "build_world", "new_course", "ok", "upload"]
