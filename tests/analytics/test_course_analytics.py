"""A course's figures on the hand-built data set (tests/analytics/dataset.py), exact to
the cent, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.session import commit
from lms.modules.analytics import service
from lms.modules.analytics.schemas import Window
from lms.modules.courses import service as courses
from tests.analytics.dataset import DataSet, at
from tests.conftest import IS_POSTGRES
from tests.factories.quizzes import attempt_row

WINDOW = {"from": "2025-03-01", "to": "2025-03-10"}


async def _course(client: httpx.AsyncClient, data: DataSet, **params: str) -> dict[str, Any]:
    response = await client.get(
        f"/analytics/courses/{data.course_id}",
        headers=data.instructor.headers,
        params={**WINDOW, **params},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_enrollment_figures(client: httpx.AsyncClient, dataset: DataSet) -> None:
    body = await _course(client, dataset)
    assert body["course_id"] == str(dataset.course_id)
    assert body["title"] == "Data" and body["is_published"] is True
    assert body["total_enrollments"] == 6
    assert body["enrollments_by_status"] == {
        "active": 2,
        "completed": 2,
        "dropped": 2,
        "expired": 0,
    }
    assert body["active_students"] == 3  # s1, s3, s4 within 30 days
    assert body["completion_rate"] == 33.33
    assert body["average_rating"] == 3.25 and body["ratings_count"] == 4
    assert body["average_progress"] == 50.0
    assert body["total_time_spent_seconds"] == 2400 + 2400 + 1500 + 1500 + 900


async def test_lessons_popularity_and_drop_off(client: httpx.AsyncClient, dataset: DataSet) -> None:
    body = await _course(client, dataset)
    l1, l2, l3, l4 = (str(lesson_id) for lesson_id in dataset.lesson_ids)
    assert body["lesson_completion_rates"] == {l1: 83.33, l2: 50.0, l3: 33.33, l4: 33.33}
    lessons = {item["title"]: item for item in body["lessons"]}
    assert [item["title"] for item in body["lessons"]] == ["L1", "L2", "L3", "L4"]
    started_completed = {
        name: (item["students_started"], item["students_completed"])
        for name, item in lessons.items()
    }
    assert started_completed == {"L1": (5, 5), "L2": (3, 3), "L3": (5, 2), "L4": (2, 2)}
    # L1 and L3 were both started by five students; L1 was completed by more.
    assert [item["title"] for item in body["popular_lessons"]] == ["L1", "L3", "L2", "L4"]
    assert [item["popularity_rank"] for item in body["popular_lessons"]] == [1, 2, 3, 4]
    # Completions fall 6 → 5 → 3 → 2 → 2: L2 loses the most (2 of the 5 who reached it).
    assert body["drop_off_lesson"] == {
        "lesson_id": l2,
        "title": "L2",
        "order_index": 1,
        "students_lost": 2,
        "loss_rate": 40.0,
    }


async def test_quiz_score_distribution(client: httpx.AsyncClient, dataset: DataSet) -> None:
    scores = (await _course(client, dataset))["quiz_scores"]
    # Seven handed in (one awaits a grader), six graded: 100, 80, 45, 70, 90, 10.
    assert scores["attempts"] == 7 and scores["graded_attempts"] == 6
    assert scores["average_score"] == 65.83
    assert (scores["highest_score"], scores["lowest_score"]) == (100.0, 10.0)
    assert scores["pass_rate"] == 66.67
    assert {b["range"]: b["count"] for b in scores["distribution"]} == {
        "0-10": 0,
        "10-20": 1,
        "20-30": 0,
        "30-40": 0,
        "40-50": 1,
        "50-60": 0,
        "60-70": 0,
        "70-80": 1,
        "80-90": 1,
        "90-100": 2,
    }
    q1, q2 = scores["by_quiz"]
    assert (q1["title"], q1["attempts"], q1["graded_attempts"]) == ("Q1", 4, 4)
    assert (q1["average_score"], q1["pass_rate"]) == (73.75, 75.0)
    assert (q2["title"], q2["attempts"], q2["graded_attempts"]) == ("Q2", 3, 2)
    assert (q2["average_score"], q2["pass_rate"]) == (50.0, 50.0)


async def test_revenue_is_succeeded_payments_net_of_refunds(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    revenue = (await _course(client, dataset))["revenue"]
    assert revenue == [
        {"currency": "EGP", "payments": 3, "gross": "300.00", "refunded": "130.00",
         "net": "170.00"},
        {"currency": "USD", "payments": 1, "gross": "50.00", "refunded": "0.00", "net": "50.00"},
    ]  # fmt: skip


async def test_enrollment_trend_by_day_week_and_month(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    daily = (await _course(client, dataset))["enrollment_trend"]
    assert (daily["interval"], daily["date_from"], daily["date_to"]) == (
        "day",
        "2025-03-01",
        "2025-03-10",
    )
    points = {p["period_start"]: (p["enrollments"], p["completions"]) for p in daily["points"]}
    assert len(points) == 10
    # s6 enrolled on 02-28, outside the window; s5 at 23:30 UTC still counts for 03-05.
    assert {day: n for day, n in points.items() if n != (0, 0)} == {
        "2025-03-01": (2, 0),
        "2025-03-02": (1, 0),
        "2025-03-03": (0, 1),
        "2025-03-05": (2, 0),
        "2025-03-09": (0, 1),
    }

    weekly = (await _course(client, dataset, interval="week"))["enrollment_trend"]
    assert [(p["period_start"], p["enrollments"], p["completions"]) for p in weekly["points"]] == [
        ("2025-02-24", 3, 0),  # the Monday of the week of 03-01
        ("2025-03-03", 2, 2),
        ("2025-03-10", 0, 0),
    ]

    monthly = (
        await _course(
            client, dataset, interval="month", **{"from": "2025-02-01", "to": "2025-04-30"}
        )
    )["enrollment_trend"]
    assert [(p["period_start"], p["enrollments"], p["completions"]) for p in monthly["points"]] == [
        ("2025-02-01", 1, 0),
        ("2025-03-01", 5, 2),
        ("2025-04-01", 0, 0),
    ]


async def test_default_window_and_bad_windows(client: httpx.AsyncClient, dataset: DataSet) -> None:
    url = f"/analytics/courses/{dataset.course_id}"
    headers = dataset.instructor.headers
    default = (await client.get(url, headers=headers)).json()["enrollment_trend"]
    assert default["interval"] == "day" and len(default["points"]) == 30
    assert default["points"][-1]["period_start"] == default["date_to"]

    for params, code in (
        ({"from": "2025-03-10", "to": "2025-03-01"}, "invalid_window"),
        ({"from": "2023-01-01", "to": "2025-01-01"}, "window_too_long"),
        ({"from": "2020-01-01"}, "window_too_long"),
        ({"interval": "year"}, "validation_error"),
        ({"from": "yesterday"}, "validation_error"),
        ({"to": "2025-02-30"}, "validation_error"),
        ({"fresh": "maybe"}, "validation_error"),
    ):
        response = await client.get(url, headers=headers, params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code, params
    longest = await client.get(
        url, headers=headers, params={"from": "2023-01-01", "to": "2024-12-31"}
    )
    assert longest.status_code == 200  # 731 days is the limit, inclusive


async def test_the_alias_and_an_admin_get_the_same_figures(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    owner = await _course(client, dataset)
    alias = await client.get(
        f"/analytics/courses/{dataset.course_id}/analytics",
        headers=dataset.admin.headers,
        params=WINDOW,
    )
    assert alias.status_code == 200
    body = alias.json()
    for key in ("generated_at",):
        body.pop(key), owner.pop(key)
    assert body == owner


async def test_an_empty_course(client: httpx.AsyncClient, dataset: DataSet) -> None:
    response = await client.get(
        f"/analytics/courses/{dataset.draft_course_id}", headers=dataset.instructor.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["is_published"] is False
    assert (body["total_enrollments"], body["completion_rate"], body["average_progress"]) == (
        0,
        0.0,
        0.0,
    )
    assert body["average_rating"] is None and body["drop_off_lesson"] is None
    assert body["lessons"][0]["completion_rate"] == 0.0
    assert body["quiz_scores"]["average_score"] is None
    assert body["quiz_scores"]["pass_rate"] is None
    assert sum(b["count"] for b in body["quiz_scores"]["distribution"]) == 0
    assert body["revenue"] == []


async def test_periods_are_utc_days_whatever_the_session_time_zone(
    db: AsyncSession, dataset: DataSet
) -> None:
    """s5 enrolled at 23:30 UTC on 03-05: still 03-05 (and its week, its month) for a
    PostgreSQL session in UTC+14. SQLite has no session time zone: the same query runs."""
    if IS_POSTGRES:
        await db.execute(text("SET TIME ZONE 'Pacific/Kiritimati'"))
    course = await courses.get_course_or_raise(db, dataset.course_id)
    expected = {
        "day": {date(2025, 3, 5): 2, date(2025, 3, 6): 0},
        "week": {date(2025, 3, 3): 2},
        "month": {date(2025, 3, 1): 2},
    }
    for interval, counts in expected.items():
        window = Window(date_from=date(2025, 3, 5), date_to=date(2025, 3, 6), interval=interval)
        result = await service.compute_course_analytics(db, course=course, window=window)
        points = {p.period_start: p.enrollments for p in result.enrollment_trend.points}
        assert points == counts, interval
    await db.rollback()


async def test_score_buckets_at_their_edges(
    client: httpx.AsyncClient, db: AsyncSession, dataset: DataSet
) -> None:
    """Fractional percentages fall in the bucket of their tens digit on both databases
    (PostgreSQL floors a NUMERIC, SQLite truncates a float): 0 and 9.99 in 0-10, 10.01
    in 10-20, 69.99 in 60-70, 79.5 in 70-80, 99.99 and 100 in 90-100."""
    quiz_id = dataset.quiz_ids[0]
    for number, pct in enumerate(("0", "9.99", "10.01", "69.99", "79.5", "99.99"), start=3):
        db.add(
            attempt_row(
                quiz_id=quiz_id,
                enrollment_id=dataset.enrollment_ids["s3"],
                student_id=dataset.students["s3"].id,
                attempt_number=number,
                status="graded",
                percentage=pct,
                submitted_at=at("2025-03-07", "10:05"),
            )
        )
    await commit(db)
    scores = (await _course(client, dataset))["quiz_scores"]
    # The data set's 100, 80, 45, 70, 90, 10 plus the six above.
    assert {b["range"]: b["count"] for b in scores["distribution"]} == {
        "0-10": 2,
        "10-20": 2,
        "20-30": 0,
        "30-40": 0,
        "40-50": 1,
        "50-60": 0,
        "60-70": 1,
        "70-80": 2,
        "80-90": 1,
        "90-100": 3,
    }
    assert scores["graded_attempts"] == 12
    assert (scores["highest_score"], scores["lowest_score"]) == (100.0, 0.0)
