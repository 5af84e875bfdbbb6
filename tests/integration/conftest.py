"""Real services for the integration tests: an SMTP server (aiosmtpd) started here, and
the PostgreSQL, RabbitMQ and Redis of the machine. A missing service skips a test on a
developer's machine and fails it under ``CI=true``."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

BROKER_URL = os.environ.get("LMS_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


def require(service: str, available: bool, why: str = "") -> None:
    """Skip without ``service``; under ``CI=true`` its absence is a failure."""
    if available:
        return
    message = f"{service} is not available{': ' + why if why else ''}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the integration tests must run)")
    pytest.skip(message)


def broker_error(url: str) -> str | None:
    """Why the broker cannot be reached, or None when it can."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class SmtpSink:
    """An SMTP server that keeps every message it is sent."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, count: int, timeout: float) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return list(self.messages)

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()
