"""Broken object property level authorization (OWASP API3): a caller cannot write the
properties that are not theirs to set (mass assignment), and no response carries a
property the caller must not read (secrets, hashes, correct answers before submitting).
``test_authorization_matrix.py`` scans every response of every route for secrets too."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.accounts import PASSWORD
from tests.security.world import World

# Keys that never belong in a response, at any depth.
SECRET_KEYS = {
    "password",
    "password_hash",
    "hashed_password",
    "token_hash",
    "code_hash",
    "refresh_token_hash",
    "totp_secret",
    "totp_secret_encrypted",
    "secret_key",
    "webhook_secret",
    "api_key",
}
# Before an attempt is submitted (and when the quiz hides them, after too).
ANSWER_KEYS = {"correct_answer", "explanation", "is_correct"}


def keys_with_values(value: Any, wanted: set[str], path: str = "$") -> list[str]:
    """Where in a JSON document a key of ``wanted`` has a value other than null."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in wanted and item is not None:
                found.append(f"{path}.{key}")
            found.extend(keys_with_values(item, wanted, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(keys_with_values(item, wanted, f"{path}[{index}]"))
    return found


def secret_values(world: World) -> list[str]:
    """Configured secrets and the accounts' password: never in any response body."""
    s = world.settings
    candidates = [
        s.secret_key,
        s.stripe_secret_key,
        s.stripe_webhook_secret,
        s.myfatoorah_api_key,
        s.myfatoorah_webhook_secret,
        s.paymob_secret_key,
        s.paymob_api_key,
        s.paymob_hmac_secret,
        s.smtp_password,
        PASSWORD,
    ]
    return [value for value in candidates if value]


def leaks(world: World, response: httpx.Response) -> list[str]:
    text = response.text
    found = [f"secret value {value[:6]}…" for value in secret_values(world) if value in text]
    describes_the_api = response.request.url.path == "/openapi.json"  # names fields only
    if response.headers.get("content-type", "").endswith("json") and text and not describes_the_api:
        found.extend(keys_with_values(response.json(), SECRET_KEYS))
    return found


async def _status(
    client: httpx.AsyncClient, method: str, path: str, headers: Any, body: Any
) -> int:
    return (await client.request(method, path, headers=headers, json=body)).status_code


async def test_mass_assignment_changes_nothing(client: httpx.AsyncClient, world: World) -> None:
    w = world
    student = w.headers("student")
    owner = w.headers("owner")
    attempt, lesson = w.attempt["id"], w.lessons[1]["id"]
    attempts: list[tuple[str, str, dict[str, str], dict[str, Any]]] = [
        ("PATCH", "/users/me", student, {"role": "admin"}),
        ("PATCH", "/users/me", student, {"is_active": False}),
        ("PATCH", "/users/me", student, {"full_name": "Me", "role": "instructor"}),
        ("PATCH", "/users/me", student, {"email": "other@example.com"}),
        ("PATCH", "/users/me", student, {"mfa_enabled": True}),
        (
            "POST",
            "/auth/register",
            {},
            {
                "email": "boss@example.com",
                "password": "s3cret-pass",
                "full_name": "Boss",
                "role": "admin",
            },
        ),
        (
            "POST",
            "/auth/register",
            {},
            {
                "email": "boss2@example.com",
                "password": "s3cret-pass",
                "full_name": "Boss",
                "is_active": True,
                "email_verified_at": "2020-01-01T00:00:00Z",
            },
        ),
        ("POST", "/enrollments", student, {"course_id": w.paid_course["id"], "status": "active"}),
        (
            "POST",
            "/enrollments",
            student,
            {"course_id": w.course["id"], "progress_percentage": 100},
        ),
        (
            "PUT",
            f"/enrollments/{w.enrollment['id']}/lessons/{lesson}/progress",
            student,
            {"status": "completed"},
        ),
        (
            "POST",
            f"/enrollments/{w.enrollment['id']}/review",
            student,
            {"rating": 5, "status": "completed"},
        ),
        ("POST", f"/attempts/{attempt}/submit", student, {"answers": [], "score": 100}),
        ("POST", f"/attempts/{attempt}/submit", student, {"answers": [], "is_passed": True}),
        ("PUT", f"/attempts/{attempt}/answers", student, {"answers": [], "status": "graded"}),
        (
            "POST",
            f"/lessons/{w.assignment['id']}/submissions",
            student,
            {"text": "Done", "score": 100, "status": "graded", "is_passed": True},
        ),
        (
            "POST",
            "/payments/create-payment-intent",
            student,
            {"course_id": w.paid_course["id"], "amount": "0.01"},
        ),
        (
            "POST",
            "/payments/create-payment-intent",
            student,
            {"course_id": w.paid_course["id"], "price": "0", "currency": "USD"},
        ),
        ("POST", "/payments/create-subscription", student, {"plan": "monthly", "price": "0"}),
        (
            "PATCH",
            f"/courses/{w.course['id']}",
            owner,
            {"instructor_id": str(w.other_instructor.id)},
        ),
        ("PATCH", f"/courses/{w.course['id']}", owner, {"slug": "stolen-slug"}),
        ("POST", f"/quizzes/{w.quiz['id']}/attempts/{attempt}/grade", owner, {"score": 100}),
    ]
    for method, path, headers, body in attempts:
        status = await _status(client, method, path, headers, body)
        assert status == 422, f"{method} {path} {body}: {status}"

    # The student cannot touch price, publication or ownership at all.
    for body in ({"price": "0.00"}, {"is_published": False}, {"title": "Mine now"}):
        status = await _status(client, "PATCH", f"/courses/{w.paid_course['id']}", student, body)
        assert status == 403, body

    # An instructor who names another instructor as the owner of a new course does not
    # create a course for them.
    made = await client.post(
        "/courses",
        headers=owner,
        json={"title": "Whose course", "instructor_id": str(w.other_instructor.id)},
    )
    assert made.status_code in (403, 422) or made.json()["instructor_id"] == str(w.owner.id)

    me = (await client.get("/users/me", headers=student)).json()
    assert (me["role"], me["is_active"], me["email"], me["mfa_enabled"]) == (
        "student",
        True,
        w.student.email,
        False,
    )
    fetched = (await client.get(f"/attempts/{attempt}", headers=student)).json()
    assert (fetched["status"], fetched["score"], fetched["is_passed"]) == (
        "in_progress",
        None,
        None,
    )
    course = (await client.get(f"/courses/{w.paid_course['id']}")).json()
    assert (course["price"], course["instructor_id"]) == ("250.00", str(w.owner.id))
    submission = (await client.get(f"/submissions/{w.submission['id']}", headers=student)).json()
    assert (submission["status"], submission["score"]) == ("submitted", None)


async def test_no_correct_answers_before_submission(
    client: httpx.AsyncClient, world: World
) -> None:
    w = world
    student = w.headers("student")
    quiz, attempt = w.quiz["id"], w.attempt["id"]
    before = [
        await client.get(f"/quizzes/{quiz}/questions", headers=student),
        await client.post(f"/quizzes/{quiz}/attempts", headers=student),
        await client.get(f"/quizzes/{quiz}/attempts/start", headers=student),
        await client.get(f"/attempts/{attempt}", headers=student),
        await client.get(f"/quizzes/{quiz}/attempts/{attempt}", headers=student),
        await client.get(f"/quizzes/{quiz}/attempts/my-attempts", headers=student),
        await client.put(f"/attempts/{attempt}/answers", headers=student, json={"answers": []}),
        await client.get(f"/quizzes/{quiz}", headers=student),
        await client.get(f"/courses/{w.course['id']}/quizzes", headers=student),
    ]
    for response in before:
        assert response.status_code == 200, response.text
        where = keys_with_values(response.json(), ANSWER_KEYS)
        assert not where, f"{response.request.url}: {where}"
        assert "Seven has no divisors" not in response.text
    # the questions the student sees carry no hint of the right option either
    sheet = before[1].json()
    for question in sheet["questions"]:
        assert set(question) & ANSWER_KEYS == set()

    # After submitting, this quiz shows the answers (show_correct_answers is on) ...
    submitted = await client.post(
        f"/attempts/{attempt}/submit",
        headers=student,
        json={"answers": [{"question_id": w.questions[0]["id"], "answer": "6"}]},
    )
    assert submitted.status_code == 200
    assert keys_with_values(submitted.json(), {"correct_answer"})

    # ... but a quiz that hides them never shows them, not even afterwards.
    owner = w.headers("owner")
    hidden = await client.post(
        f"/courses/{w.course['id']}/quizzes",
        headers=owner,
        json={"title": "Hidden answers", "show_correct_answers": False},
    )
    hidden_id = hidden.json()["id"]
    question = await client.post(
        f"/quizzes/{hidden_id}/questions",
        headers=owner,
        json={
            "question_text": "Is water wet?",
            "question_type": "true_false",
            "correct_answer": "true",
            "explanation": "Secret reasoning",
        },
    )
    assert question.status_code == 201
    published = await client.post(
        f"/courses/{w.course['id']}/quizzes/{hidden_id}/publish", headers=owner
    )
    assert published.status_code == 200
    started = await client.post(f"/quizzes/{hidden_id}/attempts", headers=student)
    done = await client.post(
        f"/attempts/{started.json()['id']}/submit",
        headers=student,
        json={"answers": [{"question_id": question.json()["id"], "answer": "false"}]},
    )
    assert done.status_code == 200
    again = await client.get(f"/attempts/{started.json()['id']}", headers=student)
    for response in (done, again):
        assert not keys_with_values(response.json(), {"correct_answer", "explanation"})
        assert "Secret reasoning" not in response.text


async def test_accounts_and_payments_never_show_secrets(
    client: httpx.AsyncClient, world: World
) -> None:
    w = world
    admin, student = w.headers("admin"), w.headers("student")
    responses = [
        await client.get("/users", headers=admin, params={"page_size": 100}),
        await client.get(f"/users/{w.student.id}", headers=admin),
        await client.get("/users/me", headers=student),
        await client.get("/auth/me", headers=student),
        await client.post("/auth/login", json={"email": w.student.email, "password": PASSWORD}),
        await client.get("/admin/outbox", headers=admin, params={"page_size": 100}),
        await client.get("/payments/my-payments", headers=student),
        await client.get("/payments/my-subscriptions", headers=student),
        await client.get(f"/payments/{w.payment['id']}", headers=admin),
        await client.get("/payments/revenue/summary", headers=admin),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert not leaks(w, response), (response.request.url, leaks(w, response))
    # One-time codes and reset tokens are not in the admin's view of the outbox either.
    forgot = await client.post("/auth/forgot-password", json={"email": w.student.email})
    assert forgot.status_code == 202
    outbox = await client.get("/admin/outbox", headers=admin, params={"page_size": 100})
    assert "reset_token" not in outbox.text and '"token"' not in outbox.text
