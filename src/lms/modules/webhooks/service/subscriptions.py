"""Publishing an event to the endpoints that want it, at no cost when none does.

Each process keeps which event types some enabled endpoint subscribes to (per
database), read again at most every ``LMS_WEBHOOK_SUBSCRIPTIONS_REFRESH_SECONDS`` and
at once when an endpoint changes in this process. An event nobody wants costs nothing;
the events some endpoint wants cost one insert per transaction however many they are
(one outbox row carrying their messages, ``jobs.enqueue_together``), written as the
change commits; the worker fans them out to the endpoints after the commit."""

from __future__ import annotations

import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import get_settings
from lms.core.db import utcnow
from lms.core.events import Event
from lms.core.session import run_after_commit
from lms.modules.webhooks import repository

SEND_TASK = "webhooks.send"
EVERY_TYPE = "*"


@dataclass
class _Known:
    types: frozenset[str]
    read_at: float


_known: weakref.WeakKeyDictionary[Engine, _Known] = weakref.WeakKeyDictionary()


def _engine(session: AsyncSession) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


async def subscribed_types(session: AsyncSession) -> frozenset[str]:
    """The event types some enabled endpoint wants (``*``: every type)."""
    engine = _engine(session)
    known = _known.get(engine)
    now = time.monotonic()
    refresh = get_settings().webhook_subscriptions_refresh_seconds
    if known is None or now - known.read_at > refresh:
        types: set[str] = set()
        for filter_ in await repository.enabled_filters(session):
            types.update(filter_ or [EVERY_TYPE])
        known = _Known(frozenset(types), now)
        _known[engine] = known
    return known.types


def forget_subscriptions(session: AsyncSession | None = None) -> None:
    """Read the subscriptions again at the next event (an endpoint changed), now and
    after the change commits. Without a session: every database's (tests)."""
    if session is None:
        _known.clear()
        return
    engine = _engine(session)
    _known.pop(engine, None)

    async def forget_again() -> None:
        _known.pop(engine, None)

    run_after_commit(session, forget_again)


def message_of(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The body every endpoint receives: ``{id, type, timestamp, data}``."""
    return {
        "id": f"msg_{uuid.uuid4().hex}",
        "type": event_type,
        "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        "data": data,
    }


async def record_event(session: AsyncSession, event: Event) -> None:
    """Subscriber of every event of the catalogue (``lms/wiring.py``): when an enabled
    endpoint wants it, its message joins this transaction's outbox row of messages."""
    types = await subscribed_types(session)
    if not types or (event.name not in types and EVERY_TYPE not in types):
        return
    jobs.enqueue_together(session, SEND_TASK, {"message": message_of(event.name, event.payload())})
