"""Outbox messages, written directly in the state a worker leaves them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.session import commit
from lms.modules.emails.service import SEND_EMAIL_TASK


async def failed_email(db: AsyncSession, to: str, *, sensitive: bool = False) -> uuid.UUID:
    """An email to ``to`` that failed for good after its last attempt: a welcome, or a
    sign-in code (a payload erased once delivered) when ``sensitive``."""
    template = "mfa_code" if sensitive else "welcome"
    context: dict[str, Any] = {"full_name": "Fay"}
    if sensitive:
        context |= {"code": "123456", "minutes": 10}
    payload: dict[str, Any] = {"to": to, "template": template, "context": context}
    message = await jobs.enqueue(db, SEND_EMAIL_TASK, payload, sensitive=sensitive)
    message.status, message.attempts = "failed", 8
    message.last_error = "SMTPConnectError: refused"
    await commit(db)
    return message.id
