"""What the admin module tells other modules, published in the transaction of the
change (see ``lms.core.events``; the modules that react are listed in
``lms/wiring.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from lms.core.events import Event


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxMessageRetried(Event):
    """An admin queued a message that had failed for good again."""

    name: ClassVar[str] = "outbox.message_retried.v1"
    message_id: uuid.UUID
    task: str
    attempts_before: int
