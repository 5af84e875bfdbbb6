"""Unrestricted resource consumption (OWASP API4): request bodies, page sizes and the
per-account rate limits on enrolling and on quiz attempts.

More upload cases are in ``tests/files``; the auth endpoints' limits and the login
lockout in ``tests/auth``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from lms.core.pagination import MAX_PAGE_SIZE
from tests.factories.accounts import Account, AccountFactory
from tests.factories.courses import published_course
from tests.factories.enrollments import enroll, try_enroll
from tests.factories.files import png, upload
from tests.factories.quizzes import add_question, create_quiz, publish_quiz


async def test_a_body_over_the_limit_is_413_even_without_a_content_length(
    client: httpx.AsyncClient, student: Account, settings: Settings
) -> None:
    limit = settings.max_body_kb * 1024

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"full_name": "'
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    streamed = await client.patch(
        "/users/me",
        headers={**student.headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == "application/problem+json"
    declared = await client.post(
        "/auth/login",
        headers={"Content-Type": "application/json", "Content-Length": str(limit + 1)},
        content=b"{}" + b" " * (limit - 1),
    )
    assert declared.status_code == 413
    me = await client.get("/users/me", headers=student.headers)
    assert me.json()["full_name"] == student.full_name


async def test_every_list_caps_its_page_size(client: httpx.AsyncClient, admin: Account) -> None:
    """Every operation with a ``page_size`` parameter refuses more than the maximum."""
    schema = (await client.get("http://testserver/openapi.json")).json()
    paged = [
        path
        for path, operations in schema["paths"].items()
        if "get" in operations
        and "{" not in path
        and any(p["name"] == "page_size" for p in operations["get"].get("parameters", []))
    ]
    assert len(paged) >= 10
    for path in paged:
        url = f"http://testserver{path}"
        over = await client.get(url, headers=admin.headers, params={"page_size": MAX_PAGE_SIZE + 1})
        assert over.status_code == 422, path
        assert over.json()["code"] == "validation_error"
        at_cap = await client.get(url, headers=admin.headers, params={"page_size": MAX_PAGE_SIZE})
        assert at_cap.status_code in (200, 403), (path, at_cap.text)
        if at_cap.status_code == 200:
            assert at_cap.json()["page_size"] == MAX_PAGE_SIZE
        deep = await client.get(url, headers=admin.headers, params={"page": 10**9})
        assert deep.status_code == 422, path


def _limit(settings: Settings, monkeypatch: pytest.MonkeyPatch, **values: int) -> None:
    for name, value in values.items():
        monkeypatch.setattr(settings, name, value)


def _is_429(response: httpx.Response, window: int = 60) -> bool:
    if response.status_code != 429:
        return False
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= window
    return True


async def test_enrolling_is_limited_per_account_not_per_address(
    client: httpx.AsyncClient,
    instructor: Account,
    make_account: AccountFactory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    courses = [(await published_course(client, instructor, lessons=1))[0] for _ in range(4)]
    first, second, third = [await make_account("student") for _ in range(3)]
    _limit(settings, monkeypatch, enrollment_rate_limit_per_minute=2)

    async def enroll_in(account: Account, course: dict[str, Any]) -> httpx.Response:
        return await try_enroll(client, account, course["id"])

    # per account: two a minute
    assert (await enroll_in(first, courses[0])).status_code == 201
    assert (await enroll_in(first, courses[1])).status_code == 201
    refused = await enroll_in(first, courses[2])
    assert _is_429(refused)
    assert refused.headers["ratelimit"].startswith('"enroll";r=0;t=')
    # everyone else behind the same address has a budget of their own
    for account in (second, third):
        assert (await enroll_in(account, courses[0])).status_code == 201
        assert (await enroll_in(account, courses[1])).status_code == 201
    mine = await client.get("/enrollments/my-courses", headers=first.headers)
    assert mine.json()["total"] == 2


async def test_quiz_attempts_are_limited_per_user(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    other_student: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    quiz = await create_quiz(client, instructor, course["id"])
    await add_question(
        client,
        instructor,
        quiz["id"],
        question_text="1 + 1 = 2",
        question_type="true_false",
        correct_answer="true",
    )
    await publish_quiz(client, instructor, course["id"], quiz["id"])
    await enroll(client, student, course["id"])
    await enroll(client, other_student, course["id"])
    _limit(settings, monkeypatch, attempt_rate_limit_per_minute=3)

    started = await client.post(f"/quizzes/{quiz['id']}/attempts", headers=student.headers)
    assert started.status_code == 201
    attempt = started.json()["id"]
    saved = await client.put(
        f"/attempts/{attempt}/answers", headers=student.headers, json={"answers": []}
    )
    assert saved.status_code == 200
    resumed = await client.get(f"/quizzes/{quiz['id']}/attempts/start", headers=student.headers)
    assert resumed.status_code == 200
    assert _is_429(
        await client.post(
            f"/attempts/{attempt}/submit", headers=student.headers, json={"answers": []}
        )
    )
    assert _is_429(await client.post(f"/quizzes/{quiz['id']}/attempts", headers=student.headers))
    # reading is not limited, and the other student has a budget of their own
    assert (await client.get(f"/attempts/{attempt}", headers=student.headers)).status_code == 200
    theirs = await client.post(f"/quizzes/{quiz['id']}/attempts", headers=other_student.headers)
    assert theirs.status_code == 201


async def test_uploads_are_capped_in_size_type_and_rate(
    client: httpx.AsyncClient,
    student: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _limit(settings, monkeypatch, max_upload_mb=1, upload_rate_limit_per_hour=3)

    big = await upload(client, student, "big.png", png(2 * 1024 * 1024))
    assert big.status_code == 413
    program = await upload(client, student, "tool.exe", b"MZ\x90\x00" + b"\x00" * 512)
    assert program.status_code == 415
    disguised = await upload(client, student, "photo.png", b"MZ\x90\x00" + b"\x00" * 512)
    assert disguised.status_code == 415
    assert _is_429(await upload(client, student, "fine.png", png(1024)), window=3600)
    mine = await client.get("/files/my-files", headers=student.headers)
    assert mine.json()["total"] == 0
