"""An instructor's overview and the platform overview on the hand-built data set."""

from __future__ import annotations

from typing import Any

import httpx

from tests.analytics.dataset import DataSet


def _strip(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "generated_at"}


async def test_instructor_overview(client: httpx.AsyncClient, dataset: DataSet) -> None:
    response = await client.get(
        f"/analytics/instructors/{dataset.instructor.id}/overview",
        headers=dataset.instructor.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["instructor_id"] == str(dataset.instructor.id)
    assert body["instructor_name"] == dataset.instructor.full_name

    rows = {row["title"]: row for row in body["courses"]}
    assert [row["title"] for row in body["courses"]] == ["Data", "Second", "Draft"]
    data = rows["Data"]
    assert data["course_id"] == str(dataset.course_id)
    assert (data["total_enrollments"], data["active_students"], data["completed_enrollments"]) == (
        6,
        3,
        2,
    )
    assert (data["completion_rate"], data["average_rating"], data["ratings_count"]) == (
        33.33,
        3.25,
        4,
    )
    assert data["average_progress"] == 50.0
    assert (data["quiz_attempts"], data["average_quiz_score"]) == (7, 65.83)
    assert [(m["currency"], m["net"]) for m in data["revenue"]] == [
        ("EGP", "170.00"),
        ("USD", "50.00"),
    ]
    second = rows["Second"]
    assert (second["total_enrollments"], second["active_students"]) == (1, 1)
    assert (second["completion_rate"], second["average_progress"]) == (0.0, 40.0)
    assert second["average_rating"] is None and second["average_quiz_score"] is None
    assert [(m["currency"], m["net"]) for m in second["revenue"]] == [("EGP", "20.00")]
    draft = rows["Draft"]
    assert draft["is_published"] is False and draft["total_enrollments"] == 0
    assert draft["revenue"] == [] and draft["average_progress"] == 0.0

    totals = body["totals"]
    assert (totals["total_courses"], totals["published_courses"]) == (3, 2)
    assert (totals["total_enrollments"], totals["unique_students"]) == (7, 6)  # s1 twice
    assert (totals["active_students"], totals["completed_enrollments"]) == (4, 2)
    assert totals["completion_rate"] == 28.57
    assert (totals["average_rating"], totals["ratings_count"]) == (3.25, 4)
    assert totals["average_progress"] == 48.57  # 340 / 7
    assert (totals["quiz_attempts"], totals["average_quiz_score"]) == (7, 65.83)
    # "Elsewhere" belongs to another instructor: its 200.00 is not counted.
    assert totals["revenue"] == [
        {"currency": "EGP", "payments": 4, "gross": "320.00", "refunded": "130.00",
         "net": "190.00"},
        {"currency": "USD", "payments": 1, "gross": "50.00", "refunded": "0.00", "net": "50.00"},
    ]  # fmt: skip

    mine = await client.get("/analytics/instructor", headers=dataset.instructor.headers)
    assert mine.status_code == 200 and _strip(mine.json()) == _strip(body)
    by_admin = await client.get(
        f"/analytics/instructors/{dataset.instructor.id}/overview",
        headers=dataset.admin.headers,
        params={"fresh": "true"},
    )
    assert by_admin.status_code == 200 and _strip(by_admin.json()) == _strip(body)


async def test_an_instructor_without_courses(client: httpx.AsyncClient, dataset: DataSet) -> None:
    body = (await client.get("/analytics/instructor", headers=dataset.admin.headers)).json()
    assert body["courses"] == []
    assert body["totals"]["total_courses"] == 0 and body["totals"]["completion_rate"] == 0.0
    assert body["totals"]["average_rating"] is None and body["totals"]["revenue"] == []


async def test_system_overview(client: httpx.AsyncClient, dataset: DataSet) -> None:
    response = await client.get(
        "/analytics/system/overview",
        headers=dataset.admin.headers,
        params={"from": "2025-02-01", "to": "2025-03-31"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # 7 students (s6 last signed in 40 days ago, s7 is deactivated), 2 instructors, 1 admin.
    assert body["users_by_role"] == [
        {"role": "admin", "total": 1, "active": 1, "deactivated": 0},
        {"role": "instructor", "total": 2, "active": 2, "deactivated": 0},
        {"role": "student", "total": 7, "active": 5, "deactivated": 1},
    ]
    assert (body["total_users"], body["active_users"]) == (10, 8)
    assert body["courses"] == {"total": 4, "published": 3, "draft": 1}
    assert body["enrollments"] == {
        "total": 7,
        "by_status": {"active": 3, "completed": 2, "dropped": 2, "expired": 0},
        "completion_rate": 28.57,
    }
    trend = body["activity_trend"]
    assert trend["interval"] == "month"
    assert [(p["period_start"], p["enrollments"], p["completions"]) for p in trend["points"]] == [
        ("2025-02-01", 1, 0),
        ("2025-03-01", 5, 2),
    ]

    revenue = body["revenue"]
    assert revenue["totals"] == [
        {"currency": "EGP", "payments": 5, "gross": "520.00", "refunded": "130.00",
         "net": "390.00"},
        {"currency": "USD", "payments": 1, "gross": "50.00", "refunded": "0.00", "net": "50.00"},
    ]  # fmt: skip
    assert [
        (r["provider"], r["currency"], r["payments"], r["gross"], r["refunded"], r["net"])
        for r in revenue["by_provider"]
    ] == [
        ("myfatoorah", "EGP", 1, "100.00", "100.00", "0.00"),
        ("paymob", "EGP", 2, "120.00", "30.00", "90.00"),
        ("stripe", "EGP", 2, "300.00", "0.00", "300.00"),
        ("stripe", "USD", 1, "50.00", "0.00", "50.00"),
    ]
    # Within the window only: the January payment of "Elsewhere" is left out.
    assert [
        (r["month"], r["provider"], r["currency"], r["payments"], r["net"])
        for r in revenue["by_month"]
    ] == [
        ("2025-02", "myfatoorah", "EGP", 1, "0.00"),
        ("2025-03", "paymob", "EGP", 2, "90.00"),
        ("2025-03", "stripe", "EGP", 1, "100.00"),
        ("2025-03", "stripe", "USD", 1, "50.00"),
    ]

    alias = await client.get(
        "/analytics/system",
        headers=dataset.admin.headers,
        params={"from": "2025-02-01", "to": "2025-03-31"},
    )
    assert alias.status_code == 200 and alias.json() == body  # the same cached result


async def test_system_default_window_is_a_year_by_month(
    client: httpx.AsyncClient, dataset: DataSet
) -> None:
    body = (await client.get("/analytics/system", headers=dataset.admin.headers)).json()
    trend = body["activity_trend"]
    assert trend["interval"] == "month"
    assert len(trend["points"]) in (12, 13)  # 365 days touch 12 or 13 calendar months
    weekly = await client.get(
        "/analytics/system",
        headers=dataset.admin.headers,
        params={"interval": "week", "from": "2025-03-01", "to": "2025-03-10"},
    )
    assert [p["enrollments"] for p in weekly.json()["activity_trend"]["points"]] == [3, 2, 0]
    too_long = await client.get(
        "/analytics/system", headers=dataset.admin.headers, params={"from": "2000-01-01"}
    )
    assert too_long.status_code == 422 and too_long.json()["code"] == "window_too_long"
