"""Request and response shapes of schedules, overrides and calendars, and the read
models other modules get (``ItemRef``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from lms.core.schemas import StrictModel

ItemType = Literal["quiz", "assignment"]
LatePolicy = Literal["accept", "penalty", "refuse"]
_CENT = Decimal("0.01")
# Percentages to the hundredth, as stored (a read after a write shows the same value).
Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    AfterValidator(lambda v: v.quantize(_CENT)),
]
PenaltyRate = Annotated[
    Decimal,
    Field(gt=0, le=100, max_digits=5, decimal_places=2),
    AfterValidator(lambda v: v.quantize(_CENT)),
]


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A quiz or an assignment lesson, as the module that owns it names it."""

    item_type: ItemType
    item_id: uuid.UUID
    course_id: uuid.UUID
    title: str


def _check_order(
    available_from: datetime | None, due_at: datetime | None, available_until: datetime | None
) -> None:
    if available_from and due_at and available_from > due_at:
        raise ValueError("available_from must not be after due_at")
    if due_at and available_until and due_at > available_until:
        raise ValueError("due_at must not be after available_until")
    if available_from and available_until and available_from >= available_until:
        raise ValueError("available_from must be before available_until")


class ScheduleIn(StrictModel):
    """An item's dates (each optional) and late policy. ``penalty`` needs
    ``penalty_percent_per_day``; ``penalty_floor_percent`` is the share of the score a
    late penalty never takes away (the penalty stops at ``100 - floor`` percent)."""

    available_from: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    available_until: AwareDatetime | None = None
    late_policy: LatePolicy = "accept"
    penalty_percent_per_day: PenaltyRate | None = None
    penalty_floor_percent: Percent = Decimal("0.00")

    @model_validator(mode="after")
    def _consistent(self) -> ScheduleIn:
        _check_order(self.available_from, self.due_at, self.available_until)
        if self.late_policy == "penalty" and self.penalty_percent_per_day is None:
            raise ValueError("the penalty policy needs penalty_percent_per_day")
        if self.late_policy != "penalty" and self.penalty_percent_per_day is not None:
            raise ValueError("penalty_percent_per_day applies only to the penalty policy")
        return self


class ScheduleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_type: ItemType
    item_id: uuid.UUID
    course_id: uuid.UUID
    available_from: datetime | None
    due_at: datetime | None
    available_until: datetime | None
    late_policy: LatePolicy
    penalty_percent_per_day: Decimal | None
    penalty_floor_percent: Decimal
    updated_at: datetime


class OverrideIn(StrictModel):
    """Other dates, attempts or time limit for one student (``student_id``) or one
    cohort (``cohort_id``) of the course: exactly one of the two. A field left out
    keeps what the less specific level says."""

    student_id: uuid.UUID | None = None
    cohort_id: uuid.UUID | None = None
    available_from: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    available_until: AwareDatetime | None = None
    max_attempts: Annotated[int, Field(ge=1, le=1000)] | None = None
    time_limit_minutes: Annotated[int, Field(ge=1, le=10_080)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> OverrideIn:
        if (self.student_id is None) == (self.cohort_id is None):
            raise ValueError("give exactly one of student_id and cohort_id")
        _check_order(self.available_from, self.due_at, self.available_until)
        if not any(
            value is not None
            for value in (
                self.available_from,
                self.due_at,
                self.available_until,
                self.max_attempts,
                self.time_limit_minutes,
            )
        ):
            raise ValueError("an override changes at least one field")
        return self


class OverrideRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    student_id: uuid.UUID | None
    cohort_id: uuid.UUID | None
    available_from: datetime | None
    due_at: datetime | None
    available_until: datetime | None
    max_attempts: int | None
    time_limit_minutes: int | None
    created_at: datetime


EntryType = Literal[
    "available_from", "due", "available_until", "cohort_start", "cohort_end", "lesson_unlock"
]


class CalendarEntry(BaseModel):
    """One dated thing in a person's calendar. ``uid`` stays the same for the same thing
    (the iCalendar feed's ``UID``)."""

    uid: str
    type: EntryType
    title: str
    course_id: uuid.UUID
    course_title: str
    item_type: str | None = None
    item_id: uuid.UUID | None = None
    starts_at: datetime
    ends_at: datetime | None = None
    all_day: bool = False


class CalendarRead(BaseModel):
    """The entries between ``from`` and ``to`` (UTC), for a person who reads dates in
    ``time_zone``."""

    model_config = ConfigDict(populate_by_name=True)

    time_zone: str
    from_: datetime = Field(alias="from")
    to: datetime
    entries: list[CalendarEntry]


class CalendarFeedRead(BaseModel):
    """The secret address of the caller's iCalendar feed (anyone holding it reads the
    feed: rotate it if it leaks)."""

    url: str
    created_at: datetime
