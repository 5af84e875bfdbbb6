"""Progress and completion through HTTP, including many requests for one enrollment at
once: the counters must add up exactly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.events import bus
from lms.modules import enrollments
from lms.modules.enrollments import service
from tests.conftest import Mailbox
from tests.factories.accounts import Account
from tests.factories.courses import published_course
from tests.factories.enrollments import enroll

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def completions() -> Iterator[list[tuple[str, bool]]]:
    """Subscribes to ``EnrollmentCompleted`` for the test; yields what it saw (the
    enrollment, and whether it ran inside the completing transaction)."""
    seen: list[tuple[str, bool]] = []

    async def listener(session: AsyncSession, event: enrollments.EnrollmentCompleted) -> None:
        seen.append((str(event.enrollment_id), session.in_transaction()))

    bus.subscribe(enrollments.EnrollmentCompleted, listener)
    yield seen
    bus.unsubscribe(enrollments.EnrollmentCompleted, listener)


def progress_url(enrollment: dict[str, Any], lesson: dict[str, Any]) -> str:
    return f"/enrollments/{enrollment['id']}/lessons/{lesson['id']}/progress"


def complete_url(enrollment: dict[str, Any], lesson: dict[str, Any]) -> str:
    return f"/enrollments/{enrollment['id']}/lessons/{lesson['id']}/complete"


async def test_progress_adds_time_replaces_position_and_starts_the_lesson(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor)
    enrollment = await enroll(client, student, course["id"])
    first = await client.put(
        progress_url(enrollment, lessons[0]),
        headers=student.headers,
        json={"time_spent_seconds": 30, "last_position_seconds": 30, "completion_percentage": 40},
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "in_progress" and body["started_at"]
    assert body["time_spent_seconds"] == 30 and body["last_position_seconds"] == 30
    assert body["completion_percentage"] == 40 and body["lesson_title"] == "Lesson 1"
    # Rewinding: time still adds up, position is replaced, the percentage does not drop.
    second = await client.put(
        progress_url(enrollment, lessons[0]),
        headers=student.headers,
        json={"time_spent_seconds": 45, "last_position_seconds": 5, "completion_percentage": 10},
    )
    body = second.json()
    assert body["time_spent_seconds"] == 75 and body["last_position_seconds"] == 5
    assert body["completion_percentage"] == 40 and body["started_at"] == first.json()["started_at"]
    await client.put(
        progress_url(enrollment, lessons[1]),
        headers=student.headers,
        json={"time_spent_seconds": 25, "progress_metadata": {"speed": 1.5}},
    )
    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert detail["total_time_spent_seconds"] == 100
    assert detail["last_accessed_at"] and detail["started_at"]
    assert detail["status"] == "active" and detail["completed_lessons_count"] == 0
    statuses = [p["status"] for p in detail["lesson_progress"]]
    assert statuses == ["in_progress", "in_progress", "not_started"]
    assert detail["lesson_progress"][1]["progress_metadata"] == {"speed": 1.5}


async def test_progress_refuses_bad_input_and_other_callers(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    course, lessons = await published_course(client, instructor)
    _other_course, other_lessons = await published_course(client, instructor, title="Other")
    enrollment = await enroll(client, student, course["id"])
    url = progress_url(enrollment, lessons[0])
    for body in (
        {"time_spent_seconds": -1},
        {"time_spent_seconds": 86_401},
        {"last_position_seconds": -3},
        {"completion_percentage": 101},
        {"completion_percentage": -1},
        {"time_spent_seconds": "lots"},
        {"time_spent_seconds": 5, "status": "completed"},
        {"progress_metadata": {"note": "nul\x00"}},
    ):
        response = await client.put(url, headers=student.headers, json=body)
        assert response.status_code == 422, body
    foreign = await client.put(
        progress_url(enrollment, other_lessons[0]),
        headers=student.headers,
        json={"time_spent_seconds": 5},
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "lesson_not_in_course"
    unknown = await client.put(
        f"/enrollments/{UNKNOWN}/lessons/{lessons[0]['id']}/progress",
        headers=student.headers,
        json={"time_spent_seconds": 5},
    )
    assert unknown.status_code == 404
    not_theirs = await client.put(
        url, headers=other_student.headers, json={"time_spent_seconds": 5}
    )
    assert not_theirs.status_code == 404
    for caller in (instructor, admin):
        refused = await client.put(url, headers=caller.headers, json={"time_spent_seconds": 5})
        assert refused.status_code == 403
    assert (await client.put(url, json={"time_spent_seconds": 5})).status_code == 401
    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert detail["total_time_spent_seconds"] == 0


async def test_completing_every_lesson_completes_the_enrollment_once(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    drain: Any,
    mailbox: Mailbox,
    completions: list[tuple[str, bool]],
) -> None:
    course, lessons = await published_course(client, instructor, title="Watercolours")
    enrollment = await enroll(client, student, course["id"])
    first = await client.post(complete_url(enrollment, lessons[0]), headers=student.headers)
    assert first.status_code == 200
    assert first.json()["completed_lessons_count"] == 1
    assert first.json()["progress_percentage"] == 33.33
    again = await client.post(complete_url(enrollment, lessons[0]), headers=student.headers)
    assert again.json()["completed_lessons_count"] == 1  # idempotent
    await client.post(complete_url(enrollment, lessons[1]), headers=student.headers)
    assert completions == []
    last = await client.post(complete_url(enrollment, lessons[2]), headers=student.headers)
    body = last.json()
    assert body["status"] == "completed" and body["completed_at"]
    assert body["progress_percentage"] == 100 and body["completed_lessons_count"] == 3
    assert completions == [(enrollment["id"], True)]
    repeat = await client.post(complete_url(enrollment, lessons[2]), headers=student.headers)
    assert repeat.status_code == 200 and repeat.json()["completed_at"] == body["completed_at"]
    assert len(completions) == 1

    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert all(
        p["completed"] and p["completion_percentage"] == 100 for p in detail["lesson_progress"]
    )
    await drain()  # runs what the drained jobs queue too: the certificate's issue
    subjects = sorted(m["Subject"] for m in mailbox.messages(student.email))
    assert subjects == [
        "You are enrolled in Watercolours",
        "You completed Watercolours",
        "Your certificate for Watercolours",
    ]


async def test_completion_is_refused_where_it_must_be(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
) -> None:
    course, lessons = await published_course(client, instructor)
    _other, other_lessons = await published_course(client, instructor, title="Other")
    enrollment = await enroll(client, student, course["id"])
    foreign = await client.post(complete_url(enrollment, other_lessons[0]), headers=student.headers)
    assert foreign.status_code == 404 and foreign.json()["code"] == "lesson_not_in_course"
    unknown_lesson = await client.post(
        f"/enrollments/{enrollment['id']}/lessons/{UNKNOWN}/complete", headers=student.headers
    )
    assert unknown_lesson.status_code == 404
    assert (
        await client.post(complete_url(enrollment, lessons[0]), headers=other_student.headers)
    ).status_code == 404
    assert (
        await client.post(complete_url(enrollment, lessons[0]), headers=instructor.headers)
    ).status_code == 403
    assert (await client.post(complete_url(enrollment, lessons[0]))).status_code == 401
    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert detail["completed_lessons_count"] == 0


async def test_deleting_a_lesson_recounts_every_enrollment(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
    drain: Any,
    mailbox: Mailbox,
    completions: list[tuple[str, bool]],
) -> None:
    course, lessons = await published_course(client, instructor, title="Chess")
    ahead = await enroll(client, student, course["id"])
    behind = await enroll(client, other_student, course["id"])
    for lesson in lessons[:2]:
        await client.post(complete_url(ahead, lesson), headers=student.headers)
    await client.post(complete_url(behind, lessons[0]), headers=other_student.headers)

    # The lesson the leader has not done goes: the leader has now done everything.
    assert (
        await client.delete(f"/lessons/{lessons[2]['id']}", headers=instructor.headers)
    ).status_code == 204
    leader = (await client.get(f"/enrollments/{ahead['id']}", headers=student.headers)).json()
    assert (leader["completed_lessons_count"], leader["total_lessons_count"]) == (2, 2)
    assert leader["progress_percentage"] == 100 and leader["status"] == "completed"
    assert len(leader["lesson_progress"]) == 2
    follower = (
        await client.get(f"/enrollments/{behind['id']}", headers=other_student.headers)
    ).json()
    assert (follower["completed_lessons_count"], follower["total_lessons_count"]) == (1, 2)
    assert follower["progress_percentage"] == 50 and follower["status"] == "active"
    assert completions == [(ahead["id"], True)]

    # A completed lesson goes: the counters drop with it.
    await client.delete(f"/lessons/{lessons[0]['id']}", headers=instructor.headers)
    follower = (
        await client.get(f"/enrollments/{behind['id']}", headers=other_student.headers)
    ).json()
    assert (follower["completed_lessons_count"], follower["total_lessons_count"]) == (0, 1)
    assert follower["progress_percentage"] == 0
    await drain()
    assert [m["Subject"] for m in mailbox.messages(student.email)].count("You completed Chess") == 1


async def test_concurrent_progress_updates_add_up_exactly(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, lessons=3)
    enrollment = await enroll(client, student, course["id"])
    updates = [(lessons[i % 3], 7 + i) for i in range(24)]

    async def report(lesson: dict[str, Any], seconds: int) -> httpx.Response:
        return await client.put(
            progress_url(enrollment, lesson),
            headers=student.headers,
            json={"time_spent_seconds": seconds, "last_position_seconds": seconds},
        )

    responses = await asyncio.gather(*(report(lesson, seconds) for lesson, seconds in updates))
    assert [r.status_code for r in responses] == [200] * len(updates), [r.text for r in responses]
    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert detail["total_time_spent_seconds"] == sum(seconds for _, seconds in updates)
    for index, progress in enumerate(detail["lesson_progress"]):
        expected = sum(seconds for lesson, seconds in updates if lesson is lessons[index])
        assert progress["time_spent_seconds"] == expected
        assert progress["status"] == "in_progress"


async def test_concurrent_completions_count_each_lesson_once_and_complete_once(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    drain: Any,
    mailbox: Mailbox,
    completions: list[tuple[str, bool]],
) -> None:
    course, lessons = await published_course(client, instructor, lessons=6, title="Origami")
    enrollment = await enroll(client, student, course["id"])

    async def complete(lesson: dict[str, Any]) -> httpx.Response:
        return await client.post(complete_url(enrollment, lesson), headers=student.headers)

    async def progress(lesson: dict[str, Any]) -> httpx.Response:
        return await client.put(
            progress_url(enrollment, lesson),
            headers=student.headers,
            json={"time_spent_seconds": 10},
        )

    # Every lesson completed twice, with progress reports in between, all at once.
    calls = [complete(lesson) for lesson in lessons * 2] + [progress(lesson) for lesson in lessons]
    responses = await asyncio.gather(*calls)
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]

    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert detail["completed_lessons_count"] == 6 and detail["total_lessons_count"] == 6
    assert detail["progress_percentage"] == 100 and detail["status"] == "completed"
    assert detail["total_time_spent_seconds"] == 60
    assert completions == [(enrollment["id"], True)]
    await drain()
    completed_mails = [
        m for m in mailbox.messages(student.email) if m["Subject"] == "You completed Origami"
    ]
    assert len(completed_mails) == 1


async def test_a_dropped_enrollment_records_no_more_progress(
    client: httpx.AsyncClient, app: Any, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, title="Refunded")
    enrollment = await enroll(client, student, course["id"])
    first = await client.post(complete_url(enrollment, lessons[0]), headers=student.headers)
    assert first.status_code == 200 and first.json()["completed_lessons_count"] == 1
    async with app.state.sessionmaker() as session:  # the purchase is refunded
        assert await service.drop_enrollment(
            session, student_id=student.id, course_id=uuid.UUID(course["id"])
        )
        await session.commit()

    for lesson in (lessons[1], lessons[0]):  # a new lesson, and one completed before
        refused = await client.post(complete_url(enrollment, lesson), headers=student.headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "enrollment_not_active"
    progress = await client.put(
        f"/enrollments/{enrollment['id']}/lessons/{lessons[1]['id']}/progress",
        headers=student.headers,
        json={"time_spent_seconds": 30},
    )
    assert progress.status_code == 422 and progress.json()["code"] == "enrollment_not_active"
    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    assert detail["status"] == "dropped"
    assert detail["completed_lessons_count"] == 1
    assert detail["total_time_spent_seconds"] == 0


async def test_progress_metadata_keeps_any_json_number(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, title="Big numbers")
    enrollment = await enroll(client, student, course["id"])
    metadata = {"frame": 2**80, "ratio": 0.1, "nested": {"ids": [-(2**70), 7]}, "note": "é"}
    url = f"/enrollments/{enrollment['id']}/lessons/{lessons[0]['id']}/progress"
    saved = await client.put(
        url, headers=student.headers, json={"time_spent_seconds": 5, "progress_metadata": metadata}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["progress_metadata"] == metadata
    detail = (await client.get(f"/enrollments/{enrollment['id']}", headers=student.headers)).json()
    (stored,) = [p for p in detail["lesson_progress"] if p["lesson_id"] == lessons[0]["id"]]
    assert stored["progress_metadata"] == metadata
