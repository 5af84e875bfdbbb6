"""Broken object level authorization (OWASP API1): another student, knowing every id of
the student's objects, can neither read nor change any of them, nor use them as a
reference in their own requests, nor find them in their own lists."""

from __future__ import annotations

import httpx

from tests.security.world import World

NOT_FOUND = 404


async def _refused(response: httpx.Response, what: str) -> None:
    # Outsiders are told 404 (the object's existence is not revealed); a 403 would say
    # "it exists, but not for you".
    assert response.status_code == NOT_FOUND, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json"


async def test_another_student_reaches_none_of_the_students_objects(
    client: httpx.AsyncClient, world: World
) -> None:
    w = world
    thief = w.headers("other_student")
    enrollment, lesson = w.enrollment["id"], w.lessons[0]["id"]
    attempt, quiz = w.attempt["id"], w.quiz["id"]
    reads = {
        "enrollment": f"/enrollments/{enrollment}",
        "attempt": f"/attempts/{attempt}",
        "attempt (quiz path)": f"/quizzes/{quiz}/attempts/{attempt}",
        "submission": f"/submissions/{w.submission['id']}",
        "certificate": f"/certificates/{w.certificate['id']}",
        "certificate download": f"/certificates/{w.certificate['id']}/download",
        "private file": f"/files/{w.file['id']}",
        "private file download": f"/files/{w.file['id']}/download",
        "private file download (alias)": f"/files/download/{w.file['id']}",
        "payment": f"/payments/{w.payment['id']}",
    }
    for what, path in reads.items():
        await _refused(await client.get(path, headers=thief), what)

    writes = {
        "progress": (
            "PUT",
            f"/enrollments/{enrollment}/lessons/{lesson}/progress",
            {"time_spent_seconds": 600, "completion_percentage": 100},
        ),
        "complete a lesson": ("POST", f"/enrollments/{enrollment}/lessons/{lesson}/complete", None),
        "review": ("POST", f"/enrollments/{enrollment}/review", {"rating": 1}),
        "save answers": ("PUT", f"/attempts/{attempt}/answers", {"answers": []}),
        "submit attempt": ("POST", f"/attempts/{attempt}/submit", {"answers": []}),
        "submit attempt (quiz path)": (
            "POST",
            f"/quizzes/{quiz}/attempts/{attempt}/submit",
            {"answers": []},
        ),
        "certificate for the enrollment": (
            "POST",
            f"/certificates/enrollments/{w.completed_enrollment['id']}/generate",
            None,
        ),
        "certificate for the enrollment (body)": (
            "POST",
            "/certificates/generate",
            {"enrollment_id": w.completed_enrollment["id"]},
        ),
        "delete the file": ("DELETE", f"/files/{w.file['id']}", None),
        "cancel the subscription": (
            "POST",
            f"/payments/subscriptions/{w.subscription['id']}/cancel",
            None,
        ),
    }
    for what, (method, path, body) in writes.items():
        await _refused(await client.request(method, path, headers=thief, json=body), what)

    # Nothing changed for the student.
    mine = w.headers("student")
    detail = (await client.get(f"/enrollments/{enrollment}", headers=mine)).json()
    assert detail["rating"] is None
    [progress] = [p for p in detail["lesson_progress"] if p["lesson_id"] == lesson]
    assert progress["status"] != "completed" and progress["time_spent_seconds"] == 60
    assert (await client.get(f"/attempts/{attempt}", headers=mine)).json()["status"] == (
        "in_progress"
    )
    assert (await client.get(f"/files/{w.file['id']}", headers=mine)).status_code == 200
    subscription = (await client.get("/payments/my-subscriptions", headers=mine)).json()
    assert [s["cancel_at_period_end"] for s in subscription["items"]] == [False]


async def test_the_students_objects_are_not_usable_as_references(
    client: httpx.AsyncClient, world: World
) -> None:
    w = world
    thief = w.headers("other_student")
    # the thief enrolls in the same course, then hands in the student's file as their own
    enrolled = await client.post("/enrollments", headers=thief, json={"course_id": w.course["id"]})
    assert enrolled.status_code == 201
    handed_in = await client.post(
        f"/lessons/{w.assignment['id']}/submissions",
        headers=thief,
        json={"text": "My own work", "file_id": w.file["id"]},
    )
    assert handed_in.status_code in (404, 422), handed_in.text
    # and reports progress against their own enrollment for a lesson of another course
    other_course_lesson = w.lessons[0]["id"]
    short_enrollment = w.completed_enrollment["id"]
    crossed = await client.put(
        f"/enrollments/{short_enrollment}/lessons/{other_course_lesson}/progress",
        headers=thief,
        json={"time_spent_seconds": 5},
    )
    await _refused(crossed, "progress through the student's enrollment")
    # the student's attempt cannot be graded, read or continued through another quiz's path
    own_quiz = w.quiz["id"]
    stranger = await client.get(f"/quizzes/{own_quiz}/attempts/{w.attempt['id']}", headers=thief)
    await _refused(stranger, "attempt through the quiz path")


async def test_lists_show_only_the_callers_own_objects(
    client: httpx.AsyncClient, world: World
) -> None:
    w = world
    thief = w.headers("other_student")
    lists = {
        "/enrollments/my-courses": "enrollments",
        "/submissions/my": "submissions",
        "/certificates/my-certificates": "certificates",
        "/files": "files",
        "/files/my-files": "files",
        "/payments/my-payments": "payments",
        "/payments/my-subscriptions": "subscriptions",
        f"/quizzes/{w.quiz['id']}/attempts/my-attempts": "attempts",
    }
    for path, what in lists.items():
        response = await client.get(path, headers=thief)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["total"] == 0, f"{what} of another student listed at {path}"
    # filters naming the student do not widen the list
    by_uploader = await client.get(
        "/files", headers=thief, params={"uploader_id": str(w.student.id)}
    )
    assert by_uploader.json()["total"] == 0
