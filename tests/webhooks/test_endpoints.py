"""Endpoints, for admins: registering (the secret shown once), listing, changing,
removing, rotating the secret, pinging; the event catalogue and its place in the
OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema

from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.webhooks import Receiver, deliveries, register_endpoint

ISSUE_TYPES = [
    "user.created.v1",
    "user.deactivated.v1",
    "course.published.v1",
    "course.unpublished.v1",
    "enrollment.created.v1",
    "enrollment.completed.v1",
    "enrollment.dropped.v1",
    "lesson.completed.v1",
    "quiz.attempt.submitted.v1",
    "quiz.attempt.graded.v1",
    "assignment.submitted.v1",
    "assignment.graded.v1",
    "certificate.issued.v1",
    "certificate.revoked.v1",
    "payment.succeeded.v1",
    "payment.refunded.v1",
    "subscription.updated.v1",
]


class TestEventTypes:
    async def test_the_catalogue_lists_every_type_with_a_valid_json_schema(
        self, client: httpx.AsyncClient, admin: Account
    ) -> None:
        body = ok(await client.get("/webhooks/event-types", headers=admin.headers))
        by_name = {item["name"]: item for item in body["items"]}
        assert set(ISSUE_TYPES) <= set(by_name)
        for name in ISSUE_TYPES:
            schema = by_name[name]["schema"]
            jsonschema.Draft202012Validator.check_schema(schema)
            assert schema["properties"]["type"] == {"const": name}
            assert set(schema["required"]) == {"id", "type", "timestamp", "data"}
            assert by_name[name]["description"]

    async def test_nothing_secret_or_an_answer_is_in_any_schema(
        self, client: httpx.AsyncClient, admin: Account
    ) -> None:
        text = (await client.get("/webhooks/event-types", headers=admin.headers)).text
        for word in ("password", "correct_answer", "secret", "token"):
            assert word not in text

    async def test_the_openapi_document_describes_each_type_as_a_webhook(
        self, client: httpx.AsyncClient
    ) -> None:
        document = (await client.get("http://testserver/openapi.json")).json()
        assert document["openapi"].startswith("3.1")
        for name in ISSUE_TYPES:
            operation = document["webhooks"][name]["post"]
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert schema["properties"]["type"] == {"const": name}
            headers = {p["name"] for p in operation["parameters"]}
            assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}

    async def test_students_and_instructors_are_refused(
        self, client: httpx.AsyncClient, student: Account, instructor: Account
    ) -> None:
        for caller in (student, instructor):
            response = await client.get("/webhooks/event-types", headers=caller.headers)
            assert response.status_code == 403
        assert (await client.get("/webhooks/event-types")).status_code == 401


class TestRegister:
    async def test_the_secret_is_shown_once_at_creation(
        self, client: httpx.AsyncClient, admin: Account, receiver: Receiver
    ) -> None:
        created = await register_endpoint(
            client,
            admin,
            receiver.url,
            description="CRM",
            event_types=["enrollment.created.v1"],
        )
        assert created["secret"].startswith("whsec_")
        response = await client.get(f"/webhooks/endpoints/{created['id']}", headers=admin.headers)
        shown = ok(response)
        assert "secret" not in shown and created["secret"] not in response.text
        assert shown["event_types"] == ["enrollment.created.v1"]
        assert shown["enabled"] is True and shown["description"] == "CRM"
        listed = ok(await client.get("/webhooks/endpoints", headers=admin.headers))
        assert [item["id"] for item in listed["items"]] == [created["id"]]
        assert created["secret"] not in str(listed)

    async def test_bad_urls_and_unknown_event_types_are_refused(
        self, client: httpx.AsyncClient, admin: Account
    ) -> None:
        bad: list[dict[str, Any]] = [
            {"url": "ftp://example.com/hook"},
            {"url": "not a url"},
            {"url": "https://user:pass@example.com/hook"},
            {"url": "https://example.com/hook", "event_types": ["enrollment.exploded.v1"]},
            {"url": "https://example.com/hook", "secret": "whsec_mine"},
            {"url": ""},
        ]
        for body in bad:
            response = await client.post("/webhooks/endpoints", headers=admin.headers, json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")

    async def test_production_accepts_only_https(
        self, client: httpx.AsyncClient, admin: Account, settings: Any, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(settings, "environment", "production")
        refused = await client.post(
            "/webhooks/endpoints", headers=admin.headers, json={"url": "http://example.com/h"}
        )
        assert refused.status_code == 422
        assert "https" in refused.json()["detail"]
        await register_endpoint(client, admin, "https://example.com/h")


class TestChange:
    async def test_patch_changes_and_delete_removes(
        self, client: httpx.AsyncClient, admin: Account, receiver: Receiver
    ) -> None:
        created = await register_endpoint(client, admin, receiver.url)
        url = f"/webhooks/endpoints/{created['id']}"
        changed = ok(
            await client.patch(
                url,
                headers=admin.headers,
                json={"enabled": False, "event_types": ["payment.succeeded.v1"]},
            )
        )
        assert changed["enabled"] is False
        assert changed["event_types"] == ["payment.succeeded.v1"]
        assert changed["disabled_reason"] == "disabled by an admin"
        enabled = ok(await client.patch(url, headers=admin.headers, json={"enabled": True}))
        assert enabled["enabled"] is True and enabled["disabled_reason"] is None
        bad = await client.patch(url, headers=admin.headers, json={"url": "gopher://x"})
        assert bad.status_code == 422
        assert (await client.delete(url, headers=admin.headers)).status_code == 204
        assert (await client.get(url, headers=admin.headers)).status_code == 404
        assert (await client.delete(url, headers=admin.headers)).status_code == 404

    async def test_unknown_ids_are_404(self, client: httpx.AsyncClient, admin: Account) -> None:
        missing = "00000000-0000-4000-8000-000000000000"
        for method, path in (
            ("GET", f"/webhooks/endpoints/{missing}"),
            ("PATCH", f"/webhooks/endpoints/{missing}"),
            ("POST", f"/webhooks/endpoints/{missing}/ping"),
            ("POST", f"/webhooks/endpoints/{missing}/rotate-secret"),
            ("GET", f"/webhooks/endpoints/{missing}/deliveries"),
            ("POST", f"/webhooks/deliveries/{missing}/redeliver"),
        ):
            response = await client.request(method, path, headers=admin.headers, json={})
            assert response.status_code == 404, (method, path, response.text)


class TestPing:
    async def test_a_ping_reaches_the_receiver_signed_and_is_listed(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        receiver: Receiver,
        deliver_all: Any,
    ) -> None:
        created = await register_endpoint(client, admin, receiver.url)
        pinged = ok(
            await client.post(f"/webhooks/endpoints/{created['id']}/ping", headers=admin.headers),
            202,
        )
        await deliver_all()
        [got] = receiver.received
        assert got.id == pinged["message_id"]
        assert got.verifies_with(created["secret"])
        assert got.message["type"] == "webhook.ping.v1"
        assert got.message["data"] == {"endpoint_id": created["id"]}
        [delivery] = await deliveries(client, admin, created["id"])
        assert delivery["status"] == "succeeded" and delivery["response_status"] == 200
        assert delivery["attempts"] == 1 and delivery["message_id"] == got.id
        assert delivery["duration_ms"] is not None
        assert delivery["response_excerpt"] == '{"ok": true}'
