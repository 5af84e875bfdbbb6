from __future__ import annotations

import httpx

from tests.factories.accounts import PASSWORD, Account


async def test_admin_lists_and_filters_users(
    client: httpx.AsyncClient, admin: Account, student: Account, instructor: Account
) -> None:
    everyone = await client.get("/users", headers=admin.headers)
    assert everyone.status_code == 200
    assert everyone.json()["total"] == 3 and everyone.json()["page_size"] == 20
    students = await client.get("/users", headers=admin.headers, params={"role": "student"})
    assert [u["email"] for u in students.json()["items"]] == [student.email]
    found = await client.get(
        "/users", headers=admin.headers, params={"search": instructor.email[:12]}
    )
    assert found.json()["total"] == 1


async def test_non_admins_cannot_manage_users(
    client: httpx.AsyncClient, student: Account, instructor: Account
) -> None:
    for caller in (student, instructor):
        assert (await client.get("/users", headers=caller.headers)).status_code == 403
        assert (await client.get(f"/users/{student.id}", headers=caller.headers)).status_code == 403
        created = await client.post(
            "/users",
            headers=caller.headers,
            json={"email": "z@example.com", "password": "s3cret-pass", "full_name": "Z"},
        )
        assert created.status_code == 403
    assert (await client.get("/users")).status_code == 401


async def test_page_size_is_capped(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.get("/users", headers=admin.headers, params={"page_size": 1000})
    assert response.status_code == 422


async def test_admin_creates_an_instructor_who_can_log_in(
    client: httpx.AsyncClient, admin: Account
) -> None:
    created = await client.post(
        "/users",
        headers=admin.headers,
        json={
            "email": "teach@example.com",
            "password": "s3cret-pass",
            "full_name": "Tea Cher",
            "role": "instructor",
        },
    )
    assert created.status_code == 201 and created.json()["role"] == "instructor"
    login = await client.post(
        "/auth/login", json={"email": "teach@example.com", "password": "s3cret-pass"}
    )
    assert login.json()["user"]["role"] == "instructor"


async def test_profile_update_cannot_touch_role_or_status(
    client: httpx.AsyncClient, student: Account
) -> None:
    for forbidden in ({"role": "admin"}, {"is_active": False}, {"email": "x@example.com"}):
        response = await client.patch("/users/me", headers=student.headers, json=forbidden)
        assert response.status_code == 422, forbidden
    ok = await client.patch(
        "/users/me",
        headers=student.headers,
        json={"full_name": "ليلى أحمد", "profile_metadata": {"bio": "hi"}},
    )
    assert ok.status_code == 200
    assert ok.json()["full_name"] == "ليلى أحمد" and ok.json()["role"] == "student"


async def test_change_password_needs_current_and_ends_sessions(
    client: httpx.AsyncClient, student: Account
) -> None:
    wrong = await client.post(
        "/users/me/password",
        headers=student.headers,
        json={"current_password": "not-it-123", "new_password": "brand-new-pass-1"},
    )
    assert wrong.status_code == 422
    ok = await client.post(
        "/users/me/password",
        headers=student.headers,
        json={"current_password": PASSWORD, "new_password": "brand-new-pass-1"},
    )
    assert ok.status_code == 204
    assert (await client.get("/users/me", headers=student.headers)).status_code == 401
    login = await client.post(
        "/auth/login", json={"email": student.email, "password": "brand-new-pass-1"}
    )
    assert login.status_code == 200
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/users/me", headers=fresh)).status_code == 200


async def test_admin_cannot_lock_themselves_out(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.patch(
        f"/users/{admin.id}", headers=admin.headers, json={"is_active": False}
    )
    assert response.status_code == 422


async def test_unknown_user_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.get(
        "/users/00000000-0000-0000-0000-000000000000", headers=admin.headers
    )
    assert response.status_code == 404
    assert (await client.get("/users/not-a-uuid", headers=admin.headers)).status_code == 422


async def test_time_zone_and_locale_are_the_accounts_own(
    client: httpx.AsyncClient, student: Account, admin: Account
) -> None:
    fresh = await client.get("/users/me", headers=student.headers)
    assert fresh.json()["time_zone"] == "UTC" and fresh.json()["locale"] is None
    for bad in ({"time_zone": "Mars/Olympus"}, {"time_zone": ""}, {"locale": "fr"}):
        refused = await client.patch("/users/me", headers=student.headers, json=bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")
    changed = await client.patch(
        "/users/me", headers=student.headers, json={"time_zone": "Africa/Cairo", "locale": "ar"}
    )
    assert changed.status_code == 200
    assert (changed.json()["time_zone"], changed.json()["locale"]) == ("Africa/Cairo", "ar")
    again = await client.get("/users/me", headers=student.headers)
    assert (again.json()["time_zone"], again.json()["locale"]) == ("Africa/Cairo", "ar")
    # An admin can set them too, and clear the locale back to "as the request asks".
    cleared = await client.patch(
        f"/users/{student.id}",
        headers=admin.headers,
        json={"locale": None, "time_zone": "Asia/Kuwait"},
    )
    assert cleared.status_code == 200
    assert (cleared.json()["time_zone"], cleared.json()["locale"]) == ("Asia/Kuwait", None)
