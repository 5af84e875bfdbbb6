"""Request and response models of the enrollments API, and ``EnrollmentSummary``, the
read model other modules receive."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    computed_field,
    model_validator,
)

from lms.core.schemas import CleanText, Metadata, StrictModel

EnrollmentStatus = Literal["active", "completed", "dropped", "expired"]
ProgressStatus = Literal["not_started", "in_progress", "completed"]
# Statuses that give access to a course's material.
ACCESS_STATUSES = ("active", "completed")

# One progress update may add at most a day of learning: a client bug or a forged
# request cannot inflate the totals by years.
MAX_TIME_DELTA_SECONDS = 86_400
MAX_POSITION_SECONDS = 10_000_000

Percentage = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class EnrollmentCreate(StrictModel):
    course_id: uuid.UUID


class EnrollmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    student_id: uuid.UUID
    course_id: uuid.UUID
    course_title: str | None = None
    course_slug: str | None = None
    cohort_id: uuid.UUID | None = None
    status: EnrollmentStatus
    enrolled_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    progress_percentage: Percentage
    completed_lessons_count: int
    total_lessons_count: int
    total_time_spent_seconds: int
    last_accessed_at: datetime | None
    certificate_issued_at: datetime | None
    rating: int | None
    review: str | None
    reviewed_at: datetime | None


class LessonProgressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enrollment_id: uuid.UUID
    lesson_id: uuid.UUID
    lesson_title: str | None = None
    lesson_order_index: int | None = None
    status: ProgressStatus
    started_at: datetime | None
    completed_at: datetime | None
    time_spent_seconds: int
    last_position_seconds: int
    completion_percentage: Percentage
    attempts_count: int
    progress_metadata: dict[str, Any] | None
    updated_at: datetime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def completed(self) -> bool:
        """Seed 000's completion flag."""
        return self.status == "completed"


class LessonProgressWithLock(LessonProgressRead):
    """A lesson's progress in the enrollment's detail, with whether drip release keeps
    the lesson locked for the enrollment's student (its reason, when it opens by date,
    the lessons to complete first)."""

    locked: bool = False
    unlocks_at: datetime | None = None
    lock_reason: Literal["not_yet_available", "prerequisites", "in_order"] | None = None
    blocking_lesson_ids: list[uuid.UUID] = []


class EnrollmentDetail(EnrollmentRead):
    lesson_progress: list[LessonProgressWithLock]


class CourseEnrollmentRead(EnrollmentRead):
    student_name: str | None = None
    student_email: str | None = None


class ProgressUpdate(StrictModel):
    """``time_spent_seconds`` is added to the totals; ``last_position_seconds`` replaces
    the stored position; ``completion_percentage`` never goes down (re-watching the
    start of a video does not undo progress)."""

    time_spent_seconds: int = Field(
        default=0,
        ge=0,
        le=MAX_TIME_DELTA_SECONDS,
        description="Seconds spent since the previous update (added).",
    )
    last_position_seconds: int | None = Field(default=None, ge=0, le=MAX_POSITION_SECONDS)
    completion_percentage: Decimal | None = Field(
        default=None, ge=0, le=100, max_digits=5, decimal_places=2
    )
    progress_metadata: Metadata | None = None


class ReviewCreate(StrictModel):
    rating: int = Field(ge=1, le=5)
    review: CleanText | None = Field(default=None, max_length=5_000)


class StatusCounts(BaseModel):
    active: int = 0
    completed: int = 0
    dropped: int = 0
    expired: int = 0


class CourseEnrollmentStats(BaseModel):
    course_id: uuid.UUID
    total_enrollments: int
    by_status: StatusCounts
    active_students: int
    completed_enrollments: int
    completion_rate: float = Field(description="Completed enrollments, % of all")
    average_progress: float
    average_rating: float | None
    ratings_count: int
    total_time_spent_seconds: int
    average_time_spent_seconds: float


@dataclass(frozen=True, slots=True)
class EnrollmentSummary:
    """An enrollment as other modules see it."""

    id: uuid.UUID
    student_id: uuid.UUID
    course_id: uuid.UUID
    status: str
    enrolled_at: datetime
    completed_at: datetime | None
    certificate_issued_at: datetime | None
    cohort_id: uuid.UUID | None = None

    @property
    def gives_access(self) -> bool:
        """Does the enrollment open the course's material (and its quizzes and
        assignments) to its student? Active and completed ones do."""
        return self.status in ACCESS_STATUSES


@dataclass(frozen=True, slots=True)
class RosterPlace:
    """A student's enrollment in a course as a roster import reads it."""

    cohort_id: uuid.UUID | None
    status: str


@dataclass(frozen=True, slots=True)
class RosterStudent:
    """A student a bulk import enrolls: who, and into which cohort of the course."""

    id: uuid.UUID
    email: str
    full_name: str
    cohort_id: uuid.UUID | None


class StaffEnrollmentCreate(StrictModel):
    """Enroll someone (the course's owner, co-instructors, admins): by ``user_id`` or
    ``email``. An email without an account creates an invited account (``full_name``
    names it; the address's local part otherwise) and emails it a link to choose a
    password."""

    user_id: uuid.UUID | None = None
    email: EmailStr | None = None
    full_name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    cohort_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_person(self) -> StaffEnrollmentCreate:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give either user_id or email")
        return self


class EnrollmentChange(StrictModel):
    """Move the student to another cohort of the course (``null``: no cohort). Progress
    stays as it is."""

    cohort_id: uuid.UUID | None
