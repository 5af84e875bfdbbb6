"""A student's own figures: exact on the hand-built data set, and live through the real
enrollment and progress endpoints."""

from __future__ import annotations

import httpx

from tests.analytics.dataset import DataSet
from tests.factories.accounts import Account
from tests.factories.courses import published_course
from tests.factories.enrollments import enroll


async def test_dashboard_of_a_student_with_two_courses(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    s1 = dataset.students["s1"]
    response = await client.get("/analytics/my-dashboard", headers=s1.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["student_id"] == str(s1.id)
    assert body["total_courses_enrolled"] == 2
    assert body["courses_completed"] == 1 and body["courses_in_progress"] == 1
    assert body["lessons_completed"] == 5
    assert body["total_time_spent_seconds"] == 2700
    assert body["average_progress"] == 70.0
    assert (body["quiz_attempts"], body["quizzes_passed"]) == (2, 2)
    assert (body["average_quiz_score"], body["best_quiz_score"]) == (95.0, 100.0)
    assert body["certificates_earned"] == 1

    activity = body["recent_activity"]
    assert [(item["kind"], item["lesson_title"] or item["quiz_title"]) for item in activity] == [
        ("lesson", "L1"),  # the second course, in April
        ("quiz_attempt", "Q2"),
        ("quiz_attempt", "Q1"),
        ("lesson", "L4"),
        ("lesson", "L3"),
        ("lesson", "L2"),
        ("lesson", "L1"),
    ]
    first, q2 = activity[0], activity[1]
    assert first["course_id"] == str(dataset.second_course_id)
    assert first["course_title"] == "Second" and first["status"] == "completed"
    assert first["at"].startswith("2025-04-02T11:00:00")
    assert (q2["quiz_id"], q2["score"], q2["status"]) == (str(dataset.quiz_ids[1]), 90.0, "graded")
    assert q2["course_title"] == "Data"

    alias = await client.get("/analytics/student", headers=s1.headers)
    assert alias.status_code == 200 and alias.json() == body  # served from the cache


async def test_a_revoked_certificate_and_an_ungraded_attempt_do_not_count(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    s2 = (
        await client.get("/analytics/my-dashboard", headers=dataset.students["s2"].headers)
    ).json()
    assert s2["certificates_earned"] == 0
    s5 = (
        await client.get("/analytics/my-dashboard", headers=dataset.students["s5"].headers)
    ).json()
    assert (s5["quiz_attempts"], s5["quizzes_passed"]) == (1, 0)
    assert s5["average_quiz_score"] is None and s5["best_quiz_score"] is None
    assert (s5["courses_completed"], s5["courses_in_progress"]) == (0, 0)  # dropped
    assert [
        (item["kind"], item["status"], item["lesson_title"] or item["quiz_title"])
        for item in s5["recent_activity"]
    ] == [
        ("quiz_attempt", "submitted", "Q2"),
        ("lesson", "in_progress", "L3"),
        ("lesson", "completed", "L1"),
    ]
    assert s5["recent_activity"][0]["score"] is None


async def test_progress_lists_every_course_most_recent_first(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    response = await client.get("/analytics/my-progress", headers=dataset.students["s1"].headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["total_courses_enrolled"], body["lessons_completed"]) == (2, 5)
    assert body["average_progress"] == 70.0
    courses = body["courses"]
    # Both were last used a day ago; the rows come in a stable order either way.
    assert {c["course_title"]: (c["status"], c["progress_percentage"]) for c in courses} == {
        "Data": ("completed", 100.0),
        "Second": ("active", 40.0),
    }
    second = next(c for c in courses if c["course_title"] == "Second")
    assert (second["completed_lessons_count"], second["total_lessons_count"]) == (1, 2)
    assert second["total_time_spent_seconds"] == 300
    assert second["enrollment_id"] and second["enrolled_at"].startswith("2025-04-01")


async def test_someone_with_no_enrollments_gets_zeros(
    client: httpx.AsyncClient, student: Account, instructor: Account
) -> None:
    for caller in (student, instructor):
        body = (await client.get("/analytics/my-dashboard", headers=caller.headers)).json()
        assert body["total_courses_enrolled"] == 0
        assert body["average_progress"] == 0.0
        assert body["average_quiz_score"] is None and body["best_quiz_score"] is None
        assert body["recent_activity"] == []
        progress = (await client.get("/analytics/my-progress", headers=caller.headers)).json()
        assert progress["courses"] == [] and progress["lessons_completed"] == 0


async def test_figures_follow_real_progress(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, lessons=4)
    enrollment = await enroll(client, student, course["id"])
    base = f"/enrollments/{enrollment['id']}/lessons"
    spent = await client.put(
        f"{base}/{lessons[0]['id']}/progress",
        headers=student.headers,
        json={"time_spent_seconds": 120, "last_position_seconds": 30},
    )
    assert spent.status_code == 200, spent.text
    done = await client.post(f"{base}/{lessons[0]['id']}/complete", headers=student.headers)
    assert done.status_code == 200, done.text

    body = (
        await client.get(
            "/analytics/my-dashboard", headers=student.headers, params={"fresh": "true"}
        )
    ).json()
    assert (body["total_courses_enrolled"], body["courses_in_progress"]) == (1, 1)
    assert body["lessons_completed"] == 1
    assert body["total_time_spent_seconds"] == 120
    assert body["average_progress"] == 25.0
    assert body["recent_activity"][0]["lesson_id"] == lessons[0]["id"]
    assert body["recent_activity"][0]["status"] == "completed"

    course_view = (
        await client.get(f"/analytics/courses/{course['id']}", headers=instructor.headers)
    ).json()
    assert course_view["total_enrollments"] == 1 and course_view["active_students"] == 1
    assert course_view["lesson_completion_rates"][lessons[0]["id"]] == 100.0
    assert course_view["lesson_completion_rates"][lessons[1]["id"]] == 0.0
    today = course_view["enrollment_trend"]["points"][-1]
    assert today["enrollments"] == 1
