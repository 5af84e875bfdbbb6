"""Security misconfiguration (OWASP API8): the security headers on every response,
HSTS behind TLS, a strict content security policy on the docs pages, no docs in
production unless asked for, no credentials with a wildcard CORS origin, and no
tracebacks in error responses. ``test_authorization_matrix.py`` checks the headers on
every response of every route."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from lms.main import create_app

BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
HSTS = "max-age=63072000; includeSubDomains"


def missing_security_headers(response: httpx.Response) -> list[str]:
    """What a response lacks of the headers every response must have."""
    missing = [name for name, value in BASE_HEADERS.items() if response.headers.get(name) != value]
    policy = response.headers.get("content-security-policy", "")
    if "frame-ancestors 'none'" not in policy or "default-src 'none'" not in policy:
        missing.append("content-security-policy")
    if response.request.url.scheme == "http" and "strict-transport-security" in response.headers:
        missing.append("no HSTS over plain HTTP")
    return missing


@pytest.fixture
async def https_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver/api/v1") as http:
        yield http


async def test_every_kind_of_response_has_the_headers(
    client: httpx.AsyncClient, https_client: httpx.AsyncClient, settings: Settings
) -> None:
    big = b"{" + b" " * (settings.max_body_kb * 1024 + 1) + b"}"
    samples = [
        await client.get("/health"),
        await client.get("/no-such-route"),
        await client.get("/users/me"),  # 401
        await client.post("/auth/login", json={}),  # 422
        await client.post("/auth/login", content=big, headers={"Content-Type": "application/json"}),
        await client.delete("/health"),  # 405
        await client.post("/auth/reset-password", json={"token": "x", "new_password": "abc-12345"}),
    ]
    statuses = {response.status_code for response in samples}
    assert statuses == {200, 400, 401, 404, 405, 413, 422}
    for response in samples:
        assert missing_security_headers(response) == [], response.request.url
        assert "strict-transport-security" not in response.headers

    # behind TLS (the proxy passes the scheme on) every response also has HSTS
    for path in ("/health", "/no-such-route", "/users/me"):
        secure = await https_client.get(path)
        assert secure.headers["strict-transport-security"] == HSTS
        assert missing_security_headers(secure) == []


async def test_the_docs_pages_have_a_strict_policy(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        page = await client.get(f"http://testserver{path}")
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        directives = {
            name: value for name, _, value in (part.partition(" ") for part in policy.split("; "))
        }
        assert directives["default-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["connect-src"] == "'self'"
        assert "*" not in policy.replace("*.", "")
        assert "'unsafe-eval'" not in policy
        allowed_scripts = directives["script-src"].split()
        # every script the page loads comes from a source the policy allows
        for src in re.findall(r'<script[^>]+src="([^"]+)"', page.text):
            origin = "/".join(src.split("/")[:3])
            assert origin in allowed_scripts or src.startswith("/"), src
        assert page.headers["x-frame-options"] == "DENY"
    api = await client.get("/health")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def _call(application: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.request(method, path, **kwargs)


async def test_no_docs_in_production_unless_enabled(settings: Settings) -> None:
    production = settings.model_copy(update={"environment": "production"})
    hidden = create_app(production, run_jobs=False)
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert (await _call(hidden, "GET", path)).status_code == 404
    shown = create_app(production.model_copy(update={"enable_docs": True}), run_jobs=False)
    assert (await _call(shown, "GET", "/openapi.json")).status_code == 200
    for application in (hidden, shown):
        await application.state.engine.dispose()


async def test_cors_never_pairs_credentials_with_a_wildcard(settings: Settings) -> None:
    preflight = {
        "Origin": "https://evil.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    anyone = create_app(settings.model_copy(update={"cors_origins": ["*"]}), run_jobs=False)
    answer = await _call(anyone, "OPTIONS", "/api/v1/auth/login", headers=preflight)
    assert answer.headers.get("access-control-allow-credentials") != "true"

    listed = create_app(
        settings.model_copy(update={"cors_origins": ["https://app.example.com"]}), run_jobs=False
    )
    stranger = await _call(listed, "OPTIONS", "/api/v1/auth/login", headers=preflight)
    assert "access-control-allow-origin" not in stranger.headers
    friend = await _call(
        listed,
        "OPTIONS",
        "/api/v1/auth/login",
        headers={**preflight, "Origin": "https://app.example.com"},
    )
    assert friend.headers["access-control-allow-origin"] == "https://app.example.com"
    assert friend.headers["access-control-allow-credentials"] == "true"
    for application in (anyone, listed):
        await application.state.engine.dispose()


async def test_an_unexpected_error_shows_no_internals(settings: Settings) -> None:
    application = create_app(settings, run_jobs=False)

    async def broken() -> None:
        raise RuntimeError("database password is hunter2 at /srv/lms/secret.py line 42")

    application.add_api_route("/api/v1/broken", broken)
    response = await _call(application, "GET", "/api/v1/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:lms:problem:internal_error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "code": "internal_error",
    }
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert missing_security_headers(response) == []
    assert len(response.headers["x-request-id"]) == 32
    await application.state.engine.dispose()
