"""With LMS_OPENTELEMETRY=true: a span for each request (FastAPI's), each SQL statement
within it, and each outbox job; the trace id in the log lines."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lms.core import jobs
from lms.core.config import Settings
from lms.core.observability import JsonFormatter
from lms.main import create_app
from tests.factories.accounts import Account

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def _provider() -> Iterator[None]:
    """The process's tracer provider, as ``opentelemetry-instrument`` would set it (it can
    be set once per process)."""
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    yield


@pytest.fixture
async def traced(
    _provider: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Any]:
    monkeypatch.setattr(settings, "opentelemetry", True)
    application = create_app(settings, run_jobs=False)
    _EXPORTER.clear()
    yield application
    await application.state.store.close()
    await application.state.engine.dispose()
    logging.getLogger("lms").handlers[0].setFormatter(JsonFormatter())


async def test_requests_statements_and_jobs_are_traced(
    traced: Any, student: Account, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.ASGITransport(app=traced)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        changed = await http.patch(
            "/api/v1/users/me", headers=student.headers, json={"full_name": "Traced Name"}
        )
        assert changed.status_code == 200
        forgot = await http.post("/api/v1/auth/forgot-password", json={"email": student.email})
        assert forgot.status_code == 202

    spans = _EXPORTER.get_finished_spans()
    statements = [s for s in spans if s.attributes and "db.statement" in s.attributes]
    assert any("UPDATE" in str(s.attributes["db.statement"]) for s in statements)
    request_traces = {s.context.trace_id for s in spans if s.kind == trace.SpanKind.SERVER}
    assert request_traces, [s.name for s in spans]
    # the request's statements belong to the request's trace
    assert {s.context.trace_id for s in statements} & request_traces

    _EXPORTER.clear()
    delivered = await jobs.drain(traced.state.sessionmaker, settings)
    assert delivered >= 1
    job_spans = [s for s in _EXPORTER.get_finished_spans() if s.name.startswith("outbox ")]
    assert job_spans and job_spans[0].attributes["lms.outbox.task"]
    job_trace = job_spans[0].context.trace_id
    assert any(
        s.context.trace_id == job_trace and "db.statement" in (s.attributes or {})
        for s in _EXPORTER.get_finished_spans()
    )

    # every log line written inside a span carries its trace id
    formatter = logging.getLogger("lms").handlers[0].formatter
    assert isinstance(formatter, JsonFormatter)
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        record = logging.makeLogRecord({"name": "lms.test", "msg": "inside", "levelname": "INFO"})
        line = json.loads(formatter.format(record))
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
