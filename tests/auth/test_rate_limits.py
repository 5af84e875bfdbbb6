"""Every auth endpoint has a per-client budget per minute."""

from __future__ import annotations

import httpx
import pytest

from lms.core.config import Settings
from tests.factories.accounts import Account


async def test_auth_endpoints_answer_429_with_retry_after(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "auth_rate_limit_per_minute", 2)
    for _ in range(2):
        ok = await client.post("/auth/forgot-password", json={"email": "a@example.com"})
        assert ok.status_code == 202
    limited = await client.post("/auth/forgot-password", json={"email": "a@example.com"})
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # each endpoint has its own budget
    other = await client.post("/auth/reset-password", json={"token": "t", "new_password": "x"})
    assert other.status_code == 422


async def test_a_path_and_its_alias_share_one_budget(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "auth_rate_limit_per_minute", 2)
    body = {"mfa_token": "x", "code": "123456"}
    assert (await client.post("/auth/login/mfa", json=body)).status_code == 401
    assert (await client.post("/auth/mfa/login", json=body)).status_code == 401
    assert (await client.post("/auth/login/mfa", json=body)).status_code == 429
    assert (await client.post("/auth/mfa/login", json=body)).status_code == 429


async def test_authenticated_auth_endpoints_are_limited_too(
    client: httpx.AsyncClient,
    student: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "auth_rate_limit_per_minute", 1)
    assert (await client.get("/auth/me", headers=student.headers)).status_code == 200
    assert (await client.get("/auth/me", headers=student.headers)).status_code == 429
