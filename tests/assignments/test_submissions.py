from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.factories.accounts import Account
from tests.factories.courses import add_lesson, create_course, publish_course
from tests.factories.enrollments import enroll, get_enrollment
from tests.factories.files import upload_file


async def _room(
    client: httpx.AsyncClient, instructor: Account, student: Account, **lesson: Any
) -> tuple[str, str, str]:
    course = await create_course(client, instructor)
    assignment = await add_lesson(
        client, instructor, course["id"], lesson_type="assignment", **lesson
    )
    await add_lesson(client, instructor, course["id"], lesson_type="text")
    await publish_course(client, instructor, course["id"])
    enrollment = await enroll(client, student, course["id"])
    return course["id"], assignment["id"], enrollment["id"]


async def test_a_student_submits_resubmits_and_is_graded(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_student: Account
) -> None:
    course_id, lesson_id, enrollment_id = await _room(client, instructor, student)
    first = await client.post(
        f"/lessons/{lesson_id}/submissions", headers=student.headers, json={"text": "Draft essay"}
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "submitted" and body["submission_count"] == 1
    assert body["text"] == "Draft essay" and body["file_id"] is None
    assert body["course_id"] == course_id and body["student_id"] == str(student.id)

    unknown = await client.post(
        f"/lessons/{lesson_id}/submissions",
        headers=student.headers,
        json={"text": "Final essay", "file_id": str(uuid.uuid4())},
    )
    assert unknown.status_code == 404
    essay = b"%PDF-1.4\n%final essay\n%%EOF\n"
    file_id = (await upload_file(client, student, "essay.pdf", essay, mime="application/pdf"))["id"]
    second = await client.post(
        f"/lessons/{lesson_id}/submissions",
        headers=student.headers,
        json={"text": "Final essay", "file_id": file_id},
    )
    assert second.status_code == 200
    assert second.json()["id"] == body["id"] and second.json()["submission_count"] == 2
    assert second.json()["file_id"] == file_id and second.json()["text"] == "Final essay"

    mine = await client.get(f"/lessons/{lesson_id}/submissions/my", headers=student.headers)
    assert mine.status_code == 200 and mine.json()["text"] == "Final essay"

    listed = await client.get(f"/lessons/{lesson_id}/submissions", headers=instructor.headers)
    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert listed.json()["page"] == 1 and listed.json()["page_size"] == 20

    # the course's instructor reads the handed-in file; it stays private to anyone else
    handed_in = await client.get(f"/files/{file_id}/download", headers=instructor.headers)
    assert handed_in.status_code == 200 and handed_in.content.startswith(b"%PDF")
    peek = await client.get(f"/files/{file_id}/download", headers=other_student.headers)
    assert peek.status_code == 404
    borrowed = await client.post(
        f"/lessons/{lesson_id}/submissions",
        headers=other_student.headers,
        json={"text": "Copied", "file_id": file_id},
    )
    assert borrowed.status_code in (403, 404)  # not enrolled, and not their file

    graded = await client.post(
        f"/submissions/{body['id']}/grade",
        headers=instructor.headers,
        json={"score": 88.5, "feedback": "Clear argument."},
    )
    assert graded.status_code == 200, graded.text
    assert graded.json()["status"] == "graded" and graded.json()["score"] == "88.50"
    assert graded.json()["feedback"] == "Clear argument." and graded.json()["is_passed"] is True
    enrollment = await get_enrollment(client, student, enrollment_id)
    assert enrollment["completed_lessons_count"] == 1

    late = await client.post(
        f"/lessons/{lesson_id}/submissions", headers=student.headers, json={"text": "One more"}
    )
    assert late.status_code == 409 and late.json()["code"] == "submission_graded"
    seen = await client.get(f"/submissions/{body['id']}", headers=student.headers)
    assert seen.json()["text"] == "Final essay" and seen.json()["score"] == "88.50"
    my_all = await client.get("/submissions/my", headers=student.headers)
    assert [s["id"] for s in my_all.json()["items"]] == [body["id"]]
    filtered = await client.get(
        "/submissions/my", headers=student.headers, params={"status": "submitted"}
    )
    assert filtered.json()["total"] == 0
    waiting = await client.get(
        f"/lessons/{lesson_id}/submissions",
        headers=instructor.headers,
        params={"status": "submitted"},
    )
    assert waiting.json()["total"] == 0


async def test_a_lesson_threshold_decides_completion_and_reopens_failed_work(
    client: httpx.AsyncClient, instructor: Account, student: Account, admin: Account
) -> None:
    _course, lesson_id, enrollment_id = await _room(
        client, instructor, student, lesson_metadata={"passing_score": 60}
    )
    submitted = await client.post(
        f"/lessons/{lesson_id}/submissions", headers=student.headers, json={"text": "Try 1"}
    )
    failed = await client.post(
        f"/submissions/{submitted.json()['id']}/grade", headers=admin.headers, json={"score": 40}
    )
    assert failed.status_code == 200 and failed.json()["is_passed"] is False
    assert (await get_enrollment(client, student, enrollment_id))["completed_lessons_count"] == 0
    retry = await client.post(
        f"/lessons/{lesson_id}/submissions", headers=student.headers, json={"text": "Try 2"}
    )
    assert retry.status_code == 200 and retry.json()["status"] == "submitted"
    assert retry.json()["score"] is None and retry.json()["submission_count"] == 2
    passed = await client.post(
        f"/submissions/{submitted.json()['id']}/grade",
        headers=instructor.headers,
        json={"score": 75},
    )
    assert passed.json()["is_passed"] is True
    assert (await get_enrollment(client, student, enrollment_id))["completed_lessons_count"] == 1


async def test_submissions_are_refused_where_they_do_not_belong(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_student: Account
) -> None:
    course_id, lesson_id, _ = await _room(client, instructor, student)
    text_lesson = await add_lesson(client, instructor, course_id, lesson_type="text")
    for body in (
        {},
        {"text": ""},
        {"text": "   "},
        {"file_id": "nope"},
        {"text": "a", "x": 1},
        {"text": "a\x00"},
    ):
        response = await client.post(
            f"/lessons/{lesson_id}/submissions", headers=student.headers, json=body
        )
        assert response.status_code == 422, body
    wrong_type = await client.post(
        f"/lessons/{text_lesson['id']}/submissions", headers=student.headers, json={"text": "x"}
    )
    assert wrong_type.status_code == 422 and wrong_type.json()["code"] == "not_an_assignment"
    outsider = await client.post(
        f"/lessons/{lesson_id}/submissions", headers=other_student.headers, json={"text": "x"}
    )
    assert outsider.status_code == 403 and outsider.json()["code"] == "not_enrolled"
    assert (
        await client.post(f"/lessons/{lesson_id}/submissions", json={"text": "x"})
    ).status_code == 401
    missing = await client.post(
        f"/lessons/{uuid.uuid4()}/submissions", headers=student.headers, json={"text": "x"}
    )
    assert missing.status_code == 404
    draft = await create_course(client, instructor)
    hidden_lesson = await add_lesson(client, instructor, draft["id"], lesson_type="assignment")
    hidden = await client.post(
        f"/lessons/{hidden_lesson['id']}/submissions", headers=student.headers, json={"text": "x"}
    )
    assert hidden.status_code == 404
    none_yet = await client.get(
        f"/lessons/{lesson_id}/submissions/my", headers=other_student.headers
    )
    assert none_yet.status_code == 404


async def test_only_managers_list_and_grade_and_students_see_only_their_own(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    other_student: Account,
    admin: Account,
) -> None:
    course_id, lesson_id, _ = await _room(client, instructor, student)
    await enroll(client, other_student, course_id)
    mine = await client.post(
        f"/lessons/{lesson_id}/submissions", headers=student.headers, json={"text": "A"}
    )
    theirs = await client.post(
        f"/lessons/{lesson_id}/submissions", headers=other_student.headers, json={"text": "B"}
    )
    for caller in (student, other_instructor):
        refused = await client.get(f"/lessons/{lesson_id}/submissions", headers=caller.headers)
        assert refused.status_code == 403
    page = await client.get(
        f"/lessons/{lesson_id}/submissions", headers=admin.headers, params={"page_size": 1}
    )
    assert page.json()["total"] == 2 and len(page.json()["items"]) == 1
    page2 = await client.get(
        f"/lessons/{lesson_id}/submissions",
        headers=admin.headers,
        params={"page_size": 1, "page": 2},
    )
    assert {page.json()["items"][0]["id"], page2.json()["items"][0]["id"]} == {
        mine.json()["id"],
        theirs.json()["id"],
    }
    theirs_id = theirs.json()["id"]
    assert (
        await client.get(f"/submissions/{theirs_id}", headers=student.headers)
    ).status_code == 404
    assert (
        await client.get(f"/submissions/{theirs_id}", headers=other_instructor.headers)
    ).status_code == 404
    assert (
        await client.get(f"/submissions/{theirs_id}", headers=instructor.headers)
    ).status_code == 200
    grade = {"score": 90}
    assert (
        await client.post(f"/submissions/{theirs_id}/grade", headers=student.headers, json=grade)
    ).status_code == 404
    own = await client.post(
        f"/submissions/{mine.json()['id']}/grade", headers=student.headers, json=grade
    )
    assert own.status_code == 403
    assert (
        await client.post(
            f"/submissions/{theirs_id}/grade", headers=other_instructor.headers, json=grade
        )
    ).status_code == 404
    for bad in ({"score": 101}, {"score": -1}, {}, {"score": "x"}):
        response = await client.post(
            f"/submissions/{theirs_id}/grade", headers=instructor.headers, json=bad
        )
        assert response.status_code == 422, bad
    missing = await client.post(
        f"/submissions/{uuid.uuid4()}/grade", headers=instructor.headers, json=grade
    )
    assert missing.status_code == 404
    my_list = await client.get(
        "/submissions/my", headers=student.headers, params={"course_id": course_id}
    )
    assert [s["id"] for s in my_list.json()["items"]] == [mine.json()["id"]]


async def test_racing_first_submissions_keep_one_row(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    _course, lesson_id, _ = await _room(client, instructor, student)
    responses = await asyncio.gather(
        *(
            client.post(
                f"/lessons/{lesson_id}/submissions", headers=student.headers, json={"text": f"v{i}"}
            )
            for i in range(4)
        )
    )
    # A resubmission that loses a race to another one is told to retry, never a 500.
    assert all(
        r.status_code in (200, 201)
        or (r.status_code == 409 and r.json()["code"] == "submission_changed")
        for r in responses
    ), [r.text for r in responses]
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.json()["id"] for r in responses if r.status_code < 300}) == 1
    listed = await client.get(f"/lessons/{lesson_id}/submissions", headers=instructor.headers)
    assert listed.json()["total"] == 1


async def test_a_retried_submission_is_handed_in_once(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    """A retry with the Idempotency-Key replays the first answer: the work is not
    counted as resubmitted."""
    _course_id, lesson_id, _enrollment_id = await _room(client, instructor, student)
    url = f"/lessons/{lesson_id}/submissions"
    headers = {**student.headers, "Idempotency-Key": "essay-1"}
    first = await client.post(url, headers=headers, json={"text": "My essay"})
    retry = await client.post(url, headers=headers, json={"text": "My essay"})
    assert first.status_code == retry.status_code == 201, first.text
    assert retry.json() == first.json() and retry.json()["submission_count"] == 1
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["location"].endswith(f"/api/v1/submissions/{first.json()['id']}")
    assert retry.headers["idempotent-replayed"] == "true"
    reused = await client.post(url, headers=headers, json={"text": "Another essay"})
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    mine = await client.get(f"{url}/my", headers=student.headers)
    assert (mine.json()["text"], mine.json()["submission_count"]) == ("My essay", 1)
