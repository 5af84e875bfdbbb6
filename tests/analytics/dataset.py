"""A small, hand-built data set whose every figure is known (see the expected values in
the tests). Rows are written directly so that dates, statuses and scores are exact.

Course "Data" (instructor, published, lessons L1..L4) has six students:

| student | status    | lessons completed | in progress        | progress | rating | last access |
|---------|-----------|-------------------|--------------------|----------|--------|-------------|
| s1      | completed | L1 L2 L3 L4       |                    | 100      | 5      | 1 day ago   |
| s2      | completed | L1 L2 L3 L4       |                    | 100      | 4      | 40 days ago |
| s3      | active    | L1 L2             | L3 (300 s)         | 50       | 3      | 2 days ago  |
| s4      | active    | L1                | L3 (900 s)         | 25       | -      | 10 days ago |
| s5      | dropped   | L1                | L3 (300 s)         | 25       | 1      | 60 days ago |
| s6      | dropped   |                   |                    | 0        | -      | never       |

A completed lesson took 600 s. Enrolled on 2025-03-01 (s1, s2), 03-02 (s3), 03-05 (s4,
s5 at 23:30 UTC) and 2025-02-28 (s6); s1 completed on 03-03, s2 on 03-09.

Quizzes: Q1 (passing 70) graded 100 (s1), 80 (s2), 45 then 70 (s3); Q2 graded 90 (s1),
10 (s4), s5's attempt awaits a grader, s6's is still open.

Payments for Data: stripe 100.00 EGP, paymob 100.00 EGP refunded 30.00, myfatoorah
100.00 EGP fully refunded, stripe 50.00 USD; a pending and a failed one that count for
nothing. Course "Second" (instructor, published): s1 active at 40 % (one of two lessons,
300 s), paymob 20.00 EGP. Course "Elsewhere" (other instructor): stripe 200.00 EGP.
Course "Draft" (instructor): nothing. s1 has a certificate, s2 a revoked one. s6 last
signed in 40 days ago; s7 is a deactivated student with nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.core.session import commit
from lms.modules.certificates.models import Certificate
from lms.modules.courses.models import Course, Lesson
from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.quizzes.models import Quiz
from lms.modules.users.models import User
from tests.factories.accounts import Account, AccountFactory
from tests.factories.courses import course_row, lesson_row
from tests.factories.payments import payment_row
from tests.factories.quizzes import attempt_row

LESSON_SECONDS = 600
IN_PROGRESS_SECONDS = {"s3": 300, "s4": 900, "s5": 300}


def at(day: str, clock: str = "10:00") -> datetime:
    """``clock`` o'clock UTC on ``day`` (an ISO date)."""
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00")


@dataclass
class DataSet:
    instructor: Account
    other_instructor: Account
    admin: Account
    students: dict[str, Account]
    course_id: uuid.UUID
    second_course_id: uuid.UUID
    elsewhere_course_id: uuid.UUID
    draft_course_id: uuid.UUID
    lesson_ids: list[uuid.UUID]
    quiz_ids: list[uuid.UUID]
    enrollment_ids: dict[str, uuid.UUID] = field(default_factory=dict)


