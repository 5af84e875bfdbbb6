"""Webhook endpoints registered through the API, and a real receiver on loopback that
verifies every message with the reference ``standardwebhooks`` library."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from lms.core.session import commit
from lms.modules.webhooks.models import WebhookDelivery
from tests.factories.api import Caller, ok


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def message(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verifies_with(self, secret: str) -> bool:
        """True when ``standardwebhooks`` accepts the message signed with ``secret``."""
        try:
            Webhook(secret).verify(self.body, self.headers)
        except Exception:
            return False
        return True


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every POST it gets and answers with the
    statuses queued in ``answers`` (then 200). ``hold`` makes it wait before answering
    until ``release`` (a delivery caught in the middle)."""

    received: list[Received] = field(default_factory=list)
    answers: list[int | tuple[int, dict[str, str]]] = field(default_factory=list)
    hold: threading.Event | None = None
    on_request: Callable[[Received], None] | None = None
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                got = Received({k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver.received.append(got)
                    answer = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.on_request is not None:
                    receiver.on_request(got)
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                reply = b'{"ok": true}' if status < 300 else b"receiver says no " * 200
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def of_type(self, event_type: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.message.get("type") == event_type]

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)


async def register_endpoint(
    client: httpx.AsyncClient, admin: Caller, url: str, **fields: Any
) -> dict[str, Any]:
    """Register an endpoint; the answer carries its ``secret``."""
    return ok(
        await client.post(
            "/webhooks/endpoints", headers=admin.headers, json={"url": url, **fields}
        ),
        201,
    )


async def deliveries(
    client: httpx.AsyncClient, admin: Caller, endpoint_id: str
) -> list[dict[str, Any]]:
    body = ok(
        await client.get(
            f"/webhooks/endpoints/{endpoint_id}/deliveries",
            headers=admin.headers,
            params={"page_size": 100},
        )
    )
    items: list[dict[str, Any]] = body["items"]
    return items


async def failed_delivery(db: AsyncSession, endpoint_id: str) -> uuid.UUID:
    """A delivery to the endpoint that failed for good (written as the worker leaves
    it)."""
    delivery = WebhookDelivery(
        endpoint_id=uuid.UUID(endpoint_id),
        message_id=f"msg_{uuid.uuid4().hex}",
        event_type="webhook.ping.v1",
        payload={"id": "msg_x", "type": "webhook.ping.v1", "timestamp": "", "data": {}},
        status="failed",
        attempts=9,
        error="HTTP 500",
        response_status=500,
    )
    db.add(delivery)
    await commit(db)
    return delivery.id
