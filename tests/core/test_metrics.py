"""Prometheus metrics at /metrics: what operators see, and who may see it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from lms.main import create_app
from tests.factories.accounts import Account
from tests.factories.courses import published_course


@pytest.fixture
async def metered(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """The application with metrics on (loopback may scrape)."""
    monkeypatch.setattr(settings, "metrics_enabled", True)
    application = create_app(settings, run_jobs=False)
    yield application
    await application.state.store.close()
    await application.state.engine.dispose()


def _client(application: Any, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_requests_are_counted_by_route_template_with_latency(
    metered: Any, instructor: Account
) -> None:
    async with _client(metered) as http:
        course, _ = await published_course(http_api(http), instructor, lessons=1)
        before = (await http.get("/metrics")).text
        for _ in range(3):
            assert (await http.get(f"/api/v1/courses/{course['id']}")).status_code == 200
        assert (await http.get("/api/v1/courses/not-a-uuid")).status_code == 422
        scraped = await http.get("/metrics")

    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    route = "/courses/{course_id}"  # the template under the API prefix
    counted = _sample(
        text, "lms_http_requests_total", route=route, method="GET", status="200"
    ) - _sample(before, "lms_http_requests_total", route=route, method="GET", status="200")
    assert counted == 3
    assert _sample(text, "lms_http_requests_total", route=route, status="422") >= 1
    assert _sample(text, "lms_http_request_duration_seconds_count", route=route) >= 4
    assert 'lms_db_pool_connections{state="in_use"}' in text
    assert 'lms_db_pool_connections{state="waiting"}' in text
    # the anonymous course reads: the first a miss of the public cache, then hits
    assert _sample(text, "lms_cache_requests_total", cache="http", result="hit") >= 2
    assert re.search(r"^lms_outbox_pending_messages \d", text, re.M)
    assert re.search(r"^lms_outbox_oldest_pending_age_seconds ", text, re.M)
    assert re.search(r"^lms_outbox_failed_messages \d", text, re.M)


async def test_metrics_are_refused_outside_the_allowed_networks(
    metered: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _client(metered, "203.0.113.9") as http:
        refused = await http.get("/metrics")
    assert refused.status_code == 404
    assert "lms_http_requests_total" not in refused.text
    monkeypatch.setattr(settings, "metrics_allowed_networks", ["203.0.113.0/24"])
    async with _client(metered, "203.0.113.9") as http:
        assert (await http.get("/metrics")).status_code == 200


def http_api(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """The same transport under the API prefix, for the factories."""
    return httpx.AsyncClient(transport=http._transport, base_url="http://testserver/api/v1")
