from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

OutboxStatus = Literal["pending", "done", "failed"]


class OutboxMessageRead(BaseModel):
    """One outbox message. The payload of a message that carries a one-time code or
    token is never shown (`sensitive`), not even to admins."""

    id: uuid.UUID
    task: str
    status: OutboxStatus
    attempts: int
    available_at: datetime
    last_error: str | None
    created_at: datetime
    completed_at: datetime | None
    sensitive: bool
    payload: dict[str, Any] | None
