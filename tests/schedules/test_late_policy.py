"""Dates and late policies of quizzes and assignment lessons, on a clock the tests set:
not open yet, late with the penalty computed by hand, refused after the cut-off, a timed
attempt's deadline capped at the close."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx

from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.schedules.conftest import (
    Clock,
    answers,
    scheduled_course,
    set_lesson_schedule,
    set_quiz_schedule,
    utc,
)

DUE = utc("2026-03-10T12:00:00+00:00")


async def _start(client: httpx.AsyncClient, student: Account, quiz_id: str) -> httpx.Response:
    return await client.post(f"/quizzes/{quiz_id}/attempts", headers=student.headers)


async def _submit(
    client: httpx.AsyncClient, student: Account, attempt_id: str, body: list[dict[str, object]]
) -> httpx.Response:
    return await client.post(
        f"/attempts/{attempt_id}/submit", headers=student.headers, json={"answers": body}
    )


async def _hand_in(client: httpx.AsyncClient, student: Account, lesson_id: str) -> httpx.Response:
    return await client.post(
        f"/lessons/{lesson_id}/submissions", headers=student.headers, json={"text": "My essay"}
    )


async def _grade(
    client: httpx.AsyncClient, grader: Account, submission_id: str, score: str
) -> dict[str, object]:
    return ok(
        await client.post(
            f"/submissions/{submission_id}/grade", headers=grader.headers, json={"score": score}
        )
    )


class TestQuiz:
    async def test_not_open_before_available_from(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        await set_quiz_schedule(
            client, instructor, course.quiz_id, available_from=DUE - timedelta(days=2), due_at=DUE
        )
        clock.set(DUE - timedelta(days=2, seconds=1))
        early = await _start(client, student, course.quiz_id)
        assert early.status_code == 409 and early.json()["code"] == "not_yet_available"
        clock.advance(seconds=1)
        assert (await _start(client, student, course.quiz_id)).status_code == 201

    async def test_on_time_is_not_late(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        await set_quiz_schedule(
            client,
            instructor,
            course.quiz_id,
            due_at=DUE,
            late_policy="penalty",
            penalty_percent_per_day="10",
        )
        clock.set(DUE - timedelta(minutes=5))
        attempt = ok(await _start(client, student, course.quiz_id), 201)
        clock.set(DUE)  # exactly at the due time is on time
        done = ok(await _submit(client, student, attempt["id"], answers(course, 3)))
        assert done["is_late"] is False and done["late_penalty_percent"] is None
        assert Decimal(done["score"]) == Decimal("3.00")

    async def test_late_penalty_per_started_day(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        # 3 of 4 points; handed in 2 days and 1 hour late: 3 days at 10 % = 30 % off.
        # 3.00 x 0.70 = 2.10 points; 2.10 / 4 = 52.50 %, below the 70 % pass mark.
        course = await scheduled_course(client, instructor, student)
        await set_quiz_schedule(
            client,
            instructor,
            course.quiz_id,
            due_at=DUE,
            late_policy="penalty",
            penalty_percent_per_day="10",
        )
        clock.set(DUE + timedelta(days=2))
        attempt = ok(await _start(client, student, course.quiz_id), 201)
        clock.advance(hours=1)
        done = ok(await _submit(client, student, attempt["id"], answers(course, 3)))
        assert done["is_late"] is True
        assert Decimal(done["late_penalty_percent"]) == Decimal("30.00")
        assert (Decimal(done["score"]), Decimal(done["percentage"])) == (
            Decimal("2.10"),
            Decimal("52.50"),
        )
        assert done["is_passed"] is False

    async def test_the_floor_caps_the_penalty(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        # 9 days at 12.5 % would be 112.5 %; the floor of 80 % stops it at 20 %:
        # 4.00 x 0.80 = 3.20 points, 80.00 %.
        course = await scheduled_course(client, instructor, student)
        await set_quiz_schedule(
            client,
            instructor,
            course.quiz_id,
            due_at=DUE,
            late_policy="penalty",
            penalty_percent_per_day="12.5",
            penalty_floor_percent="80",
        )
        clock.set(DUE + timedelta(days=8, minutes=1))
        attempt = ok(await _start(client, student, course.quiz_id), 201)
        done = ok(await _submit(client, student, attempt["id"], answers(course, 4)))
        assert Decimal(done["late_penalty_percent"]) == Decimal("20.00")
        assert (Decimal(done["score"]), Decimal(done["percentage"])) == (
            Decimal("3.20"),
            Decimal("80.00"),
        )

    async def test_accept_marks_late_without_penalty(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        await set_quiz_schedule(client, instructor, course.quiz_id, due_at=DUE)
        clock.set(DUE + timedelta(days=30))
        attempt = ok(await _start(client, student, course.quiz_id), 201)
        done = ok(await _submit(client, student, attempt["id"], answers(course, 2)))
        assert done["is_late"] is True and done["late_penalty_percent"] is None
        assert Decimal(done["score"]) == Decimal("2.00")

    async def test_no_start_after_the_close_and_refuse_refuses_the_hand_in(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        close = DUE + timedelta(days=1)
        await set_quiz_schedule(
            client,
            instructor,
            course.quiz_id,
            due_at=DUE,
            available_until=close,
            late_policy="refuse",
        )
        clock.set(close - timedelta(hours=1))
        attempt = ok(await _start(client, student, course.quiz_id), 201)
        clock.set(close + timedelta(seconds=1))
        refused = await _submit(client, student, attempt["id"], answers(course, 4))
        assert refused.status_code == 409 and refused.json()["code"] == "past_due"
        late_start = await scheduled_course(client, instructor, student)
        await set_quiz_schedule(
            client, instructor, late_start.quiz_id, due_at=DUE, available_until=close
        )
        closed = await _start(client, student, late_start.quiz_id)
        assert closed.status_code == 409 and closed.json()["code"] == "past_due"

    async def test_a_timed_attempt_ends_at_the_close(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        course = await scheduled_course(client, instructor, student, time_limit_minutes=60)
        close = DUE + timedelta(hours=2)
        await set_quiz_schedule(
            client, instructor, course.quiz_id, due_at=DUE, available_until=close
        )
        clock.set(close - timedelta(minutes=20))
        attempt = ok(await _start(client, student, course.quiz_id), 201)
        assert utc(attempt["deadline_at"]) == close
        assert attempt["time_remaining_seconds"] == 20 * 60

    async def test_an_unscheduled_quiz_keeps_its_own_rules(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        course = await scheduled_course(client, instructor, student, time_limit_minutes=30)
        clock.set(DUE)
        attempt = ok(await _start(client, student, course.quiz_id), 201)
        assert utc(attempt["deadline_at"]) == DUE + timedelta(minutes=30)
        done = ok(await _submit(client, student, attempt["id"], answers(course, 4)))
        assert done["is_late"] is False and Decimal(done["score"]) == Decimal("4.00")


class TestAssignment:
    async def test_late_penalty_on_the_grade(
        self,
        client: httpx.AsyncClient,
        instructor: Account,
        student: Account,
        other_student: Account,
        clock: Clock,
    ) -> None:
        course = await scheduled_course(client, instructor, student, other_student)
        await set_lesson_schedule(
            client,
            instructor,
            course.assignment_id,
            due_at=DUE,
            late_policy="penalty",
            penalty_percent_per_day="15",
            penalty_floor_percent="50",
        )
        # A day and a half late: 2 days at 15 % = 30 %; a grade of 88.50 becomes 61.95.
        clock.set(DUE + timedelta(days=1, hours=12))
        late = ok(await _hand_in(client, student, course.assignment_id), 201)
        assert late["is_late"] is True and Decimal(late["late_penalty_percent"]) == Decimal("30.00")
        graded = _grade(client, instructor, late["id"], "88.50")
        assert Decimal((await graded)["score"]) == Decimal("61.95")
        # Five days late: 75 %, capped at 100 - 50 = 50 %; 88.50 becomes 44.25.
        clock.set(DUE + timedelta(days=4, hours=1))
        later = ok(await _hand_in(client, other_student, course.assignment_id), 201)
        assert Decimal(later["late_penalty_percent"]) == Decimal("50.00")
        assert Decimal(
            (await _grade(client, instructor, later["id"], "88.50"))["score"]
        ) == Decimal("44.25")

    async def test_refuse_after_the_close_and_not_before_opening(
        self, client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        opens, close = DUE - timedelta(days=7), DUE + timedelta(days=2)
        await set_lesson_schedule(
            client,
            instructor,
            course.assignment_id,
            available_from=opens,
            due_at=DUE,
            available_until=close,
            late_policy="refuse",
        )
        clock.set(opens - timedelta(minutes=1))
        early = await _hand_in(client, student, course.assignment_id)
        assert early.status_code == 409 and early.json()["code"] == "not_yet_available"
        clock.set(DUE + timedelta(days=1))
        late = ok(await _hand_in(client, student, course.assignment_id), 201)
        assert late["is_late"] is True and late["late_penalty_percent"] is None
        clock.set(close + timedelta(minutes=1))
        refused = await _hand_in(client, student, course.assignment_id)
        assert refused.status_code == 409 and refused.json()["code"] == "past_due"


async def test_an_attempt_closed_at_its_deadline_after_the_due_date_is_late(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    # Started 10 minutes before the due time with 30 minutes to go, never submitted: it
    # is closed as handed in at its deadline, 20 minutes late (one day at 10 %).
    course = await scheduled_course(client, instructor, student, time_limit_minutes=30)
    await set_quiz_schedule(
        client,
        instructor,
        course.quiz_id,
        due_at=DUE,
        late_policy="penalty",
        penalty_percent_per_day="10",
    )
    clock.set(DUE - timedelta(minutes=10))
    attempt = ok(await _start(client, student, course.quiz_id), 201)
    ok(
        await client.put(
            f"/attempts/{attempt['id']}/answers",
            headers=student.headers,
            json={"answers": answers(course, 4)},
        )
    )
    clock.set(DUE + timedelta(hours=1))
    expired = await _submit(client, student, attempt["id"], [])
    assert expired.status_code == 409 and expired.json()["code"] == "attempt_expired"
    closed = ok(await client.get(f"/attempts/{attempt['id']}", headers=student.headers))
    assert closed["closed_at_deadline"] is True and closed["is_late"] is True
    assert Decimal(closed["late_penalty_percent"]) == Decimal("10.00")
    assert Decimal(closed["score"]) == Decimal("3.60")  # 4.00 less 10 %
