from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lms.core.schemas import StrictModel


class DataExportRead(BaseModel):
    """A data export job: ``queued`` → ``running`` → ``ready`` (downloadable until
    ``expires_at``) → ``expired``."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    state: Literal["queued", "running", "ready", "expired"]
    size: int | None = None
    created_at: datetime
    finished_at: datetime | None = None
    expires_at: datetime | None = None
    download_url: str | None = Field(
        default=None, description="Where the account downloads the ZIP (while ready)."
    )


class ErasureConfirm(StrictModel):
    """Proof that it is you: the password, or a current code of your second factor
    (authenticator or recovery code) when MFA is on."""

    password: str | None = Field(default=None, min_length=1, max_length=72)
    code: str | None = Field(default=None, min_length=1, max_length=64)


class AdminErasure(StrictModel):
    reason: str = Field(min_length=1, max_length=1000)
    immediate: bool = Field(
        default=False, description="Erase now instead of after the cool-off period."
    )


class ErasureRead(BaseModel):
    """The account's erasure: ``none`` (never asked), ``scheduled`` (carried out at
    ``due_at`` unless cancelled), ``cancelled`` or ``completed``."""

    model_config = ConfigDict(from_attributes=True)

    state: Literal["none", "scheduled", "cancelled", "completed"]
    id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    requested_at: datetime | None = None
    due_at: datetime | None = None
    cancelled_at: datetime | None = None
    completed_at: datetime | None = None
    reason: str | None = None


class ExportSchemaRead(BaseModel):
    module: str
    file: str
    tables: list[str]
    json_schema: dict[str, Any] = Field(serialization_alias="schema")


class ExportSchemaList(BaseModel):
    items: list[ExportSchemaRead]
