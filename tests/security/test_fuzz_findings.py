"""Regression tests for what the fuzzer found: each was a 500 (or an undocumented answer)
before its fix, and is a clear 4xx now."""

from __future__ import annotations

import httpx

from tests.factories.accounts import Account


async def test_nul_and_nan_in_profile_fields_are_422(
    client: httpx.AsyncClient, student: Account, admin: Account
) -> None:
    for body in (
        {"full_name": "A\u0000B"},
        {"profile_metadata": {"\u0000": None}},
        {"profile_metadata": {"bio": ["ok", "bad\u0000"]}},
    ):
        mine = await client.patch("/users/me", headers=student.headers, json=body)
        assert mine.status_code == 422, mine.text
        theirs = await client.patch(f"/users/{student.id}", headers=admin.headers, json=body)
        assert theirs.status_code == 422, theirs.text
    nan = await client.patch(
        "/users/me",
        headers={**student.headers, "Content-Type": "application/json"},
        content=b'{"profile_metadata": {"score": NaN}}',
    )
    assert nan.status_code == 422, nan.text
    registered = await client.post(
        "/auth/register",
        json={"email": "nul@example.com", "password": "s3cret-pass", "full_name": "N\u0000"},
    )
    assert registered.status_code == 422
    created = await client.post(
        "/users",
        headers=admin.headers,
        json={"email": "nul2@example.com", "password": "s3cret-pass", "full_name": "N\u0000"},
    )
    assert created.status_code == 422
    me = await client.get("/users/me", headers=student.headers)
    assert me.json()["full_name"] == student.full_name


async def test_a_nul_in_the_form_login_s_username_is_refused_not_a_500(
    client: httpx.AsyncClient, student: Account
) -> None:
    answer = await client.post(
        "/auth/token", data={"username": "a\u0000b@example.com", "password": "whatever-1"}
    )
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "invalid_credentials"
