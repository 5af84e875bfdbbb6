"""The emails addressed to the person (outbox rows of the emails module, pending or
sent). The emails module knows addresses, not accounts (it sits beside the users module
and uses neither), so the privacy module answers for them, reading the outbox task the
emails module publishes.

Export lists them (template, status, dates; not their bodies, which held one-time codes
and links). Erasure deletes them: once the person is gone nobody needs to know what was
sent to them, and a pending one must not reach an address that may belong to someone
else next."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.jobs import OutboxMessage
from lms.core.privacy import PersonalDataHandler, document_schema, json_value
from lms.modules import emails, users


def _addressed_to(email: str) -> Any:
    return (OutboxMessage.task == emails.SEND_EMAIL_TASK) & (
        func.lower(OutboxMessage.payload["to"].as_string()) == email.lower()
    )


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    person = await users.get_user_summary(session, account_id)
    if person is None:
        return {"emails": []}
    rows = await session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.payload["template"].as_string(),
            OutboxMessage.status,
            OutboxMessage.created_at,
            OutboxMessage.completed_at,
        )
        .where(_addressed_to(person.email))
        .order_by(OutboxMessage.created_at)
    )
    return {
        "emails": [
            {
                "id": json_value(message_id),
                "template": template,
                "status": status,
                "created_at": json_value(created_at),
                "sent_at": json_value(completed_at),
            }
            for message_id, template, status, created_at, completed_at in rows
        ]
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    person = await users.get_user_summary(session, account_id)
    if person is None or person.erased:
        return
    await session.execute(
        delete(OutboxMessage)
        .where(_addressed_to(person.email))
        .execution_options(synchronize_session=False)
    )


_NULLABLE_TIME = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}

PERSONAL_DATA = PersonalDataHandler(
    module="emails",
    tables=(),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "emails",
        "The emails sent (or waiting to be sent) to you: which template, when, status.",
        {
            "emails": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "template": {"type": ["string", "null"]},
                        "status": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "sent_at": _NULLABLE_TIME,
                    },
                    "required": ["id", "template", "status", "created_at", "sent_at"],
                    "additionalProperties": False,
                },
            }
        },
    ),
)
