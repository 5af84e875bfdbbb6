"""Setting schedules and overrides, and which one applies: per field, the student's
override over their cohort's over the item's schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.teams import add_staff, create_cohort, enroll_by_staff
from tests.schedules.conftest import (
    Clock,
    answers,
    scheduled_course,
    set_lesson_schedule,
    set_quiz_schedule,
    utc,
)

DUE = utc("2026-11-01T12:00:00+00:00")


async def _override(
    client: httpx.AsyncClient, caller: Account, path: str, **body: Any
) -> httpx.Response:
    json = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in body.items()}
    return await client.post(f"{path}/schedule/overrides", headers=caller.headers, json=json)


async def _hand_in(client: httpx.AsyncClient, student: Account, lesson_id: str) -> dict[str, Any]:
    return ok(
        await client.post(
            f"/lessons/{lesson_id}/submissions", headers=student.headers, json={"text": "Done"}
        ),
        200,
        201,
    )


class TestSchedule:
    async def test_set_read_replace_and_clear(
        self, client: httpx.AsyncClient, instructor: Account, student: Account
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        path = f"/quizzes/{course.quiz_id}/schedule"
        missing = await client.get(path, headers=instructor.headers)
        assert missing.status_code == 404 and missing.json()["code"] == "schedule_not_found"
        first = await set_quiz_schedule(client, instructor, course.quiz_id, due_at=DUE)
        assert (first["item_type"], first["late_policy"]) == ("quiz", "accept")
        assert utc(first["due_at"]) == DUE and first["available_until"] is None
        second = await set_quiz_schedule(
            client, instructor, course.quiz_id, available_until=DUE, late_policy="refuse"
        )
        assert second["due_at"] is None and second["late_policy"] == "refuse"
        read = ok(await client.get(path, headers=instructor.headers))
        assert read == second
        assert (await client.delete(path, headers=instructor.headers)).status_code == 204
        assert (await client.get(path, headers=instructor.headers)).status_code == 404
        again = await client.delete(path, headers=instructor.headers)
        assert again.status_code == 404

    async def test_inconsistent_schedules_are_422(
        self, client: httpx.AsyncClient, instructor: Account, student: Account
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        path = f"/quizzes/{course.quiz_id}/schedule"
        for body in (
            {"due_at": DUE.isoformat(), "available_until": (DUE - timedelta(1)).isoformat()},
            {"available_from": DUE.isoformat(), "due_at": (DUE - timedelta(1)).isoformat()},
            {"late_policy": "penalty"},
            {"late_policy": "accept", "penalty_percent_per_day": "5"},
            {"late_policy": "penalty", "penalty_percent_per_day": "0"},
            {
                "late_policy": "penalty",
                "penalty_percent_per_day": "5",
                "penalty_floor_percent": "101",
            },
            {"late_policy": "later"},
            {"due_at": "2026-11-01T12:00:00"},  # no offset
            {"due_at": "tomorrow"},
            {"surprise": 1},
        ):
            answer = await client.put(path, headers=instructor.headers, json=body)
            assert answer.status_code == 422, body

    async def test_a_text_lesson_has_no_schedule(
        self, client: httpx.AsyncClient, instructor: Account, student: Account
    ) -> None:
        from tests.factories.courses import add_lesson

        course = await scheduled_course(client, instructor, student)
        text = await add_lesson(client, instructor, course.id, lesson_type="text")
        answer = await client.put(
            f"/lessons/{text['id']}/schedule", headers=instructor.headers, json={}
        )
        assert answer.status_code == 422 and answer.json()["code"] == "not_an_assignment"


class TestOverrides:
    async def test_most_specific_wins_field_by_field(
        self,
        client: httpx.AsyncClient,
        instructor: Account,
        make_account: AccountFactory,
        clock: Clock,
    ) -> None:
        course = await scheduled_course(client, instructor)
        cohort = await create_cohort(client, instructor, course.id)
        in_cohort, singled_out, outsider = (
            await make_account("student"),
            await make_account("student"),
            await make_account("student"),
        )
        for person in (in_cohort, singled_out):
            await enroll_by_staff(
                client, instructor, course.id, user_id=person.id, cohort_id=cohort["id"]
            )
        await enroll_by_staff(client, instructor, course.id, user_id=outsider.id)
        lesson = f"/lessons/{course.assignment_id}"
        await set_lesson_schedule(client, instructor, course.assignment_id, due_at=DUE)
        cohort_due, student_due = DUE + timedelta(days=2), DUE + timedelta(days=5)
        ok(await _override(client, instructor, lesson, cohort_id=cohort["id"], due_at=cohort_due))
        mine = ok(
            await _override(
                client,
                instructor,
                lesson,
                student_id=str(singled_out.id),
                due_at=student_due,
            ),
            201,
        )
        listed = ok(await client.get(f"{lesson}/schedule/overrides", headers=instructor.headers))
        assert {o["id"] for o in listed} >= {mine["id"]} and len(listed) == 2  # type: ignore[union-attr]
        # A day after the item's due date: only the student outside the cohort is late.
        clock.set(DUE + timedelta(days=1))
        assert (await _hand_in(client, outsider, course.assignment_id))["is_late"] is True
        assert (await _hand_in(client, in_cohort, course.assignment_id))["is_late"] is False
        # Three days after: the cohort's date has passed, the singled-out student's not.
        clock.set(DUE + timedelta(days=3))
        assert (await _hand_in(client, singled_out, course.assignment_id))["is_late"] is False
        # Deleting the student's override puts them back on the cohort's date.
        gone = await client.delete(
            f"{lesson}/schedule/overrides/{mine['id']}", headers=instructor.headers
        )
        assert gone.status_code == 204
        assert (await _hand_in(client, singled_out, course.assignment_id))["is_late"] is True

    async def test_more_attempts_and_a_longer_time_limit(
        self,
        client: httpx.AsyncClient,
        instructor: Account,
        student: Account,
        other_student: Account,
        clock: Clock,
    ) -> None:
        course = await scheduled_course(
            client, instructor, student, other_student, max_attempts=1, time_limit_minutes=10
        )
        quiz = f"/quizzes/{course.quiz_id}"
        created = await _override(
            client,
            instructor,
            quiz,
            student_id=str(student.id),
            max_attempts=2,
            time_limit_minutes=25,
        )
        assert created.status_code == 201
        assert created.headers["Location"].endswith(
            f"{quiz}/schedule/overrides/{created.json()['id']}"
        )
        clock.set(DUE)
        for attempt_number in (1, 2):
            attempt = ok(await client.post(f"{quiz}/attempts", headers=student.headers), 201)
            assert utc(attempt["deadline_at"]) == DUE + timedelta(minutes=25)
            ok(
                await client.post(
                    f"/attempts/{attempt['id']}/submit",
                    headers=student.headers,
                    json={"answers": answers(course, attempt_number)},
                )
            )
        third = await client.post(f"{quiz}/attempts", headers=student.headers)
        assert third.status_code == 409 and third.json()["code"] == "max_attempts_reached"
        # The other student keeps the quiz's own limit and single attempt.
        theirs = ok(await client.post(f"{quiz}/attempts", headers=other_student.headers), 201)
        assert utc(theirs["deadline_at"]) == DUE + timedelta(minutes=10)

    async def test_override_refusals(
        self,
        client: httpx.AsyncClient,
        instructor: Account,
        student: Account,
        other_student: Account,
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        other = await scheduled_course(client, instructor)
        foreign_cohort = await create_cohort(client, instructor, other.id)
        quiz = f"/quizzes/{course.quiz_id}"
        stranger = await _override(
            client, instructor, quiz, student_id=str(other_student.id), due_at=DUE
        )
        assert (
            stranger.status_code == 404 and stranger.json()["code"] == "override_target_not_found"
        )
        foreign = await _override(
            client, instructor, quiz, cohort_id=foreign_cohort["id"], due_at=DUE
        )
        assert foreign.status_code == 404
        for body in (
            {"due_at": DUE},  # neither a student nor a cohort
            {"student_id": str(student.id), "cohort_id": foreign_cohort["id"], "due_at": DUE},
            {"student_id": str(student.id)},  # changes nothing
            {"student_id": str(student.id), "max_attempts": 0},
        ):
            assert (await _override(client, instructor, quiz, **body)).status_code == 422, body
        lesson = f"/lessons/{course.assignment_id}"
        attempts = await _override(
            client, instructor, lesson, student_id=str(student.id), max_attempts=2
        )
        assert attempts.status_code == 422 and attempts.json()["code"] == "override_not_applicable"
        ok(await _override(client, instructor, quiz, student_id=str(student.id), due_at=DUE))
        twice = await _override(client, instructor, quiz, student_id=str(student.id), due_at=DUE)
        assert twice.status_code == 409 and twice.json()["code"] == "override_exists"
        unknown = await client.delete(
            f"{quiz}/schedule/overrides/00000000-0000-0000-0000-000000000000",
            headers=instructor.headers,
        )
        assert unknown.status_code == 404 and unknown.json()["code"] == "override_not_found"

    async def test_assistants_read_and_cannot_change(
        self,
        client: httpx.AsyncClient,
        instructor: Account,
        student: Account,
        make_account: AccountFactory,
    ) -> None:
        course = await scheduled_course(client, instructor, student)
        helper = await make_account("student")
        await add_staff(client, instructor, course.id, helper.id, "assistant")
        await set_quiz_schedule(client, instructor, course.quiz_id, due_at=DUE)
        path = f"/quizzes/{course.quiz_id}/schedule"
        assert (await client.get(path, headers=helper.headers)).status_code == 200
        for answer in (
            await client.put(path, headers=helper.headers, json={"due_at": DUE.isoformat()}),
            await client.delete(path, headers=helper.headers),
            await _override(
                client, helper, f"/quizzes/{course.quiz_id}", student_id=str(student.id), due_at=DUE
            ),
        ):
            assert answer.status_code == 403 and answer.json()["code"] == "not_course_manager"
        # A student of the course sees neither the schedule nor its overrides.
        assert (await client.get(path, headers=student.headers)).status_code == 403


async def test_schedules_of_what_the_caller_cannot_see_are_404(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_instructor: Account
) -> None:
    from tests.factories.courses import add_lesson, create_course

    course = await scheduled_course(client, instructor, student)
    draft_quiz = ok(
        await client.post(
            f"/courses/{course.id}/quizzes", headers=instructor.headers, json={"title": "Draft"}
        ),
        201,
    )
    draft_course = await create_course(client, instructor)
    hidden_lesson = await add_lesson(
        client, instructor, draft_course["id"], lesson_type="assignment"
    )
    for path in (
        f"/quizzes/{draft_quiz['id']}/schedule",
        f"/lessons/{hidden_lesson['id']}/schedule",
        "/quizzes/00000000-0000-0000-0000-000000000000/schedule",
        "/lessons/00000000-0000-0000-0000-000000000000/schedule/overrides",
    ):
        for caller in (student, other_instructor):
            answer = await client.get(path, headers=caller.headers)
            assert answer.status_code == 404, (path, answer.text)
    assert (await client.get(f"/quizzes/{course.quiz_id}/schedule")).status_code == 401


async def test_a_renamed_quiz_keeps_its_new_name_in_the_calendar(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course = await scheduled_course(client, instructor, student)
    await set_quiz_schedule(client, instructor, course.quiz_id, due_at=DUE)
    ok(
        await client.patch(
            f"/quizzes/{course.quiz_id}", headers=instructor.headers, json={"title": "Delta quiz"}
        )
    )
    calendar = ok(
        await client.get(
            "/me/calendar",
            headers=student.headers,
            params={"from": "2026-10-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        )
    )
    assert [e["title"] for e in calendar["entries"]] == ["Delta quiz (due)"]
