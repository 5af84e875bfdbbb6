"""What operators see of outbound webhooks at /metrics: attempts by result, their
duration, endpoints disabled, and the backlog of messages not sent yet and deliveries
waiting for a retry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from tests.factories.accounts import Account
from tests.factories.webhooks import Receiver, register_endpoint
from tests.webhooks.test_delivery import make_user, ping

METRICS = "http://testserver/metrics"


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.fixture
def scrape(client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(settings, "metrics_enabled", True)

    async def run() -> str:
        scraped = await client.get(METRICS)
        assert scraped.status_code == 200
        return scraped.text

    return run


def _attempts(text: str, result: str) -> float:
    return _sample(text, "lms_webhook_outbound_attempts_total", result=result)


async def test_attempts_are_counted_by_result_with_their_duration(
    client: httpx.AsyncClient,
    admin: Account,
    receiver: Receiver,
    deliver_all: Any,
    scrape: Any,
) -> None:
    endpoint = await register_endpoint(client, admin, receiver.url)
    before = await scrape()
    receiver.answers = [500]  # the first attempt fails, its retry succeeds
    await ping(client, admin, endpoint)
    await make_user(client, admin, "counted@example.com")
    await deliver_all()
    after = await scrape()

    assert len(receiver.received) == 3
    assert _attempts(after, "delivered") - _attempts(before, "delivered") == 2
    assert _attempts(after, "retrying") - _attempts(before, "retrying") == 1
    assert _attempts(after, "failed") - _attempts(before, "failed") == 0
    timed = _sample(after, "lms_webhook_outbound_duration_seconds_count") - _sample(
        before, "lms_webhook_outbound_duration_seconds_count"
    )
    assert timed == 3
    assert _sample(after, "lms_webhook_outbound_duration_seconds_bucket", le="+Inf") >= 3


async def test_a_failing_endpoint_is_counted_failed_then_disabled(
    client: httpx.AsyncClient,
    admin: Account,
    receiver: Receiver,
    deliver_all: Any,
    scrape: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "webhook_retry_delays_seconds", [0.05])
    endpoint = await register_endpoint(client, admin, receiver.url)
    receiver.answers = [503, 503]
    before = await scrape()
    await ping(client, admin, endpoint)
    await deliver_all()
    middle = await scrape()
    assert _attempts(middle, "retrying") - _attempts(before, "retrying") == 1
    assert _attempts(middle, "failed") - _attempts(before, "failed") == 1

    # Failing for longer than allowed: disabled, and its pending retry is not sent.
    monkeypatch.setattr(settings, "webhook_disable_after_hours", 0.0)
    monkeypatch.setattr(settings, "webhook_retry_delays_seconds", [0.05, 0.05])
    receiver.answers = [503] * 5
    await ping(client, admin, endpoint)
    await deliver_all()
    after = await scrape()
    disabled = "lms_webhook_outbound_endpoints_disabled_total"
    assert _sample(after, disabled) - _sample(middle, disabled) == 1
    assert _attempts(after, "endpoint_disabled") - _attempts(middle, "endpoint_disabled") == 1


async def test_the_backlog_is_read_when_scraped(
    client: httpx.AsyncClient,
    admin: Account,
    receiver: Receiver,
    deliver_all: Any,
    scrape: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await register_endpoint(client, admin, receiver.url)
    idle = await scrape()
    assert _sample(idle, "lms_webhook_outbound_pending", stage="unsent") == 0
    assert _sample(idle, "lms_webhook_outbound_pending", stage="retrying") == 0

    for n in range(3):  # three transactions, three messages waiting
        await make_user(client, admin, f"waiting-{n}@example.com")
    waiting = await scrape()
    assert _sample(waiting, "lms_webhook_outbound_pending", stage="unsent") == 3

    monkeypatch.setattr(settings, "webhook_retry_delays_seconds", [3600.0])
    receiver.answers = [500] * 3
    await deliver_all()
    retrying = await scrape()
    assert _sample(retrying, "lms_webhook_outbound_pending", stage="unsent") == 0
    assert _sample(retrying, "lms_webhook_outbound_pending", stage="retrying") == 3
