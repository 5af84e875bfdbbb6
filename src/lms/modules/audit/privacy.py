"""The audit log's personal data: the entries where the person is the actor, the
account acted as, or the target.

Export lists those entries. Erasure forgets the client addresses of the entries the
person made or was acted as in; the entries themselves stay, because the school must
still answer who changed what (they hold ids, never names or emails)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import PersonalDataHandler, document_schema, rows_schema
from lms.modules.audit import service
from lms.modules.audit.models import AuditEntry


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {"entries": await service.export_personal_data(session, account_id)}


PERSONAL_DATA = PersonalDataHandler(
    module="audit",
    tables=("audit_entries",),
    export=export_personal_data,
    erase=service.erase_personal_data,
    schema=document_schema(
        "audit",
        "What staff, admins and the system did to your account or in your name, and what "
        "you did as staff.",
        {"entries": rows_schema(AuditEntry)},
    ),
    kept="The entries (ids, actions, changes) stay: the school must answer for what was "
    "done. Their client addresses are forgotten.",
)
