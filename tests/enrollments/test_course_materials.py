"""Files attached to a lesson are course materials: the course's students read them,
only the course's instructor (or an admin) attaches them."""

from __future__ import annotations

import httpx

from tests.factories.accounts import Account
from tests.factories.courses import published_course
from tests.factories.enrollments import enroll
from tests.factories.files import upload

SLIDES = b"%PDF-1.4\n%course slides\n%%EOF\n"


async def _attach(client: httpx.AsyncClient, uploader: Account, lesson_id: str) -> httpx.Response:
    return await upload(
        client, uploader, "slides.pdf", SLIDES, mime="application/pdf", lesson_id=lesson_id
    )


async def test_enrolled_students_read_materials_others_do_not(
    client: httpx.AsyncClient,
    instructor: Account,
    other_instructor: Account,
    student: Account,
    other_student: Account,
) -> None:
    course, lessons = await published_course(client, instructor, lessons=2)
    foreign = await _attach(client, other_instructor, lessons[1]["id"])
    assert foreign.status_code in (403, 404)
    material = await _attach(client, instructor, lessons[1]["id"])
    assert material.status_code == 201, material.text
    file_id = material.json()["id"]

    assert (await client.get(f"/files/{file_id}", headers=student.headers)).status_code == 404
    await enroll(client, student, course["id"])
    download = await client.get(f"/files/{file_id}/download", headers=student.headers)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    for outsider in (other_student, other_instructor):
        response = await client.get(f"/files/{file_id}", headers=outsider.headers)
        assert response.status_code == 404
    assert (await client.get(f"/files/{file_id}")).status_code == 404
