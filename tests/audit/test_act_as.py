"""Act as: an admin gets a short-lived token for a non-admin account (RFC 8693 ``act``
claim), every request made with it is in the audit log, it cannot touch passwords,
second factors, email or payments, and it ends with a logout or the admin's
deactivation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest

from tests.audit.helpers import audit_entries
from tests.factories.accounts import PASSWORD, Account, AccountFactory
from tests.factories.api import Headers, ok
from tests.factories.courses import create_course

REASON = {"reason": "Ticket 4711: student cannot see lesson 3"}


async def act_as(client: httpx.AsyncClient, admin: Account, user_id: Any) -> dict[str, Any]:
    return ok(
        await client.post(f"/admin/users/{user_id}/act-as", headers=admin.headers, json=REASON)
    )


def acting(token: dict[str, Any]) -> Headers:
    return Headers({"Authorization": f"Bearer {token['access_token']}"})


async def test_an_admin_acts_as_a_student_and_every_request_is_recorded(
    client: httpx.AsyncClient, admin: Account, student: Account
) -> None:
    token = await act_as(client, admin, student.id)
    assert token["token_type"] == "bearer" and token["expires_in"] == 15 * 60
    assert token["user_id"] == str(student.id) and token["admin_id"] == str(admin.id)
    assert "refresh_token" not in token
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(student.id) and claims["act"] == {"sub": str(admin.id)}
    lifetime = claims["exp"] - claims["iat"]
    assert 15 * 60 - 2 <= lifetime <= 15 * 60 + 2

    me = await client.get("/users/me", headers={**acting(token).headers, "X-Request-ID": "act-1"})
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == str(student.id) and body["role"] == "student"
    assert body["acting_as"]["admin_id"] == str(admin.id)
    expires = datetime.fromisoformat(body["acting_as"]["expires_at"])
    assert expires == datetime.fromisoformat(token["expires_at"]) and expires > datetime.now(UTC)
    own = (await client.get("/users/me", headers=student.headers)).json()
    assert own["acting_as"] is None

    missing = await client.get(f"/courses/{uuid.uuid4()}", headers=acting(token).headers)
    assert missing.status_code == 404

    entries = await audit_entries(client, admin)
    requests = [e for e in entries if e["action"] == "act_as.request"]
    assert [e["change"]["request"] for e in reversed(requests)] == [
        {"method": "GET", "route": "/api/v1/users/me", "status": 200},
        {"method": "GET", "route": "/api/v1/courses/{course_id}", "status": 404},
    ]
    for entry in requests:
        assert entry["actor_id"] == str(admin.id) and entry["acting_for_id"] == str(student.id)
        assert entry["context"] == "act_as" and entry["target_id"] == str(student.id)
    assert requests[-1]["request_id"] == "act-1"
    [started] = [e for e in entries if e["action"] == "act_as.started"]
    assert started["actor_id"] == str(admin.id) and started["acting_for_id"] is None
    assert started["target_id"] == str(student.id)
    assert started["change"]["after"]["reason"] == REASON["reason"]
    # the student's own requests are not recorded
    assert len(requests) == 2


async def test_changes_made_while_acting_name_the_admin_and_the_account(
    client: httpx.AsyncClient, admin: Account, instructor: Account
) -> None:
    course = await create_course(client, instructor)
    from tests.factories.courses import add_lesson

    await add_lesson(client, instructor, course["id"])
    token = await act_as(client, admin, instructor.id)
    published = await client.post(f"/courses/{course['id']}/publish", headers=acting(token).headers)
    assert published.status_code == 200
    [entry] = await audit_entries(client, admin, action="course.published")
    assert entry["actor_id"] == str(admin.id) and entry["acting_for_id"] == str(instructor.id)
    assert entry["context"] == "act_as" and entry["course_id"] == course["id"]
    course_log = ok(await client.get(f"/courses/{course['id']}/audit", headers=instructor.headers))
    assert [e["action"] for e in course_log["items"]] == ["course.published"]


# Every route that changes a password, a second factor, an email address or a payment.
REFUSED = [
    ("POST", "/users/me/password", {"current_password": PASSWORD, "new_password": "n3w-pass-word"}),
    ("POST", "/auth/mfa/enable/request", {"method": "totp"}),
    ("POST", "/auth/mfa/enable", {"method": "totp"}),
    ("POST", "/auth/mfa/enable/confirm", {"code": "000000"}),
    ("POST", "/auth/mfa/verify", {"code": "000000"}),
    ("POST", "/auth/mfa/disable", {"password": PASSWORD}),
    ("POST", f"/admin/users/{uuid.uuid4()}/mfa/disable", {"reason": "Ticket 3: lost phone"}),
    ("POST", "/auth/verify-email/request", None),
    ("POST", "/auth/verify-email/confirm", {"token": "not-a-token"}),
    ("POST", "/payments/create-payment-intent", {"course_id": str(uuid.uuid4())}),
    ("POST", "/payments/create-subscription", {"plan": "monthly"}),
    ("POST", f"/payments/subscriptions/{uuid.uuid4()}/cancel", None),
    ("POST", f"/payments/{uuid.uuid4()}/refund", None),
]


@pytest.mark.parametrize(("method", "path", "body"), REFUSED, ids=[r[1] for r in REFUSED])
async def test_an_act_as_token_cannot_touch_credentials_email_or_payments(
    client: httpx.AsyncClient,
    admin: Account,
    student: Account,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    token = await act_as(client, admin, student.id)
    refused = await client.request(method, path, headers=acting(token).headers, json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "act_as_forbidden"
    [entry] = await audit_entries(client, admin, action="act_as.request")
    assert (
        entry["change"]["request"]["status"] == 403
        and entry["change"]["request"]["method"] == method
    )
    assert entry["change"]["request"]["route"].startswith("/api/v1/")
    assert entry["acting_for_id"] == str(student.id) and entry["actor_id"] == str(admin.id)


async def test_the_refused_routes_still_work_with_the_account_s_own_token(
    client: httpx.AsyncClient, student: Account
) -> None:
    changed = await client.post(
        "/users/me/password",
        headers=student.headers,
        json={"current_password": PASSWORD, "new_password": "n3w-pass-word"},
    )
    assert changed.status_code == 204


async def test_act_as_refusals(
    client: httpx.AsyncClient,
    admin: Account,
    instructor: Account,
    student: Account,
    make_account: AccountFactory,
) -> None:
    path = f"/admin/users/{student.id}/act-as"
    assert (await client.post(path, json=REASON)).status_code == 401
    for caller in (instructor, student):
        refused = await client.post(path, headers=caller.headers, json=REASON)
        assert refused.status_code == 403 and refused.json()["code"] == "role_required"

    other_admin = await make_account("admin")
    to_admin = await client.post(
        f"/admin/users/{other_admin.id}/act-as", headers=admin.headers, json=REASON
    )
    assert to_admin.status_code == 409 and to_admin.json()["code"] == "act_as_target_admin"
    itself = await client.post(
        f"/admin/users/{admin.id}/act-as", headers=admin.headers, json=REASON
    )
    assert itself.status_code == 409 and itself.json()["code"] == "act_as_target_admin"

    gone = await make_account("student")
    ok(await client.patch(f"/users/{gone.id}", headers=admin.headers, json={"is_active": False}))
    inactive = await client.post(
        f"/admin/users/{gone.id}/act-as", headers=admin.headers, json=REASON
    )
    assert inactive.status_code == 409 and inactive.json()["code"] == "act_as_target_inactive"

    unknown = await client.post(
        f"/admin/users/{uuid.uuid4()}/act-as", headers=admin.headers, json=REASON
    )
    assert unknown.status_code == 404
    for bad in (None, {}, {"reason": ""}, {"reason": "    x    "}, {"reason": "ok", "extra": 1}):
        invalid = await client.post(path, headers=admin.headers, json=bad)
        assert invalid.status_code == 422, bad
    not_uuid = await client.post("/admin/users/nobody/act-as", headers=admin.headers, json=REASON)
    assert not_uuid.status_code == 422

    # an act-as token is the student's: it cannot start another act-as session
    token = await act_as(client, admin, student.id)
    nested = await client.post(
        f"/admin/users/{instructor.id}/act-as", headers=acting(token).headers, json=REASON
    )
    assert nested.status_code == 403 and nested.json()["code"] == "role_required"
    # no audit entry of a refused start
    started = await audit_entries(client, admin, action="act_as.started")
    assert len(started) == 1


async def test_logging_out_ends_the_act_as_token_but_not_the_account_s_own_sessions(
    client: httpx.AsyncClient, admin: Account, student: Account
) -> None:
    token = await act_as(client, admin, student.id)
    out = await client.post("/auth/logout", headers=acting(token).headers)
    assert out.status_code == 204
    after = await client.get("/users/me", headers=acting(token).headers)
    assert after.status_code == 401 and after.json()["code"] == "token_revoked"
    assert (await client.get("/users/me", headers=student.headers)).status_code == 200
    refreshed = await client.post("/auth/refresh", json={"refresh_token": student.refresh_token})
    assert refreshed.status_code == 200


async def test_deactivating_or_demoting_the_admin_stops_the_act_as_token(
    client: httpx.AsyncClient, admin: Account, student: Account, make_account: AccountFactory
) -> None:
    other_admin = await make_account("admin")
    token = await act_as(client, other_admin, student.id)
    assert (await client.get("/users/me", headers=acting(token).headers)).status_code == 200
    ok(
        await client.patch(
            f"/users/{other_admin.id}", headers=admin.headers, json={"is_active": False}
        )
    )
    stopped = await client.get("/users/me", headers=acting(token).headers)
    assert stopped.status_code == 401 and stopped.json()["code"] == "act_as_ended"
    # the student's own session is untouched
    assert (await client.get("/users/me", headers=student.headers)).status_code == 200

    third_admin = await make_account("admin")
    token = await act_as(client, third_admin, student.id)
    ok(
        await client.patch(
            f"/users/{third_admin.id}", headers=admin.headers, json={"role": "instructor"}
        )
    )
    demoted = await client.get("/users/me", headers=acting(token).headers)
    assert demoted.status_code == 401 and demoted.json()["code"] in (
        "act_as_ended",
        "token_revoked",
    )


async def test_the_act_as_lifetime_follows_the_setting(
    app: Any, client: httpx.AsyncClient, admin: Account, student: Account
) -> None:
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"act_as_minutes": 5})
    try:
        token = await act_as(client, admin, student.id)
    finally:
        app.state.settings = settings
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert token["expires_in"] == 300 and 298 <= claims["exp"] - claims["iat"] <= 302


async def test_a_forged_act_claim_is_refused(client: httpx.AsyncClient, student: Account) -> None:
    forged = jwt.encode(
        {
            "sub": str(student.id),
            "role": "student",
            "jti": uuid.uuid4().hex,
            "type": "access",
            "iat": datetime.now(UTC).timestamp(),
            "exp": datetime.now(UTC).timestamp() + 600,
            "act": {"sub": str(uuid.uuid4())},
        },
        "not-the-server-key-but-long-enough-for-hs256-0123456789",
        algorithm="HS256",
    )
    refused = await client.get("/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401 and refused.json()["code"] == "token_invalid"


async def test_a_request_without_act_as_writes_no_entry(
    client: httpx.AsyncClient, admin: Account, student: Account
) -> None:
    for _ in range(3):
        assert (await client.get("/users/me", headers=student.headers)).status_code == 200
    assert (await client.get("/users/me", headers=admin.headers)).status_code == 200
    assert await audit_entries(client, admin) == []


async def test_an_answer_that_cannot_be_recorded_is_not_sent(
    app: Any, client: httpx.AsyncClient, admin: Account, student: Account
) -> None:
    from lms.core.observability import RequestContextMiddleware

    token = await act_as(client, admin, student.id)
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, RequestContextMiddleware):
        layer = getattr(layer, "app", None)
    assert layer is not None
    recorder = layer.on_acting_request

    async def broken(*_args: Any) -> None:
        raise RuntimeError("audit table unreachable")

    layer.on_acting_request = broken
    try:
        answer = await client.get("/users/me", headers=acting(token).headers)
    finally:
        layer.on_acting_request = recorder
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert str(student.id) not in answer.text
