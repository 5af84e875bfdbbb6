"""A small school with one of every object, built through the HTTP API, so that every
path parameter of every route has something real to point at.

The student owns the student-side objects (enrollment, progress, attempt, submission,
certificate, private file, payment, subscription); the owner teaches the courses. The
other student, the other instructor and the admin own nothing.

The course has a team: a co-instructor (an instructor account), and two assistants
(student accounts: any active account can be staff), one of the student's cohort
("Morning") and one of another ("Evening"). The draft course has the same team, the
assistants working on the whole course there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from lms.core.config import Settings
from lms.core.security import create_access_token
from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import Headers, ok
from tests.factories.certificates import generate_certificate
from tests.factories.courses import add_lesson, publish_course, published_course
from tests.factories.enrollments import complete_course, enroll
from tests.factories.files import pdf, upload_file
from tests.factories.payments import pay_with_stripe, subscribe
from tests.factories.quizzes import add_question, create_quiz, publish_quiz, start_attempt
from tests.factories.teams import add_staff, create_cohort, move_to_cohort

CALLERS = (
    "anonymous",
    "student",
    "other_student",
    "other_instructor",
    "owner",
    "admin",
    "co_instructor",
    "assistant_in",
    "assistant_out",
)


@dataclass
class World:
    settings: Settings
    student: Account
    other_student: Account
    owner: Account
    other_instructor: Account
    admin: Account
    spare: Account
    co_instructor: Account
    assistant_in: Account
    assistant_out: Account
    cohort: dict[str, Any] = field(default_factory=dict)
    other_cohort: dict[str, Any] = field(default_factory=dict)
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

    def caller(self, caller: str) -> Headers:
        """The caller with a fresh access token (see ``headers``), for the factories."""
        return Headers(self.headers(caller))

    @property
    def accounts(self) -> list[Account]:
        return [
            self.student,
            self.other_student,
            self.owner,
            self.other_instructor,
            self.admin,
            self.co_instructor,
            self.assistant_in,
            self.assistant_out,
        ]

    async def add_team(
        self, client: httpx.AsyncClient, course_id: str, cohorts: tuple[str, str] | None = None
    ) -> None:
        """The co-instructor and both assistants on the course's team (the assistants
        of ``cohorts``' first and second cohort, or of the whole course)."""
        owner = self.caller("owner")
        await add_staff(client, owner, course_id, self.co_instructor.id, "co_instructor")
        await add_staff(
            client, owner, course_id, self.assistant_in.id, "assistant",
            [cohorts[0]] if cohorts else [],
        )  # fmt: skip
        await add_staff(
            client, owner, course_id, self.assistant_out.id, "assistant",
            [cohorts[1]] if cohorts else [],
        )  # fmt: skip


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
        co_instructor=await make_account("instructor", full_name="Cora Coteacher"),
        assistant_in=await make_account("student", full_name="Asma Assistant"),
        assistant_out=await make_account("student", full_name="Otto Otherclass"),
    )
    student, owner = world.student, world.owner

    # A published free course: two text lessons (the first a preview), an assignment
    # lesson and a graded quiz.
    world.course, world.lessons = await published_course(client, owner, lessons=2, publish=False)
    world.assignment = await add_lesson(
        client,
        owner,
        world.course["id"],
        title="Homework",
        lesson_type="assignment",
        content="Write",
    )
    world.course = await publish_course(client, owner, world.course["id"])
    world.quiz = await create_quiz(
        client, owner, world.course["id"], title="Checkpoint", quiz_type="graded"
    )
    world.questions = [
        await add_question(
            client,
            owner,
            world.quiz["id"],
            question_text="Which one is prime?",
            question_type="multiple_choice",
            options=["4", "6", "7"],
            correct_answer="7",
            explanation="Seven has no divisors but 1 and itself.",
        ),
        await add_question(
            client,
            owner,
            world.quiz["id"],
            question_text="The sky is green.",
            question_type="true_false",
            correct_answer="false",
        ),
    ]
    world.quiz = await publish_quiz(client, owner, world.course["id"], world.quiz["id"])
    world.draft_course, _ = await published_course(client, owner, lessons=1, publish=False)
    world.cohort = await create_cohort(client, owner, world.course["id"], name="Morning")
    world.other_cohort = await create_cohort(client, owner, world.course["id"], name="Evening")
    await world.add_team(client, world.course["id"], (world.cohort["id"], world.other_cohort["id"]))
    await world.add_team(client, world.draft_course["id"])

    # The student: enrolled, part-way through, an attempt in progress, homework handed in.
    world.enrollment = await enroll(client, student, world.course["id"])
    world.enrollment = await move_to_cohort(
        client, owner, world.course["id"], world.enrollment["id"], world.cohort["id"]
    )
    ok(
        await client.put(
            f"/enrollments/{world.enrollment['id']}/lessons/{world.lessons[0]['id']}/progress",
            headers=student.headers,
            json={"time_spent_seconds": 60, "completion_percentage": 50},
        )
    )
    world.attempt = await start_attempt(client, student, world.quiz["id"])
    world.file = await upload_file(client, student, "notes.pdf", pdf("student notes"))
    world.submission = ok(
        await client.post(
            f"/lessons/{world.assignment['id']}/submissions",
            headers=student.headers,
            json={"text": "My answer", "file_id": world.file["id"]},
        ),
        201,
    )

    # A one-lesson course the student completed, with its certificate.
    world.short_course, world.completed_enrollment = await complete_course(
        client, owner, student, lessons=1
    )
    world.certificate = await generate_certificate(
        client, student, world.completed_enrollment["id"]
    )

    # A paid course, paid for by the student (Stripe, confirmed by a signed webhook),
    # and a subscription.
    world.paid_course, _ = await published_course(client, owner, lessons=1, price="250.00")
    world.payment = await pay_with_stripe(client, student, world.paid_course)
    world.subscription = await subscribe(client, student)
    return world


__all__ = ["CALLERS", "World", "build_world"]
