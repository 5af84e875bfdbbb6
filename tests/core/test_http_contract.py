"""Cross-cutting HTTP behaviour: problem details, request ids, limits, health."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


async def test_unknown_route_is_problem_details(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["code"] == "not_found" and body["title"]


async def test_validation_error_lists_every_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/register", json={"email": "not-an-email"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {tuple(error["loc"]) for error in body["errors"]}
    assert ("body", "email") in fields and ("body", "password") in fields


async def test_request_id_is_returned_and_kept(client: httpx.AsyncClient) -> None:
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    kept = await client.get("/health", headers={"X-Request-ID": "trace-123"})
    assert kept.headers["x-request-id"] == "trace-123"
    refused = await client.get("/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert refused.headers["x-request-id"] != "bad id\nwith newline"


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/health"), await client.get("/missing")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    payload = {"email": "a@example.com", "password": "x" * 10, "full_name": "y" * 2_000_000}
    response = await client.post("/auth/register", json=payload)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_malformed_json_is_422_not_500(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_openapi_documents_bearer_password_flow(client: httpx.AsyncClient) -> None:
    schema = (await client.get("http://testserver/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
        "/api/v1/auth/token"
    )
    # accounts with MFA paste the token from /auth/login/mfa instead
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token, e.g. from /auth/login or /auth/login/mfa.",
    }
    # Swagger sends the token only on operations that list the schemes: every one that
    # reads the caller (required, by role or optional) does, the anonymous ones do not.
    both = [{"OAuth2PasswordBearer": []}, {"HTTPBearer": []}]
    paths = schema["paths"]
    assert paths["/api/v1/enrollments/my-courses"]["get"]["security"] == both
    assert paths["/api/v1/admin/outbox"]["get"]["security"] == both
    assert paths["/api/v1/courses"]["get"]["security"] == both  # drafts for their owner
    assert "security" not in paths["/api/v1/auth/login"]["post"]
    assert "security" not in paths["/api/v1/health"]["get"]


async def test_routes_are_found_behind_a_root_path(app: Any, student: Any) -> None:
    """Served under a path prefix (a proxy's mount point), every module's routes still
    match: routers are passed over by their prefix, which the root path precedes."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, root_path="/lms")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/lms/api/v1/courses")).status_code == 200
        mine = await http.get("/lms/api/v1/enrollments/my-courses", headers=student.headers)
        assert mine.status_code == 200 and mine.json()["total"] == 0
        unknown_quiz = await http.post(
            f"/lms/api/v1/quizzes/{uuid.uuid4()}/attempts", headers=student.headers
        )
        assert unknown_quiz.json()["code"] == "quiz_not_found"
        assert (await http.get("/lms/api/v1/nowhere")).status_code == 404
        assert (await http.delete("/lms/api/v1/enrollments/my-courses")).status_code == 405
        allow = (await http.options("/lms/api/v1/enrollments/my-courses")).headers["allow"]
        assert allow == "GET, OPTIONS"


METHODS = {"get", "post", "put", "patch", "delete"}


def _concrete(path: str) -> str:
    """A path of the document with every parameter filled in."""
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_every_path_answers_options_and_405_with_all_its_methods(
    client: httpx.AsyncClient,
) -> None:
    """RFC 9110: a 405 lists in ``Allow`` every method the path supports, not only those
    of the route that matched first; ``OPTIONS`` answers with the same list."""
    paths = (await client.get("http://testserver/openapi.json")).json()["paths"]
    templates = {
        re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"): {
            method.upper() for method in operations if method in METHODS
        }
        for path, operations in paths.items()
    }
    for path in paths:
        url = "http://testserver" + _concrete(path)
        # A literal path can also fit another path's template (``/lessons/reorder`` fits
        # ``/lessons/{lesson_id}``): the methods of both reach a route.
        documented = set().union(
            *(methods for pattern, methods in templates.items() if pattern.match(_concrete(path)))
        )
        expected = ", ".join(sorted(documented | {"OPTIONS"}))
        answer = await client.options(url)
        assert (answer.status_code, answer.headers.get("allow")) == (204, expected), path
        missing = sorted(METHODS - {m.lower() for m in documented})
        if missing:
            refused = await client.request(missing[0].upper(), url)
            assert refused.status_code == 405, path
            assert refused.headers["allow"] == expected, path
            assert refused.json()["code"] == "method_not_allowed"


async def test_a_collection_with_two_routes_lists_both_methods(
    client: httpx.AsyncClient,
) -> None:
    """``GET /courses`` and ``POST /courses`` are two routes: both are allowed."""
    refused = await client.delete("/courses")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, OPTIONS, POST"
    assert (await client.options("/courses")).headers["allow"] == "GET, OPTIONS, POST"
    assert (await client.options("/no-such-thing")).status_code == 404
