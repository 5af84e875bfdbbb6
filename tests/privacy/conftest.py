"""Privacy fixtures: the app wired to fake payment providers, a webhook receiver on
loopback, and a person with data in every module (``person.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from lms.core.config import Settings
from lms.modules.webhooks import outbound
from tests.factories.webhooks import Receiver
from tests.payments.conftest import PaymentsWorld


@pytest.fixture(scope="session", autouse=True)
async def _close_http_sessions() -> AsyncIterator[None]:
    yield
    await outbound.close_sessions()


@pytest.fixture
async def payments(app: Any, settings: Settings) -> AsyncIterator[PaymentsWorld]:
    """Every provider configured and answered by the fakes."""
    configured = PaymentsWorld(app, settings)
    yield configured
    configured.close()


@pytest.fixture
def receiver(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A webhook receiver on loopback (private networks allowed for it)."""
    monkeypatch.setattr(settings, "webhook_allow_private_networks", True)
    monkeypatch.setattr(settings, "webhook_timeout_seconds", 5.0)
    server = Receiver().start()
    yield server
    server.stop()
