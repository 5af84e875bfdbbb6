"""quiz.attempt.graded.v1: a passed graded quiz completes its lesson (the enrollments
subscriber in lms/wiring.py), published here as the quizzes module publishes it, and
read back through the API."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx

from lms.core import events
from lms.core.session import commit
from lms.modules.enrollments import service
from lms.modules.quizzes.events import QuizAttemptGraded
from tests.factories.accounts import Account
from tests.factories.courses import published_course
from tests.factories.enrollments import enroll, get_enrollment


async def graded(
    app: Any,
    enrollment: dict[str, Any],
    lesson: dict[str, Any] | None,
    *,
    passed: bool = True,
    quiz_type: str = "graded",
) -> None:
    async with app.state.sessionmaker() as session:
        await events.publish(
            session,
            QuizAttemptGraded(
                quiz_id=uuid.uuid4(),
                attempt_id=uuid.uuid4(),
                student_id=uuid.UUID(enrollment["student_id"]),
                enrollment_id=uuid.UUID(enrollment["id"]),
                course_id=uuid.UUID(enrollment["course_id"]),
                lesson_id=uuid.UUID(lesson["id"]) if lesson else None,
                quiz_type=quiz_type,
                score=Decimal("8"),
                max_score=Decimal("10"),
                percentage=Decimal("80"),
                passed=passed,
            ),
        )
        await commit(session)


def completed_lessons(enrollment: dict[str, Any]) -> set[str]:
    return {p["lesson_id"] for p in enrollment["lesson_progress"] if p["status"] == "completed"}


async def test_a_passed_graded_quiz_completes_its_lesson_and_nothing_else_does(
    app: Any, client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, lessons=2)
    enrollment = await enroll(client, student, course["id"])

    await graded(app, enrollment, lessons[0], passed=False)
    await graded(app, enrollment, lessons[0], quiz_type="practice")
    await graded(app, enrollment, None)  # a quiz of the course, of no lesson
    assert completed_lessons(await get_enrollment(client, student, enrollment["id"])) == set()

    await graded(app, enrollment, lessons[0])
    after = await get_enrollment(client, student, enrollment["id"])
    assert completed_lessons(after) == {lessons[0]["id"]}
    assert after["completed_lessons_count"] == 1 and after["status"] == "active"


async def test_a_dropped_enrollment_keeps_the_grade_but_not_the_lesson(
    app: Any, client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, lessons=1)
    enrollment = await enroll(client, student, course["id"])
    async with app.state.sessionmaker() as session:
        assert await service.drop_enrollment(
            session, student_id=student.id, course_id=uuid.UUID(course["id"])
        )
        await commit(session)

    await graded(app, enrollment, lessons[0])  # refused quietly: no error for the quiz
    after = await get_enrollment(client, student, enrollment["id"])
    assert after["status"] == "dropped" and completed_lessons(after) == set()
