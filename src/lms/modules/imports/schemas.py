"""What an import answers: a dry run's plan, a job's state."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RowError(BaseModel):
    line: int
    email: str | None
    reason: str


class ImportPlan(BaseModel):
    """What a real import of the file would do (nothing was written)."""

    dry_run: bool = True
    total: int
    create: int
    update: int
    leave: int
    refuse: int
    errors: list[RowError]


class ImportJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    course_id: uuid.UUID | None
    state: str
    total: int | None
    processed: int
    created: int
    updated: int
    unchanged: int
    failed: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
