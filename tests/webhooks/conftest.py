"""A receiver on loopback for every webhook test, reachable because these tests allow
private networks (the SSRF tests refuse them again), and retries a few milliseconds
apart."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest

from lms.core import jobs
from lms.core.config import Settings
from lms.modules.webhooks import outbound
from tests.factories.webhooks import Receiver


@pytest.fixture(scope="session", autouse=True)
async def _close_http_sessions() -> AsyncIterator[None]:
    yield
    await outbound.close_sessions()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _webhook_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhook_allow_private_networks", True)
    monkeypatch.setattr(settings, "webhook_retry_delays_seconds", [0.05, 0.1, 0.1])
    monkeypatch.setattr(settings, "webhook_timeout_seconds", 5.0)


@pytest.fixture
def deliver_all(app: Any, settings: Settings) -> Callable[..., Any]:
    """Run the outbox until nothing is due any more, waiting out short retry delays
    (what the worker does)."""

    async def run(*, rounds: int = 40) -> None:
        idle = 0
        for _ in range(rounds):
            delivered = await jobs.drain(app.state.sessionmaker, settings)
            if delivered:
                idle = 0
                continue
            idle += 1
            if idle >= 6:
                return
            await anyio.sleep(0.05)

    return run
