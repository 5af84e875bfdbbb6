"""The exam-day path: a quiz without a schedule runs the statements it ran before the
feature; a scheduled one runs one more on start and one more on submit."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.performance.counting import counting_statements
from tests.performance.test_query_counts import data_statements
from tests.schedules.conftest import Course, answers, scheduled_course, set_quiz_schedule


async def _costs(
    app: Any, client: httpx.AsyncClient, student: Account, course: Course
) -> list[int]:
    """Statements of a first start (reading the quiz's version), a second start after
    submitting, and that second submission."""
    counts = []
    for _ in range(2):
        with counting_statements(app) as started:
            attempt = ok(
                await client.post(f"/quizzes/{course.quiz_id}/attempts", headers=student.headers),
                201,
            )
        counts.append(data_statements(started))
        with counting_statements(app) as submitted:
            ok(
                await client.post(
                    f"/attempts/{attempt['id']}/submit",
                    headers=student.headers,
                    json={"answers": answers(course, 4)},
                )
            )
        counts.append(data_statements(submitted))
    return counts


async def test_only_a_scheduled_quiz_pays_and_one_statement_at_most(
    app: Any, client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
) -> None:
    plain_student, scheduled_student = await make_account("student"), await make_account("student")
    plain = await scheduled_course(client, instructor, plain_student)
    scheduled = await scheduled_course(client, instructor, scheduled_student)
    await set_quiz_schedule(client, instructor, scheduled.quiz_id, due_at="2099-01-01T00:00:00Z")
    for student in (plain_student, scheduled_student):  # the account state, cached
        assert (await client.get("/users/me", headers=student.headers)).status_code == 200
    before = await _costs(app, client, plain_student, plain)
    after = await _costs(app, client, scheduled_student, scheduled)
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1], (before, after)
