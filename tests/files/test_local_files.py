"""Files on the local backend, end to end through HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.events import bus
from lms.modules import files
from lms.modules.files import service as file_service
from tests.factories.accounts import Account
from tests.factories.courses import add_lesson, create_course
from tests.factories.files import (
    ELF,
    PE,
    avi,
    doc,
    docx,
    jpeg,
    mov,
    mp4,
    pdf,
    plain_zip,
    png,
    upload,
)
from tests.files.conftest import stored_files


async def test_upload_stores_the_file_under_a_generated_key(
    client: httpx.AsyncClient, student: Account, upload_root: Path
) -> None:
    content = png(5000)
    response = await upload(client, student, "Holiday Photo.PNG", content)
    assert response.status_code == 201, response.text
    body = response.json()
    now = datetime.now(UTC)
    assert body["original_filename"] == "Holiday Photo.PNG"
    assert body["filename"] == f"{body['id']}.png"
    assert body["file_url"] == f"/api/v1/files/{body['id']}/download"
    assert body["mime_type"] == "image/png" and body["file_type"] == "image"
    assert body["file_size"] == 5000 and body["folder"] == "uploads"
    assert body["storage_provider"] == "local" and body["is_public"] is False
    assert body["uploader_id"] == str(student.id) and body["lesson_id"] is None
    assert "storage_path" not in body
    on_disk = upload_root / "uploads" / f"{now:%Y}" / f"{now:%m}" / body["filename"]
    assert on_disk.read_bytes() == content


async def test_every_accepted_format_is_recognised(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    samples = {
        "a.pdf": (pdf(), "application/pdf", "document"),
        "a.png": (png(), "image/png", "image"),
        "a.jpg": (jpeg(), "image/jpeg", "image"),
        "a.jpeg": (jpeg(), "image/jpeg", "image"),
        "a.mp4": (mp4(), "video/mp4", "video"),
        "a.mov": (mov(), "video/quicktime", "video"),
        "a.avi": (avi(), "video/x-msvideo", "video"),
        "a.doc": (doc(), "application/msword", "document"),
        "a.docx": (
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "document",
        ),
    }
    for name, (content, mime, kind) in samples.items():
        response = await upload(client, instructor, name, content)
        assert response.status_code == 201, (name, response.text)
        assert (response.json()["mime_type"], response.json()["file_type"]) == (mime, kind)


async def test_folder_and_flags_are_kept_and_the_folder_sanitised(
    client: httpx.AsyncClient, instructor: Account, upload_root: Path
) -> None:
    response = await upload(
        client,
        instructor,
        "slides.pdf",
        pdf(),
        folder="../../Course Slides/./week 1",
        is_public=True,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["folder"] == "course-slides/week-1" and body["is_public"] is True
    now = datetime.now(UTC)
    expected = upload_root / "course-slides" / "week-1" / f"{now:%Y}" / f"{now:%m}"
    assert (expected / body["filename"]).is_file()


async def test_anonymous_upload_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    before = stored_files(settings)
    response = await upload(client, None, "a.png", png())
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert stored_files(settings) == before


@pytest.mark.parametrize("name", ["virus.exe", "notes.txt", "archive.zip", "no-extension", ".png"])
async def test_extension_outside_the_allow_list_is_refused(
    client: httpx.AsyncClient, student: Account, settings: Settings, name: str
) -> None:
    before = stored_files(settings)
    response = await upload(client, student, name, png())
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "extension_not_allowed"
    assert stored_files(settings) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cute-cat.png", ELF),
        ("invoice.pdf", PE),
        ("photo.jpg", png()),
        ("report.docx", plain_zip()),
        ("lecture.mp4", b"<html><script>alert(1)</script></html>" * 10),
        ("old.doc", pdf()),
    ],
)
async def test_content_that_does_not_match_its_extension_is_refused(
    client: httpx.AsyncClient, student: Account, settings: Settings, name: str, content: bytes
) -> None:
    before = stored_files(settings)
    response = await upload(client, student, name, content)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "content_mismatch"
    assert stored_files(settings) == before
    listed = await client.get("/files/my-files", headers=student.headers)
    assert listed.json()["total"] == 0


async def test_an_operator_allowed_extension_without_signature_still_refuses_executables(
    client: httpx.AsyncClient,
    student: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        settings, "allowed_upload_extensions", [*settings.allowed_upload_extensions, "txt"]
    )
    accepted = await upload(client, student, "notes.txt", b"plain notes\n")
    assert accepted.status_code == 201 and accepted.json()["mime_type"] == "text/plain"
    refused = await upload(client, student, "notes.txt", b"#!/bin/sh\nrm -rf /\n")
    assert refused.status_code == 415


async def test_oversized_upload_is_refused_while_streaming_and_leaves_nothing(
    client: httpx.AsyncClient,
    student: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    before = stored_files(settings)

    async def body() -> object:
        boundary = b"b0undary"
        yield b"--" + boundary + b"\r\n"
        yield b'Content-Disposition: form-data; name="file"; filename="big.png"\r\n'
        yield b"Content-Type: image/png\r\n\r\n"
        yield png(256 * 1024)
        for _ in range(8):
            yield b"\x00" * (256 * 1024)
        yield b"\r\n--" + boundary + b"--\r\n"

    # No Content-Length (chunked): the limit is enforced on the bytes as they arrive.
    response = await client.post(
        "/files/upload",
        headers={**student.headers, "Content-Type": "multipart/form-data; boundary=b0undary"},
        content=body(),
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "file_too_large"
    assert stored_files(settings) == before
    assert (await client.get("/files/my-files", headers=student.headers)).json()["total"] == 0

    # With a Content-Length over the limit it is refused before reading the body.
    declared = await upload(client, student, "big.png", png(2 * 1024 * 1024))
    assert declared.status_code == 413
    just_under = await upload(client, student, "ok.png", png(1024 * 1024))
    assert just_under.status_code == 201


async def test_traversal_in_the_file_name_is_only_a_display_name(
    client: httpx.AsyncClient, student: Account, upload_root: Path
) -> None:
    outside = upload_root.parent / "etc" / "passwd.png"
    for name in ("../../etc/passwd.png", "..\\..\\etc\\passwd.png", "/etc/passwd.png"):
        response = await upload(client, student, name, png())
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["original_filename"] == "passwd.png"
        assert body["filename"] == f"{body['id']}.png"
        stored = [p for p in upload_root.rglob(body["filename"])]
        assert len(stored) == 1 and stored[0].is_relative_to(upload_root)
    assert not outside.exists()


async def test_control_and_bidi_characters_are_stripped_from_the_name(
    client: httpx.AsyncClient, student: Account
) -> None:
    name = "inv\u202egnp.exe\x07.png".encode()
    response = await client.post(
        "/files/upload",
        headers={**student.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="'
        + name
        + b'"\r\n\r\n'
        + png()
        + b"\r\n--xyz--\r\n",
    )
    assert response.status_code == 201, response.text
    assert response.json()["original_filename"] == "invgnp.exe.png"


async def test_malformed_requests_are_clear_errors(
    client: httpx.AsyncClient, student: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_json = await client.post("/files/upload", headers=student.headers, json={"file": "x"})
    assert as_json.status_code == 415 and as_json.json()["code"] == "multipart_required"

    no_file = await client.post(
        "/files/upload", headers=student.headers, data={"folder": "x"}, files={"other": ("a", b"")}
    )
    assert no_file.status_code == 422
    only_fields = await client.post(
        "/files/upload",
        headers={**student.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="folder"\r\n\r\nabc\r\n--xyz--\r\n',
    )
    assert only_fields.status_code == 422 and only_fields.json()["code"] == "file_missing"

    left_empty = await upload(client, student, "", b"")  # a form whose file input is empty
    assert left_empty.status_code == 422 and left_empty.json()["code"] == "file_missing"
    empty = await upload(client, student, "a.png", b"")
    assert empty.status_code == 422 and empty.json()["code"] == "empty_file"

    truncated = await client.post(
        "/files/upload",
        headers={**student.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
        + png(),
    )
    assert truncated.status_code == 400 and truncated.json()["code"] == "malformed_multipart"

    two_files = await client.post(
        "/files/upload",
        headers=student.headers,
        files=[("file", ("a.png", png(), "image/png")), ("file", ("b.png", png(), "image/png"))],
    )
    assert two_files.status_code == 422

    bad_flag = await upload(client, student, "a.png", png(), is_public="maybe")
    assert bad_flag.status_code == 422 and bad_flag.json()["errors"][0]["loc"] == [
        "body",
        "is_public",
    ]
    bad_lesson = await upload(client, student, "a.png", png(), lesson_id="nope")
    assert bad_lesson.status_code == 422

    folder_after_file = await client.post(
        "/files/upload",
        headers={**student.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
        + png()
        + b'\r\n--xyz\r\nContent-Disposition: form-data; name="folder"\r\n\r\nlate\r\n--xyz--\r\n',
    )
    assert folder_after_file.status_code == 422
    assert (await client.get("/files/my-files", headers=student.headers)).json()["total"] == 0


async def test_is_public_may_follow_the_file(client: httpx.AsyncClient, student: Account) -> None:
    response = await client.post(
        "/files/upload",
        headers={**student.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
        + png()
        + b'\r\n--xyz\r\nContent-Disposition: form-data; name="is_public"\r\n\r\n'
        + b"true\r\n--xyz--\r\n",
    )
    assert response.status_code == 201 and response.json()["is_public"] is True


async def test_utf8_file_names_round_trip(client: httpx.AsyncClient, student: Account) -> None:
    response = await upload(client, student, "تقرير الدورة.pdf", pdf())
    assert response.status_code == 201
    file_id = response.json()["id"]
    assert response.json()["original_filename"] == "تقرير الدورة.pdf"
    download = await client.get(f"/files/{file_id}/download", headers=student.headers)
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("inline; filename=")
    assert f"filename*=UTF-8''{quote('تقرير الدورة.pdf', safe='')}" in disposition


async def test_listing_admin_sees_all_others_their_own(
    client: httpx.AsyncClient, admin: Account, student: Account, other_student: Account
) -> None:
    for _ in range(3):
        assert (await upload(client, student, "a.png", png())).status_code == 201
    assert (await upload(client, other_student, "b.pdf", pdf(), is_public=True)).status_code == 201

    mine = await client.get("/files/my-files", headers=student.headers)
    assert mine.status_code == 200 and mine.json()["total"] == 3
    assert {f["uploader_id"] for f in mine.json()["items"]} == {str(student.id)}
    # GET /files for a non-admin lists only their own files; filters narrow that.
    listed = await client.get(
        "/files", headers=student.headers, params={"uploader_id": str(other_student.id)}
    )
    assert listed.json()["total"] == 0
    assert (await client.get("/files", headers=student.headers)).json()["total"] == 3

    everything = await client.get("/files", headers=admin.headers)
    assert everything.json()["total"] == 4
    page = await client.get("/files", headers=admin.headers, params={"page": 2, "page_size": 3})
    assert page.json()["page"] == 2 and len(page.json()["items"]) == 1
    by_type = await client.get("/files", headers=admin.headers, params={"file_type": "document"})
    assert [f["original_filename"] for f in by_type.json()["items"]] == ["b.pdf"]
    by_uploader = await client.get(
        "/files", headers=admin.headers, params={"uploader_id": str(other_student.id)}
    )
    assert by_uploader.json()["total"] == 1

    assert (
        await client.get("/files", headers=admin.headers, params={"page_size": 101})
    ).status_code == 422
    assert (
        await client.get("/files", headers=admin.headers, params={"page": 0})
    ).status_code == 422
    assert (await client.get("/files")).status_code == 401
    assert (await client.get("/files/my-files")).status_code == 401


async def test_metadata_access(
    client: httpx.AsyncClient, admin: Account, student: Account, other_student: Account
) -> None:
    private = (await upload(client, student, "mine.png", png())).json()
    public = (await upload(client, student, "open.png", png(), is_public=True)).json()

    assert (await client.get(f"/files/{private['id']}", headers=student.headers)).status_code == 200
    assert (await client.get(f"/files/{private['id']}", headers=admin.headers)).status_code == 200
    hidden = await client.get(f"/files/{private['id']}", headers=other_student.headers)
    assert hidden.status_code == 404 and hidden.json()["code"] == "file_not_found"
    assert (await client.get(f"/files/{private['id']}")).status_code == 404

    for headers in ({}, other_student.headers):
        seen = await client.get(f"/files/{public['id']}", headers=headers)
        assert seen.status_code == 200 and seen.json()["original_filename"] == "open.png"

    assert (await client.get(f"/files/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    assert (await client.get("/files/not-a-uuid", headers=admin.headers)).status_code == 422


async def test_download_streams_with_type_and_disposition(
    client: httpx.AsyncClient, admin: Account, student: Account, other_student: Account
) -> None:
    content = docx()
    file = (await upload(client, student, "Essay final.docx", content)).json()
    for path in (f"/files/{file['id']}/download", f"/files/download/{file['id']}"):
        response = await client.get(path, headers=student.headers)
        assert response.status_code == 200
        assert response.content == content
        assert response.headers["content-type"] == file["mime_type"]
        assert response.headers["content-length"] == str(len(content))
        assert response.headers["accept-ranges"] == "bytes"
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"Essay final.docx\"; filename*=UTF-8''Essay%20final.docx"
        )
    assert (
        await client.get(f"/files/{file['id']}/download", headers=admin.headers)
    ).status_code == 200
    for headers in ({}, other_student.headers):
        for path in (f"/files/{file['id']}/download", f"/files/download/{file['id']}"):
            assert (await client.get(path, headers=headers)).status_code == 404

    public = (await upload(client, student, "clip.mp4", mp4(), is_public=True)).json()
    anonymous = await client.get(f"/files/{public['id']}/download")
    assert anonymous.status_code == 200 and anonymous.headers["content-type"] == "video/mp4"
    assert anonymous.headers["content-disposition"].startswith('inline; filename="clip.mp4"')


async def test_range_requests_for_seeking_in_video(
    client: httpx.AsyncClient, student: Account
) -> None:
    content = mp4(100_000)
    file = (await upload(client, student, "lecture.mp4", content)).json()
    url = f"/files/{file['id']}/download"

    def get(range_value: str, **extra: str) -> object:
        return client.get(url, headers={**student.headers, "Range": range_value, **extra})

    first = await get("bytes=0-99")
    assert first.status_code == 206 and first.content == content[:100]
    assert first.headers["content-range"] == "bytes 0-99/100000"
    assert first.headers["content-length"] == "100"

    middle = await get("bytes=50000-")
    assert middle.status_code == 206 and middle.content == content[50000:]
    assert middle.headers["content-range"] == "bytes 50000-99999/100000"

    tail = await get("bytes=-500")
    assert tail.status_code == 206 and tail.content == content[-500:]

    past_end = await get("bytes=99990-200000")
    assert past_end.status_code == 206 and past_end.content == content[99990:]

    unsatisfiable = await get("bytes=100000-")
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == "bytes */100000"
    assert unsatisfiable.json()["code"] == "range_not_satisfiable"
    assert (await get("bytes=-0")).status_code == 416

    for ignored in ("bytes=5-1", "pages=1-2", "bytes=0-1,5-6", "bytes=x-y"):
        whole = await get(ignored)
        assert whole.status_code == 200 and whole.content == content, ignored

    etag = first.headers["etag"]
    fresh = await get("bytes=0-9", **{"If-Range": etag})
    assert fresh.status_code == 206 and fresh.content == content[:10]
    stale = await get("bytes=0-9", **{"If-Range": '"something-else"'})
    assert stale.status_code == 200 and stale.content == content


async def test_delete_removes_the_object_and_the_row(
    client: httpx.AsyncClient,
    admin: Account,
    student: Account,
    other_student: Account,
    upload_root: Path,
) -> None:
    private = (await upload(client, student, "a.png", png())).json()
    public = (await upload(client, student, "b.png", png(), is_public=True)).json()
    [private_path] = list(upload_root.rglob(private["filename"]))

    assert (await client.delete(f"/files/{private['id']}")).status_code == 401
    hidden = await client.delete(f"/files/{private['id']}", headers=other_student.headers)
    assert hidden.status_code == 404
    refused = await client.delete(f"/files/{public['id']}", headers=other_student.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "not_uploader"
    assert private_path.exists()

    deleted = await client.delete(f"/files/{private['id']}", headers=student.headers)
    assert deleted.status_code == 204
    assert not private_path.exists()
    assert (await client.get(f"/files/{private['id']}", headers=student.headers)).status_code == 404
    assert (
        await client.delete(f"/files/{private['id']}", headers=student.headers)
    ).status_code == 404

    [public_path] = list(upload_root.rglob(public["filename"]))
    by_admin = await client.delete(f"/files/{public['id']}", headers=admin.headers)
    assert by_admin.status_code == 204 and not public_path.exists()
    assert (await client.get(f"/files/{public['id']}/download")).status_code == 404


async def test_missing_stored_object_is_a_clear_404(
    client: httpx.AsyncClient, student: Account, upload_root: Path
) -> None:
    file = (await upload(client, student, "a.png", png())).json()
    for path in upload_root.rglob(file["filename"]):
        path.unlink()
    response = await client.get(f"/files/{file['id']}/download", headers=student.headers)
    assert response.status_code == 404 and response.json()["code"] == "file_content_missing"


async def test_access_hook_lets_enrolled_students_read_course_materials(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
) -> None:
    course = await create_course(client, instructor)
    lesson_id = uuid.UUID((await add_lesson(client, instructor, course["id"]))["id"])
    material = await upload(client, instructor, "slides.pdf", pdf(), lesson_id=lesson_id)
    assert material.status_code == 201 and material.json()["lesson_id"] == str(lesson_id)
    file_id = material.json()["id"]
    assert (await client.get(f"/files/{file_id}", headers=student.headers)).status_code == 404

    calls: list[tuple[uuid.UUID, uuid.UUID]] = []

    async def enrolled_in_lesson(_session: AsyncSession, question: files.FileReadAsked) -> bool:
        calls.append((question.principal.id, question.file_id))
        return question.lesson_id == lesson_id and question.principal.id == student.id

    bus.answer(files.FileReadAsked, enrolled_in_lesson)
    try:
        meta = await client.get(f"/files/{file_id}", headers=student.headers)
        assert meta.status_code == 200 and meta.json()["lesson_id"] == str(lesson_id)
        download = await client.get(f"/files/{file_id}/download", headers=student.headers)
        assert download.status_code == 200 and download.content.startswith(b"%PDF-")
        assert (
            await client.get(f"/files/{file_id}", headers=other_student.headers)
        ).status_code == 404
        assert (await client.get(f"/files/{file_id}")).status_code == 404
        # Reading is not managing: the enrolled student cannot delete the material.
        assert (
            await client.delete(f"/files/{file_id}", headers=student.headers)
        ).status_code == 403
        # The uploader is never asked about: the checker only sees other callers.
        assert (
            await client.get(f"/files/{file_id}", headers=instructor.headers)
        ).status_code == 200
        assert all(caller != instructor.id for caller, _ in calls)
    finally:
        bus.unsubscribe(files.FileReadAsked, enrolled_in_lesson)
    assert (await client.get(f"/files/{file_id}", headers=student.headers)).status_code == 404


async def test_only_staff_attach_files_to_lessons(
    client: httpx.AsyncClient,
    admin: Account,
    instructor: Account,
    student: Account,
    settings: Settings,
) -> None:
    lesson_id = uuid.uuid4()
    by_student = await upload(client, student, "a.pdf", pdf(), lesson_id=lesson_id)
    assert by_student.status_code == 403
    assert by_student.json()["code"] == "lesson_attachment_forbidden"
    before = stored_files(settings)
    lesson_after_file = await client.post(
        "/files/upload",
        headers={**student.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        + pdf()
        + b'\r\n--xyz\r\nContent-Disposition: form-data; name="lesson_id"\r\n\r\n'
        + str(lesson_id).encode()
        + b"\r\n--xyz--\r\n",
    )
    assert lesson_after_file.status_code == 403
    assert stored_files(settings) == before
    assert (await client.get("/files/my-files", headers=student.headers)).json()["total"] == 0

    owned = uuid.uuid4()

    async def owns_lesson(_session: AsyncSession, question: files.LessonAttachmentAsked) -> bool:
        return question.principal.id == instructor.id and question.lesson_id == owned

    bus.answer(files.LessonAttachmentAsked, owns_lesson)
    try:
        assert (
            await upload(client, instructor, "a.pdf", pdf(), lesson_id=owned)
        ).status_code == 201
        foreign = await upload(client, instructor, "a.pdf", pdf(), lesson_id=lesson_id)
        assert foreign.status_code == 404 and foreign.json()["code"] == "lesson_not_found"
        assert (await upload(client, admin, "a.pdf", pdf(), lesson_id=lesson_id)).status_code == 201
    finally:
        bus.unsubscribe(files.LessonAttachmentAsked, owns_lesson)
    by_lesson = await client.get("/files", headers=admin.headers, params={"lesson_id": str(owned)})
    assert by_lesson.json()["total"] == 1


async def test_upload_rate_limit(
    client: httpx.AsyncClient,
    student: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "upload_rate_limit_per_hour", 2)
    for _ in range(2):
        assert (await upload(client, student, "a.png", png())).status_code == 201
    limited = await upload(client, student, "a.png", png())
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


async def test_server_made_files_are_stored_and_served(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, student: Account
) -> None:
    from lms.core.session import commit

    made = await file_service.save_bytes_as_file(
        db,
        settings=settings,
        uploader_id=student.id,
        data=pdf("report"),
        filename="report.pdf",
        folder="reports",
    )
    await commit(db)
    response = await client.get(f"/files/{made.id}/download", headers=student.headers)
    assert response.status_code == 200 and b"report" in response.content
    assert made.storage_path.startswith("reports/") and made.file_type == "document"