async def build(
    db: AsyncSession,
    make_account: AccountFactory,
    *,
    instructor: Account,
    other_instructor: Account,
    admin: Account,
) -> DataSet:
    students = {f"s{n}": await make_account("student") for n in range(1, 8)}
    now = utcnow()
    data = course_row(instructor.id, "Data", published=True, created_at=at("2025-01-01"))
    second = course_row(instructor.id, "Second", published=True, created_at=at("2025-01-02"))
    elsewhere = course_row(other_instructor.id, "Elsewhere", published=True)
    draft = course_row(instructor.id, "Draft", published=False, created_at=at("2025-01-03"))

    def lessons_of(course: Course, count: int) -> list[Lesson]:
        # One minute apart, so that their order by creation is their order.
        first = at("2025-01-01")
        return [
            lesson_row(course.id, index, created_at=first + timedelta(minutes=index))
            for index in range(count)
        ]

    lessons = lessons_of(data, 4)
    second_lessons = lessons_of(second, 2)
    db.add_all([data, second, elsewhere, draft])
    await db.flush()
    db.add_all([*lessons, *second_lessons, *lessons_of(elsewhere, 1), *lessons_of(draft, 1)])
    await db.flush()

    plan: dict[str, dict[str, Any]] = {
        "s1": {"status": "completed", "done": 4, "doing": None, "progress": "100", "rating": 5,
               "seen": now - timedelta(days=1), "enrolled": at("2025-03-01"),
               "completed": at("2025-03-03")},
        "s2": {"status": "completed", "done": 4, "doing": None, "progress": "100", "rating": 4,
               "seen": now - timedelta(days=40), "enrolled": at("2025-03-01", "08:00"),
               "completed": at("2025-03-09")},
        "s3": {"status": "active", "done": 2, "doing": 2, "progress": "50", "rating": 3,
               "seen": now - timedelta(days=2), "enrolled": at("2025-03-02")},
        "s4": {"status": "active", "done": 1, "doing": 2, "progress": "25", "rating": None,
               "seen": now - timedelta(days=10), "enrolled": at("2025-03-05")},
        "s5": {"status": "dropped", "done": 1, "doing": 2, "progress": "25", "rating": 1,
               "seen": now - timedelta(days=60), "enrolled": at("2025-03-05", "23:30")},
        "s6": {"status": "dropped", "done": 0, "doing": None, "progress": "0", "rating": None,
               "seen": None, "enrolled": at("2025-02-28")},
    }  # fmt: skip
    dataset = DataSet(
        instructor=instructor,
        other_instructor=other_instructor,
        admin=admin,
        students=students,
        course_id=data.id,
        second_course_id=second.id,
        elsewhere_course_id=elsewhere.id,
        draft_course_id=draft.id,
        lesson_ids=[lesson.id for lesson in lessons],
        quiz_ids=[],
    )
    enrollments: dict[str, Enrollment] = {}
    progress: list[LessonProgress] = []
    for name, row in plan.items():
        doing_seconds = IN_PROGRESS_SECONDS.get(name, 0)
        enrollment = Enrollment(
            id=uuid.uuid4(),
            student_id=students[name].id,
            course_id=data.id,
            status=row["status"],
            enrolled_at=row["enrolled"],
            completed_at=row.get("completed"),
            progress_percentage=Decimal(row["progress"]),
            completed_lessons_count=row["done"],
            total_lessons_count=4,
            total_time_spent_seconds=row["done"] * LESSON_SECONDS + doing_seconds,
            last_accessed_at=row["seen"],
            rating=row["rating"],
        )
        enrollments[name] = enrollment
        dataset.enrollment_ids[name] = enrollment.id
        # s4 and s5 skipped L2: they completed L1 only and moved on to L3.
        completed_lessons = [0] if name == "s4" else list(range(row["done"]))
        for index, lesson in enumerate(lessons):
            if index in completed_lessons:
                status, seconds = "completed", LESSON_SECONDS
                done_at: datetime | None = row["enrolled"] + timedelta(hours=index + 1)
            elif index == row["doing"]:
                status, seconds, done_at = "in_progress", doing_seconds, None
            else:
                status, seconds, done_at = "not_started", 0, None
            touched = done_at or (row["enrolled"] + timedelta(hours=12) if seconds else None)
            progress.append(
                LessonProgress(
                    enrollment_id=enrollment.id,
                    lesson_id=lesson.id,
                    status=status,
                    time_spent_seconds=seconds,
                    started_at=touched,
                    completed_at=done_at,
                    updated_at=touched,
                    completion_percentage=Decimal(100 if status == "completed" else 0),
                )
            )
    s1_second = Enrollment(
        id=uuid.uuid4(),
        student_id=students["s1"].id,
        course_id=second.id,
        status="active",
        enrolled_at=at("2025-04-01"),
        progress_percentage=Decimal("40"),
        completed_lessons_count=1,
        total_lessons_count=2,
        total_time_spent_seconds=300,
        last_accessed_at=now - timedelta(days=1),
    )
    db.add_all([*enrollments.values(), s1_second])
    await db.flush()
    progress += [
        LessonProgress(
            enrollment_id=s1_second.id,
            lesson_id=second_lessons[0].id,
            status="completed",
            time_spent_seconds=300,
            started_at=at("2025-04-02"),
            completed_at=at("2025-04-02", "11:00"),
            updated_at=at("2025-04-02", "11:00"),
        ),
        LessonProgress(
            enrollment_id=s1_second.id, lesson_id=second_lessons[1].id, status="not_started"
        ),
    ]
    db.add_all(progress)

    q1 = Quiz(id=uuid.uuid4(), course_id=data.id, title="Q1", passing_score=Decimal("70"))
    q2 = Quiz(id=uuid.uuid4(), course_id=data.id, title="Q2", passing_score=Decimal("70"))
    q1.created_at, q2.created_at = at("2025-01-05"), at("2025-01-06")
    dataset.quiz_ids = [q1.id, q2.id]
    db.add_all([q1, q2])
    await db.flush()
    attempts = [
        (q1, "s1", 1, "graded", "100", at("2025-03-03", "09:00")),
        (q1, "s2", 1, "graded", "80", at("2025-03-04")),
        (q1, "s3", 1, "graded", "45", at("2025-03-04")),
        (q1, "s3", 2, "graded", "70", at("2025-03-06")),
        (q2, "s1", 1, "graded", "90", at("2025-03-03", "12:00")),
        (q2, "s4", 1, "graded", "10", at("2025-03-07")),
        (q2, "s5", 1, "submitted", None, at("2025-03-07")),
        (q2, "s6", 1, "in_progress", None, None),
    ]
    for quiz, name, number, status, pct, when in attempts:
        db.add(
            attempt_row(
                quiz_id=quiz.id,
                enrollment_id=enrollments[name].id,
                student_id=students[name].id,
                attempt_number=number,
                status=status,
                percentage=pct,
                submitted_at=when,
            )
        )

    s1, s2 = students["s1"], students["s2"]
    # payer, course, provider, amount, paid at, and the rest where it differs
    payments: list[tuple[Account, Course, str, str, datetime, dict[str, str]]] = [
        (s1, data, "stripe", "100.00", at("2025-03-02"), {}),
        (s2, data, "paymob", "100.00", at("2025-03-05"), {"refunded": "30.00"}),
        (students["s3"], data, "myfatoorah", "100.00", at("2025-02-10"),
         {"status": "refunded", "refunded": "100.00"}),
        (s1, data, "stripe", "50.00", at("2025-03-07"), {"currency": "USD"}),
        (students["s4"], data, "stripe", "100.00", now, {"status": "pending"}),
        (students["s5"], data, "paymob", "100.00", now, {"status": "failed"}),
        (s1, second, "paymob", "20.00", at("2025-03-20"), {}),
        (s2, elsewhere, "stripe", "200.00", at("2025-01-15"), {}),
    ]  # fmt: skip
    db.add_all(
        payment_row(
            user_id=payer.id,
            course_id=course.id,
            provider=provider,
            amount=amount,
            paid_at=paid_at,
            **more,
        )
        for payer, course, provider, amount, paid_at, more in payments
    )
    db.add_all(
        [
            Certificate(
                enrollment_id=enrollments["s1"].id,
                student_id=s1.id,
                course_id=data.id,
                certificate_number=f"CERT-20250303-{uuid.uuid4().hex[:8].upper()}",
                completion_date=at("2025-03-03"),
            ),
            Certificate(
                enrollment_id=enrollments["s2"].id,
                student_id=s2.id,
                course_id=data.id,
                certificate_number=f"CERT-20250309-{uuid.uuid4().hex[:8].upper()}",
                completion_date=at("2025-03-09"),
                is_revoked=True,
                revoked_at=now,
            ),
        ]
    )
    await db.execute(
        update(User)
        .where(User.id == students["s6"].id)
        .values(last_login_at=now - timedelta(days=40))
    )
    await db.execute(update(User).where(User.id == students["s7"].id).values(is_active=False))
    await commit(db)
    return dataset
