"""The course team and cohorts: request and response models, and the read models of a
cohort and of a caller's access to a course."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from lms.core.schemas import CleanText
from lms.modules.courses.schemas.base import StrictModel

StaffRole = Literal["co_instructor", "assistant"]
CourseRole = Literal["owner", "co_instructor", "assistant"]


class StaffCreate(StrictModel):
    """Add a member to the course's team: by ``user_id`` or ``email`` (an existing
    active account). ``cohort_ids`` (assistants only) limits an assistant to those
    cohorts; without it the assistant works on the whole course."""

    user_id: uuid.UUID | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    role: StaffRole
    cohort_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _one_person(self) -> StaffCreate:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give either user_id or email")
        return self


class StaffUpdate(StrictModel):
    role: StaffRole | None = None
    cohort_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)

    @field_validator("role")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class StaffRead(BaseModel):
    user_id: uuid.UUID
    email: str
    full_name: str
    role: CourseRole
    cohort_ids: list[uuid.UUID]
    created_at: datetime | None


class OwnershipTransfer(StrictModel):
    """Hand the course to one of its co-instructors; the former owner stays on the team
    as a co-instructor."""

    user_id: uuid.UUID


CohortName = Annotated[CleanText, Field(min_length=1, max_length=255)]


class CohortCreate(StrictModel):
    name: CohortName
    starts_on: date | None = None
    ends_on: date | None = None
    capacity: Annotated[int, Field(ge=0, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _dates_ordered(self) -> CohortCreate:
        if self.starts_on and self.ends_on and self.starts_on > self.ends_on:
            raise ValueError("starts_on must not be after ends_on")
        return self


class CohortUpdate(StrictModel):
    """Every field optional (PATCH); ``null`` clears a date or the capacity."""

    name: CohortName | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    capacity: Annotated[int, Field(ge=0, le=1_000_000)] | None = None

    @field_validator("name")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class CohortRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    course_id: uuid.UUID
    name: str
    starts_on: date | None
    ends_on: date | None
    capacity: int | None
    member_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CohortSummary:
    """A cohort as other modules see it."""

    id: uuid.UUID
    course_id: uuid.UUID
    name: str
    capacity: int | None
    starts_on: date | None = None
    ends_on: date | None = None
