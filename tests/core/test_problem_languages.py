"""Problem details in the caller's language: the account's locale, else Accept-Language
(q-values honoured), else the default; ``code`` and ``type`` never translated; every
response says its language in Content-Language."""

from __future__ import annotations

import uuid

import httpx

from lms.core import i18n
from lms.core.errors import problem_detail
from tests.factories.accounts import Account


def is_arabic(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in text)


async def test_a_problem_comes_back_in_arabic_for_accept_language_ar(
    client: httpx.AsyncClient,
) -> None:
    url = f"/courses/{uuid.uuid4()}"
    english = await client.get(url)
    arabic = await client.get(url, headers={"Accept-Language": "ar"})
    assert english.status_code == arabic.status_code == 404
    assert english.headers["content-language"] == "en"
    assert arabic.headers["content-language"] == "ar"
    assert arabic.headers["vary"] == english.headers["vary"] == "Accept-Language"
    assert english.json()["title"] == "Not Found"
    assert english.json()["detail"] == "No course with this id."
    body = arabic.json()
    assert body["title"] == "غير موجود"
    assert body["detail"] == "لا توجد دورة بهذا المعرّف."
    # codes are machine values: never translated
    assert (body["code"], body["type"], body["status"]) == (
        english.json()["code"],
        english.json()["type"],
        404,
    )
    assert body["code"] == "course_not_found"


async def test_the_best_language_of_the_header_wins_by_its_weight(
    client: httpx.AsyncClient,
) -> None:
    url = f"/courses/{uuid.uuid4()}"
    for header, expected in [
        ("ar-EG", "ar"),
        ("en;q=0.3, ar;q=0.9", "ar"),
        ("fr-CA, en;q=0.8, ar;q=0.5", "en"),
        ("de, fr", "en"),  # nothing we speak: LMS_DEFAULT_LOCALE
    ]:
        answer = await client.get(url, headers={"Accept-Language": header})
        assert answer.headers["content-language"] == expected, header
        assert is_arabic(answer.json()["detail"]) == (expected == "ar"), header


async def test_refusals_before_and_outside_the_routes_are_translated(
    client: httpx.AsyncClient,
) -> None:
    ar = {"Accept-Language": "ar"}
    anonymous = await client.get("/users/me", headers=ar)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert (anonymous.json()["title"], anonymous.json()["detail"]) == (
        "غير مُصادَق",
        "تسجيل الدخول مطلوب.",
    )
    nowhere = await client.get("/no-such-path", headers=ar)
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found"
    assert nowhere.json()["title"] == "غير موجود" and is_arabic(nowhere.json()["detail"])
    assert nowhere.headers["content-language"] == "ar"


async def test_a_validation_error_is_translated_but_pydantic_s_field_messages_are_not(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post(
        "/auth/login", json={"email": "not an email"}, headers={"Accept-Language": "ar-KW"}
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "validation_error"
    assert body["title"] == "محتوى غير قابل للمعالجة"
    assert body["detail"].startswith("مدخل غير صالح في body.")
    # the per-field messages stay as Pydantic writes them (English)
    assert body["errors"] and all(not is_arabic(error["msg"]) for error in body["errors"])
    english = await client.post("/auth/login", json={"email": "not an email"})
    assert english.json()["detail"].startswith("Invalid input at body.")
    assert english.json()["code"] == "validation_error"


async def test_the_account_s_locale_comes_before_the_header(
    client: httpx.AsyncClient, student: Account
) -> None:
    english = {**student.headers, "Accept-Language": "en"}
    before = await client.get("/users/me", headers=english)
    assert before.headers["content-language"] == "en"
    changed = await client.patch("/users/me", headers=english, json={"locale": "ar"})
    assert changed.status_code == 200
    # from the next request on (the cached principal was expired by the change)
    me = await client.get("/users/me", headers=english)
    assert me.status_code == 200 and me.headers["content-language"] == "ar"
    missing = await client.get(f"/enrollments/{uuid.uuid4()}", headers=english)
    assert missing.status_code == 404
    assert missing.headers["content-language"] == "ar"
    assert missing.json()["title"] == "غير موجود" and is_arabic(missing.json()["detail"])
    assert missing.json()["code"] == "enrollment_not_found"
    # validation errors of a signed-in Arabic reader too
    invalid = await client.patch("/users/me", headers=english, json={"locale": "fr"})
    assert invalid.status_code == 422 and invalid.json()["detail"].startswith("مدخل غير صالح")
    # back to "as the request asks"
    cleared = await client.patch("/users/me", headers=english, json={"locale": None})
    assert cleared.status_code == 200
    again = await client.get(f"/enrollments/{uuid.uuid4()}", headers=english)
    assert again.headers["content-language"] == "en"
    assert again.json()["detail"] == "No enrollment with this id."
    arabic_header = await client.get(
        f"/enrollments/{uuid.uuid4()}", headers={**student.headers, "Accept-Language": "ar"}
    )
    assert arabic_header.headers["content-language"] == "ar"


async def test_a_success_says_its_language_too(client: httpx.AsyncClient) -> None:
    assert (await client.get("/courses")).headers["content-language"] == "en"
    answer = await client.get("/courses", headers={"Accept-Language": "ar-EG,ar;q=0.9"})
    assert answer.status_code == 200 and answer.headers["content-language"] == "ar"


def test_a_detail_built_from_the_request_falls_back_to_its_code_s_meaning() -> None:
    # Written with the question's id in it, the detail itself is not in the catalogue:
    # an Arabic reader gets the code's meaning in Arabic, an English one the detail.
    detail = "Question 7f3a is answered twice."
    arabic = problem_detail("ar", detail, "duplicate_answer")
    assert arabic == i18n.gettext("ar", "Question … is answered twice.")
    assert is_arabic(arabic)
    assert problem_detail("en", detail, "duplicate_answer") == detail
    # a detail written as a literal is translated as it is
    assert problem_detail("ar", "This requires the role admin.", "role_required") == (
        "يتطلب هذا دور المسؤول (admin)."
    )


async def test_a_body_refused_before_the_routes_is_refused_in_arabic(
    client: httpx.AsyncClient,
) -> None:
    payload = {"email": "a@example.com", "password": "x" * 10, "full_name": "y" * 2_000_000}
    refused = await client.post("/auth/register", json=payload, headers={"Accept-Language": "ar"})
    assert refused.status_code == 413
    body = refused.json()
    assert body["code"] == "payload_too_large"
    assert (body["title"], body["detail"]) == ("المحتوى كبير جدًا", "جسم الطلب كبير جدًا.")
    assert refused.headers["content-language"] == "ar"
    english = await client.post("/auth/register", json=payload)
    assert english.json()["detail"].startswith("The request body exceeds")
