"""Requests and answers of the audit log and of "act as"."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lms.core.schemas import StrictModel

AuditContext = Literal["user", "act_as", "system"]


class AuditEntryRead(BaseModel):
    """One audited action. ``actor_id`` is who did it (with an "act as" token, the
    admin); ``acting_for_id`` the account the admin acted as; both None for the system."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    actor_id: uuid.UUID | None
    acting_for_id: uuid.UUID | None
    context: AuditContext
    client_address: str | None
    request_id: str | None
    action: str
    target_type: str
    target_id: uuid.UUID | None
    course_id: uuid.UUID | None
    change: dict[str, Any] | None


class AuditFilters(BaseModel):
    actor_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: uuid.UUID | None = None
    action: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    course_id: uuid.UUID | None = None


class ActAsRequest(StrictModel):
    reason: str = Field(
        min_length=5,
        max_length=500,
        description="Why support acts as this account (a ticket number, say); kept in "
        "the audit log. Do not write personal data here.",
    )

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        stripped = value.strip()
        if len(stripped) < 5:
            raise ValueError("give a reason of at least 5 characters")
        return stripped


class ActAsToken(BaseModel):
    """A short-lived access token for the account, carrying ``act: {"sub": admin}``
    (RFC 8693). There is no refresh token: when it expires, start again."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the token type, not a secret)
    expires_at: datetime
    expires_in: int
    user_id: uuid.UUID
    admin_id: uuid.UUID
