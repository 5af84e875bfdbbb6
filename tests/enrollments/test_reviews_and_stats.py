"""Reviews and a course's statistics through HTTP."""

from __future__ import annotations

import httpx

from tests.factories.accounts import Account, AccountFactory
from tests.factories.courses import create_course, published_course
from tests.factories.enrollments import complete_lesson, enroll

UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def test_a_review_is_one_per_enrollment_and_editable(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    course, _ = await published_course(client, instructor)
    enrollment = await enroll(client, student, course["id"])
    url = f"/enrollments/{enrollment['id']}/review"
    first = await client.post(url, headers=student.headers, json={"rating": 5, "review": "Great!"})
    assert first.status_code == 200, first.text
    assert (first.json()["rating"], first.json()["review"]) == (5, "Great!")
    assert first.json()["reviewed_at"]
    again = await client.post(url, headers=student.headers, json={"rating": 3, "review": "Okay"})
    assert (again.json()["rating"], again.json()["review"]) == (3, "Okay")
    patched = await client.patch(url, headers=student.headers, json={"rating": 4})
    assert (patched.json()["rating"], patched.json()["review"]) == (4, None)
    stats = (
        await client.get(f"/enrollments/courses/{course['id']}/stats", headers=instructor.headers)
    ).json()
    assert stats["ratings_count"] == 1 and stats["average_rating"] == 4

    for body in (
        {"rating": 0},
        {"rating": 6},
        {"review": "No rating"},
        {"rating": "five"},
        {"rating": 5, "review": "x" * 5001},
        {"rating": 4.5},
    ):
        bad = await client.post(url, headers=student.headers, json=body)
        assert bad.status_code == 422, body
    assert (
        await client.post(url, headers=other_student.headers, json={"rating": 1})
    ).status_code == 404
    for caller in (instructor, admin):
        assert (
            await client.post(url, headers=caller.headers, json={"rating": 1})
        ).status_code == 403
    assert (await client.post(url, json={"rating": 1})).status_code == 401
    unknown = await client.post(
        f"/enrollments/{UNKNOWN}/review", headers=student.headers, json={"rating": 1}
    )
    assert unknown.status_code == 404
    final = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert final["rating"] == 4


async def test_course_stats_are_computed_for_owner_and_admin(
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    instructor: Account,
    other_instructor: Account,
    admin: Account,
) -> None:
    course, lessons = await published_course(client, instructor, lessons=2)
    students = [await make_account("student") for _ in range(3)]
    enrollments = [await enroll(client, s, course["id"]) for s in students]
    # One finishes, one is half-way, one has not started.
    for lesson in lessons:
        await complete_lesson(client, students[0], enrollments[0]["id"], lesson["id"])
    await complete_lesson(client, students[1], enrollments[1]["id"], lessons[0]["id"])
    await client.put(
        f"/enrollments/{enrollments[1]['id']}/lessons/{lessons[1]['id']}/progress",
        headers=students[1].headers,
        json={"time_spent_seconds": 90},
    )
    for account, enrollment, rating in (
        (students[0], enrollments[0], 5),
        (students[1], enrollments[1], 4),
    ):
        await client.post(
            f"/enrollments/{enrollment['id']}/review",
            headers=account.headers,
            json={"rating": rating},
        )

    for caller in (instructor, admin):
        response = await client.get(
            f"/enrollments/courses/{course['id']}/stats", headers=caller.headers
        )
        assert response.status_code == 200
        stats = response.json()
        assert stats["course_id"] == course["id"]
        assert stats["total_enrollments"] == 3
        assert stats["by_status"] == {"active": 2, "completed": 1, "dropped": 0, "expired": 0}
        assert stats["completed_enrollments"] == 1
        assert stats["completion_rate"] == 33.33
        assert stats["average_progress"] == 50.0  # (100 + 50 + 0) / 3
        assert stats["average_rating"] == 4.5 and stats["ratings_count"] == 2
        assert stats["total_time_spent_seconds"] == 90
        assert stats["average_time_spent_seconds"] == 30.0
        assert stats["active_students"] == 2

    for caller in (other_instructor, students[0]):
        refused = await client.get(
            f"/enrollments/courses/{course['id']}/stats", headers=caller.headers
        )
        assert refused.status_code == 403
    assert (await client.get(f"/enrollments/courses/{course['id']}/stats")).status_code == 401
    unknown = await client.get(f"/enrollments/courses/{UNKNOWN}/stats", headers=admin.headers)
    assert unknown.status_code == 404
    draft = await create_course(client, instructor, title="Draft")
    hidden = await client.get(
        f"/enrollments/courses/{draft['id']}/stats", headers=other_instructor.headers
    )
    assert hidden.status_code == 404
    empty = (
        await client.get(f"/enrollments/courses/{draft['id']}/stats", headers=instructor.headers)
    ).json()
    assert empty["total_enrollments"] == 0 and empty["completion_rate"] == 0
    assert empty["average_rating"] is None
