"""An assistant of some cohorts reads the course's analytics, its enrollment figures and
its roster for the students of those cohorts only; an assistant of the whole course,
the owner and admins read the whole course. Every figure below is counted by hand from
the four students' work."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.enrollments import complete_lesson
from tests.factories.quizzes import make_classroom, start_attempt, submit_attempt
from tests.factories.teams import add_staff, create_cohort, enroll_by_staff

ONE_QUESTION = [
    {
        "question_text": "The Nile flows north.",
        "question_type": "true_false",
        "correct_answer": "true",
        "points": 1,
    }
]


async def _school(
    client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
) -> dict[str, Any]:
    """A course of a quiz lesson (Q, its one-question quiz passed at 70 %) and a text
    lesson (T); cohorts A and B:

    - Amal (A): passes the quiz (100 %, which completes Q): progress 50, active;
    - Badr (A): fails it (0 %): progress 0, active;
    - Chen (B): passes it and completes T: progress 100, completed;
    - Dana (no cohort): completes T: progress 50, active.
    """
    room = await make_classroom(client, instructor, None, questions=ONE_QUESTION)
    course_id = room.course_id
    question_id = room.questions[0]["id"]
    cohorts = {
        name: (await create_cohort(client, instructor, course_id, name=name))["id"]
        for name in ("A", "B")
    }
    people: dict[str, Account] = {}
    plan = (("Amal", "A", True, False), ("Badr", "A", False, False), ("Chen", "B", True, True))
    for name, cohort, passes, text_lesson in (*plan, ("Dana", None, None, True)):
        person = await make_account("student", full_name=f"{name} Student")
        people[name] = person
        enrollment = await enroll_by_staff(
            client, instructor, course_id, user_id=person.id, cohort_id=cohorts.get(cohort or "")
        )
        if passes is not None:
            attempt = await start_attempt(client, person, room.quiz_id)
            answers = [{"question_id": question_id, "answer": passes}]
            submitted = await submit_attempt(client, person, room.quiz_id, attempt["id"], answers)
            assert submitted.status_code == 200, submitted.text
        if text_lesson:
            await complete_lesson(client, person, enrollment["id"], room.other_lesson_id)
    helpers = {}
    for label, cohort_ids in (("in_a", [cohorts["A"]]), ("in_b", [cohorts["B"]]), ("all", [])):
        helper = await make_account("student", full_name=f"Assistant {label}")
        await add_staff(client, instructor, course_id, helper.id, "assistant", cohort_ids)
        helpers[label] = helper
    return {
        "course_id": course_id,
        "quiz_lesson": room.lesson_id,
        "text_lesson": room.other_lesson_id,
        "cohorts": cohorts,
        "people": people,
        "helpers": helpers,
    }


def _lesson(figures: dict[str, Any], lesson_id: str) -> dict[str, Any]:
    return next(item for item in figures["lessons"] if item["lesson_id"] == lesson_id)


def _enrolled(figures: dict[str, Any]) -> int:
    return sum(point["enrollments"] for point in figures["enrollment_trend"]["points"])


async def test_an_assistant_of_a_cohort_reads_the_figures_of_its_students_only(
    client: httpx.AsyncClient, instructor: Account, admin: Account, make_account: AccountFactory
) -> None:
    school = await _school(client, instructor, make_account)
    course_id, helpers = school["course_id"], school["helpers"]
    url = f"/analytics/courses/{course_id}"

    # The whole course first (and cached): the assistant's figures must not be these.
    owner = ok(await client.get(url, headers=instructor.headers))
    assert owner["cohort_ids"] is None
    assert owner["total_enrollments"] == 4
    assert owner["enrollments_by_status"] == {
        "active": 3,
        "completed": 1,
        "dropped": 0,
        "expired": 0,
    }
    assert owner["completion_rate"] == 25.0
    assert owner["average_progress"] == 50.0  # (50 + 0 + 100 + 50) / 4
    assert _lesson(owner, school["quiz_lesson"])["students_completed"] == 2  # Amal, Chen
    assert _lesson(owner, school["text_lesson"])["students_completed"] == 2  # Chen, Dana
    assert owner["lesson_completion_rates"][school["quiz_lesson"]] == 50.0
    scores = owner["quiz_scores"]
    assert (scores["attempts"], scores["graded_attempts"]) == (3, 3)
    assert scores["average_score"] == 66.67  # (100 + 0 + 100) / 3
    assert (scores["highest_score"], scores["lowest_score"], scores["pass_rate"]) == (
        100.0,
        0.0,
        66.67,
    )
    assert _enrolled(owner) == 4
    for caller in (admin, helpers["all"]):
        whole = ok(await client.get(url, headers=caller.headers, params={"fresh": "true"}))
        assert whole["total_enrollments"] == 4 and whole["cohort_ids"] is None

    in_a = ok(await client.get(url, headers=helpers["in_a"].headers))
    assert in_a["cohort_ids"] == [school["cohorts"]["A"]]
    assert in_a["total_enrollments"] == 2  # Amal, Badr
    assert in_a["enrollments_by_status"] == {
        "active": 2,
        "completed": 0,
        "dropped": 0,
        "expired": 0,
    }
    assert in_a["completion_rate"] == 0.0
    assert in_a["average_progress"] == 25.0  # (50 + 0) / 2
    quiz_lesson = _lesson(in_a, school["quiz_lesson"])
    assert (quiz_lesson["students_completed"], quiz_lesson["completion_rate"]) == (1, 50.0)
    text_lesson = _lesson(in_a, school["text_lesson"])
    assert (text_lesson["students_started"], text_lesson["students_completed"]) == (0, 0)
    scores = in_a["quiz_scores"]
    assert (scores["attempts"], scores["graded_attempts"]) == (2, 2)
    assert scores["average_score"] == 50.0  # (100 + 0) / 2
    assert (scores["highest_score"], scores["lowest_score"], scores["pass_rate"]) == (
        100.0,
        0.0,
        50.0,
    )
    assert [(q["attempts"], q["average_score"]) for q in scores["by_quiz"]] == [(2, 50.0)]
    assert _enrolled(in_a) == 2
    assert in_a["revenue"] == []

    in_b = ok(await client.get(f"{url}/analytics", headers=helpers["in_b"].headers))
    assert (in_b["total_enrollments"], in_b["completion_rate"]) == (1, 100.0)  # Chen
    assert in_b["average_progress"] == 100.0
    assert in_b["quiz_scores"]["average_score"] == 100.0


async def test_an_assistant_of_a_cohort_reads_its_students_enrollment_figures_and_roster(
    client: httpx.AsyncClient, instructor: Account, make_account: AccountFactory
) -> None:
    school = await _school(client, instructor, make_account)
    course_id, helpers, people = school["course_id"], school["helpers"], school["people"]
    stats_url = f"/enrollments/courses/{course_id}/stats"
    whole = ok(await client.get(stats_url, headers=instructor.headers))
    assert (whole["total_enrollments"], whole["average_progress"]) == (4, 50.0)
    in_a = ok(await client.get(stats_url, headers=helpers["in_a"].headers))
    assert in_a["total_enrollments"] == 2
    assert in_a["by_status"]["active"] == 2 and in_a["completed_enrollments"] == 0
    assert in_a["average_progress"] == 25.0
    in_b = ok(await client.get(stats_url, headers=helpers["in_b"].headers))
    assert (in_b["total_enrollments"], in_b["completion_rate"]) == (1, 100.0)

    roster = ok(await client.get(f"/courses/{course_id}/students", headers=helpers["in_a"].headers))
    assert sorted(row["student_id"] for row in roster["items"]) == sorted(
        str(people[name].id) for name in ("Amal", "Badr")
    )
    listed = ok(
        await client.get(f"/enrollments/courses/{course_id}", headers=helpers["in_a"].headers)
    )
    assert listed["total"] == 2
