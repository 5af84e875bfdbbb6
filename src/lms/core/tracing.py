"""OpenTelemetry spans beyond FastAPI's own request spans, with ``LMS_OPENTELEMETRY=true``:
one span per SQL statement (child of the request or job that runs it) and one per
outbox job delivered; and the trace id in every log line (``observability``).

Spans go to the globally configured tracer provider (``opentelemetry-instrument``, or
the program's own ``trace.set_tracer_provider``); without one they cost next to
nothing. Off (the default), none of this is installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_SPAN_KEY = "lms_span"
tracer = trace.get_tracer("lms")


def trace_statements(engine: AsyncEngine) -> None:
    """A span for every statement ``engine`` runs: its verb as the name, the statement
    (without its parameters) and the database system as attributes."""
    sync_engine = engine.sync_engine
    system = sync_engine.dialect.name

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _start(
        _connection: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if context is None:
            return
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            f"{verb} {system}",
            kind=SpanKind.CLIENT,
            attributes={"db.system": system, "db.statement": statement[:4000]},
        )
        setattr(context, _SPAN_KEY, span)

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _end(
        _connection: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        span = getattr(context, _SPAN_KEY, None)
        if span is not None:
            span.end()
            setattr(context, _SPAN_KEY, None)

    @event.listens_for(sync_engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        context = exception_context.execution_context
        span = getattr(context, _SPAN_KEY, None) if context is not None else None
        if span is not None:
            span.set_status(
                Status(StatusCode.ERROR, type(exception_context.original_exception).__name__)
            )
            span.end()
            setattr(context, _SPAN_KEY, None)


@contextlib.contextmanager
def job_span(task: str, message_id: str, *, enabled: bool) -> Iterator[None]:
    """The span of one outbox job's delivery (nothing when tracing is off)."""
    if not enabled:
        yield
        return
    with tracer.start_as_current_span(
        f"outbox {task}",
        kind=SpanKind.CONSUMER,
        attributes={"lms.outbox.task": task, "lms.outbox.message_id": message_id},
    ):
        yield


def current_trace_ids() -> tuple[str, str] | None:
    """The current trace and span ids (hex), or None outside a recorded span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
