from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DeliveryStatus = Literal["pending", "succeeded", "failed"]


class EventTypeRead(BaseModel):
    """One event type of the catalogue, with the JSON Schema of its message body."""

    name: str
    description: str
    json_schema: dict[str, Any] = Field(serialization_alias="schema")


class EventTypeList(BaseModel):
    items: list[EventTypeRead]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Event types to receive (`enrollment.created.v1`); empty: every type.",
    )
    enabled: bool = True


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] | None = Field(default=None, max_length=100)
    enabled: bool | None = None


class EndpointRead(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    secret_rotation_ends_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointRead):
    """An endpoint as created (or its secret rotated): the only time the signing
    secret is shown."""

    secret: str


class DeliveryRead(BaseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    message_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    response_status: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    created_at: datetime


class PingRead(BaseModel):
    message_id: str
