"""The OpenAPI schema documents every answer an operation can give, so that clients
(and the fuzzer, ``test_fuzz.py``) can rely on it: every refusal as problem details,
downloads as any media type, redirects with their ``Location``."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM = "application/problem+json"
REFUSALS = ("400", "401", "403", "404", "409", "413", "422", "429", "503")


async def _schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("http://testserver/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


async def test_every_api_operation_documents_its_refusals_as_problem_details(
    client: httpx.AsyncClient,
) -> None:
    schema = await _schema(client)
    problem = schema["components"]["schemas"]["ProblemDetails"]
    assert set(problem["required"]) == {"title", "status", "detail", "code"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    checked = 0
    for path, operations in schema["paths"].items():
        if path in ("/api/v1/health", "/api/v1/ready"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in REFUSALS:
                assert status in responses, f"{method.upper()} {path} does not document {status}"
                content = responses[status]["content"]
                assert list(content) == [PROBLEM], (method, path, status)
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
            assert "Retry-After" in responses["429"]["headers"]
            assert "WWW-Authenticate" in responses["401"]["headers"]
            checked += 1
    assert checked > 100


async def test_downloads_redirects_and_empty_answers_are_documented_as_they_are(
    client: httpx.AsyncClient,
) -> None:
    paths = (await _schema(client))["paths"]
    for path in ("/api/v1/files/{file_id}/download", "/api/v1/files/download/{file_id}"):
        responses = paths[path]["get"]["responses"]
        assert list(responses["200"]["content"]) == ["*/*"]
        assert list(responses["206"]["content"]) == ["*/*"]
        assert "Location" in responses["307"]["headers"]
        assert list(responses["416"]["content"]) == [PROBLEM]
    certificate = paths["/api/v1/certificates/{certificate_id}/download"]["get"]["responses"]
    assert list(certificate["200"]["content"]) == ["application/pdf"]
    assert "307" in certificate
    redirect = paths["/api/v1/payments/webhooks/paymob"]["get"]["responses"]
    assert "303" in redirect and "content" not in redirect["303"]
    for path, method in (
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/courses/{course_id}", "delete"),
        ("/api/v1/files/{file_id}", "delete"),
    ):
        assert "content" not in paths[path][method]["responses"]["204"]
    resumed = paths["/api/v1/quizzes/{quiz_id}/attempts"]["post"]["responses"]
    assert {"200", "201"} <= set(resumed)
    ready = paths["/api/v1/ready"]["get"]["responses"]
    assert ready["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Readiness"
    }
