"""Delivering messages to a real receiver on loopback: Standard Webhooks signatures
checked with the reference library, retries, failure, redelivery by hand, secret
rotation, disabling a failing endpoint, and the outbound safety rules (SSRF)."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from tests.conftest import Mailbox
from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.webhooks import Receiver, deliveries, register_endpoint


async def ping(client: httpx.AsyncClient, admin: Account, endpoint: dict[str, Any]) -> str:
    body = ok(
        await client.post(f"/webhooks/endpoints/{endpoint['id']}/ping", headers=admin.headers),
        202,
    )
    return str(body["message_id"])


async def make_user(client: httpx.AsyncClient, admin: Account, email: str) -> dict[str, Any]:
    return ok(
        await client.post(
            "/users",
            headers=admin.headers,
            json={"email": email, "password": "s3cret-pass", "full_name": "Hooked Person"},
        ),
        201,
    )


class TestSignatures:
    async def test_every_delivery_verifies_and_tampering_does_not(
        self, client: httpx.AsyncClient, admin: Account, receiver: Receiver, deliver_all: Any
    ) -> None:
        endpoint = await register_endpoint(client, admin, receiver.url)
        for n in range(3):
            await make_user(client, admin, f"signed-{n}@example.com")
        await deliver_all()
        assert len(receiver.received) == 3
        ids = set()
        for got in receiver.received:
            assert got.verifies_with(endpoint["secret"])
            assert got.headers["webhook-signature"].startswith("v1,")
            assert got.headers["content-type"] == "application/json"
            ids.add(got.id)
            tampered = type(got)(got.headers, got.body.replace(b"Hooked", b"Hacked"))
            assert not tampered.verifies_with(endpoint["secret"])
            other = await register_endpoint(client, admin, receiver.url, enabled=False)
            assert not got.verifies_with(other["secret"])
        assert len(ids) == 3

    async def test_an_endpoint_hears_only_the_types_it_asked_for(
        self, client: httpx.AsyncClient, admin: Account, receiver: Receiver, deliver_all: Any
    ) -> None:
        await register_endpoint(client, admin, receiver.url, event_types=["user.deactivated.v1"])
        user = await make_user(client, admin, "filtered@example.com")
        ok(
            await client.patch(
                f"/users/{user['id']}", headers=admin.headers, json={"is_active": False}
            )
        )
        await deliver_all()
        assert [got.message["type"] for got in receiver.received] == ["user.deactivated.v1"]

    async def test_a_disabled_endpoint_hears_nothing(
        self, client: httpx.AsyncClient, admin: Account, receiver: Receiver, deliver_all: Any
    ) -> None:
        await register_endpoint(client, admin, receiver.url, enabled=False)
        await make_user(client, admin, "unheard@example.com")
        await deliver_all()
        assert receiver.received == []


class TestRetries:
    async def test_a_500_then_200_is_retried_and_delivered_once(
        self, client: httpx.AsyncClient, admin: Account, receiver: Receiver, deliver_all: Any
    ) -> None:
        endpoint = await register_endpoint(client, admin, receiver.url)
        receiver.answers = [500]
        message_id = await ping(client, admin, endpoint)
        await deliver_all()
        assert [got.id for got in receiver.received] == [message_id, message_id]
        [delivery] = await deliveries(client, admin, endpoint["id"])
        assert delivery["status"] == "succeeded"
        assert delivery["attempts"] == 2 and delivery["response_status"] == 200
        assert delivery["error"] is None

    async def test_a_receiver_down_fails_and_is_redelivered_by_hand_once_back(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        receiver: Receiver,
        deliver_all: Any,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            down_port = probe.getsockname()[1]
        endpoint = await register_endpoint(client, admin, f"http://127.0.0.1:{down_port}/hooks")
        message_id = await ping(client, admin, endpoint)
        await deliver_all()
        [delivery] = await deliveries(client, admin, endpoint["id"])
        # The first attempt and one retry per configured delay, then failed.
        assert delivery["status"] == "failed"
        assert delivery["attempts"] == len(settings.webhook_retry_delays_seconds) + 1
        assert "Cannot connect" in delivery["error"]
        assert delivery["response_status"] is None

        # The receiver is back (at the endpoint's new address): redeliver by hand.
        ok(
            await client.patch(
                f"/webhooks/endpoints/{endpoint['id']}",
                headers=admin.headers,
                json={"url": receiver.url},
            )
        )
        again = ok(
            await client.post(
                f"/webhooks/deliveries/{delivery['id']}/redeliver", headers=admin.headers
            ),
            202,
        )
        assert again["status"] == "pending"
        await deliver_all()
        [got] = receiver.received
        assert got.id == message_id and got.verifies_with(endpoint["secret"])
        [delivery] = await deliveries(client, admin, endpoint["id"])
        assert delivery["status"] == "succeeded"

    async def test_a_delivery_being_retried_cannot_be_redelivered(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        receiver: Receiver,
        deliver_all: Any,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(settings, "webhook_retry_delays_seconds", [30.0])
        endpoint = await register_endpoint(client, admin, receiver.url)
        receiver.answers = [500]
        await ping(client, admin, endpoint)
        await deliver_all()
        [delivery] = await deliveries(client, admin, endpoint["id"])
        assert delivery["status"] == "pending" and delivery["next_attempt_at"] is not None
        refused = await client.post(
            f"/webhooks/deliveries/{delivery['id']}/redeliver", headers=admin.headers
        )
        assert refused.status_code == 409 and refused.json()["code"] == "delivery_pending"

    async def test_an_endpoint_failing_too_long_is_disabled_and_admins_are_emailed(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        receiver: Receiver,
        deliver_all: Any,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
        mailbox: Mailbox,
    ) -> None:
        monkeypatch.setattr(settings, "webhook_disable_after_hours", 0.0)
        endpoint = await register_endpoint(client, admin, receiver.url)
        receiver.answers = [503] * 10
        await ping(client, admin, endpoint)
        await deliver_all()
        shown = ok(await client.get(f"/webhooks/endpoints/{endpoint['id']}", headers=admin.headers))
        assert shown["enabled"] is False
        assert shown["disabled_reason"].startswith("failing since")
        [delivery] = await deliveries(client, admin, endpoint["id"])
        assert delivery["status"] == "failed" and delivery["error"] == "the endpoint is disabled"
        assert len(receiver.received) == 1  # no retry once disabled
        [email] = mailbox.messages(admin.email)
        assert email["Subject"] == "A webhook endpoint was disabled"
        assert receiver.url in mailbox.text_of(email)
        # Events after that are not sent to it; redelivery waits until it is enabled.
        await make_user(client, admin, "after-disable@example.com")
        await deliver_all()
        assert len(receiver.received) == 1
        refused = await client.post(
            f"/webhooks/deliveries/{delivery['id']}/redeliver", headers=admin.headers
        )
        assert refused.status_code == 409 and refused.json()["code"] == "endpoint_disabled"

    async def test_the_response_kept_is_bounded(
        self, client: httpx.AsyncClient, admin: Account, receiver: Receiver, deliver_all: Any
    ) -> None:
        endpoint = await register_endpoint(client, admin, receiver.url)
        receiver.answers = [400, 400, 400, 400]
        await ping(client, admin, endpoint)
        await deliver_all()
        [delivery] = await deliveries(client, admin, endpoint["id"])
        assert delivery["status"] == "failed" and delivery["response_status"] == 400
        assert delivery["error"] == "HTTP 400"
        assert 0 < len(delivery["response_excerpt"]) <= 1000


class TestSecretRotation:
    async def test_both_secrets_sign_during_the_overlap_and_only_the_new_one_after(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        receiver: Receiver,
        deliver_all: Any,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        endpoint = await register_endpoint(client, admin, receiver.url)
        old = endpoint["secret"]
        rotated = ok(
            await client.post(
                f"/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=admin.headers
            )
        )
        new = rotated["secret"]
        assert new != old and new.startswith("whsec_")
        assert rotated["secret_rotation_ends_at"] is not None
        await ping(client, admin, endpoint)
        await deliver_all()
        [during] = receiver.received
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert during.verifies_with(old) and during.verifies_with(new)

        monkeypatch.setattr(settings, "webhook_secret_overlap_hours", 0.0)
        again = ok(
            await client.post(
                f"/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=admin.headers
            )
        )
        newest = again["secret"]
        assert again["secret_rotation_ends_at"] is None
        await ping(client, admin, endpoint)
        await deliver_all()
        after = receiver.received[1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        assert after.verifies_with(newest)
        assert not after.verifies_with(new) and not after.verifies_with(old)


class TestOutboundSafety:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:{port}/hooks",
            "http://10.0.0.1/hooks",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:{port}/hooks",
            "http://[::ffff:127.0.0.1]:{port}/hooks",
            "http://localhost:{port}/hooks",
            "http://100.100.100.200/latest/meta-data/",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://224.0.0.1/hooks",
        ],
    )
    async def test_private_addresses_are_refused_and_logged_in_the_delivery(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        receiver: Receiver,
        deliver_all: Any,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
        url: str,
    ) -> None:
        monkeypatch.setattr(settings, "webhook_allow_private_networks", False)
        monkeypatch.setattr(settings, "webhook_retry_delays_seconds", [])
        port = receiver.url.split(":")[2].split("/")[0]
        endpoint = await register_endpoint(client, admin, url.format(port=port))
        await ping(client, admin, endpoint)
        await deliver_all()
        assert receiver.received == []
        [delivery] = await deliveries(client, admin, endpoint["id"])
        assert delivery["status"] == "failed"
        assert "non-public address" in delivery["error"]

    async def test_a_redirect_is_not_followed(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        receiver: Receiver,
        deliver_all: Any,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(settings, "webhook_retry_delays_seconds", [])
        endpoint = await register_endpoint(client, admin, receiver.url)
        receiver.answers = [(302, {"location": "http://169.254.169.254/latest/meta-data/"})]
        await ping(client, admin, endpoint)
        await deliver_all()
        assert len(receiver.received) == 1
        [delivery] = await deliveries(client, admin, endpoint["id"])
        assert delivery["status"] == "failed" and delivery["response_status"] == 302
        assert "not followed" in delivery["error"]
        assert "169.254.169.254" in delivery["error"]

    async def test_an_unresolvable_name_is_a_failed_delivery(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        deliver_all: Any,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(settings, "webhook_retry_delays_seconds", [])
        endpoint = await register_endpoint(client, admin, "http://nowhere.invalid/hooks")
        await ping(client, admin, endpoint)
        await deliver_all()
        [delivery] = await deliveries(client, admin, endpoint["id"])
        assert delivery["status"] == "failed" and "cannot resolve" in delivery["error"]
