"""Request and response models of the courses API (the team's and cohorts' in
``team``), and the read models other modules receive (``CourseSummary``,
``LessonSummary``, ``CourseLabel``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from lms.core.schemas import CleanText, Metadata
from lms.modules.courses.schemas.base import StrictModel as StrictModel
from lms.modules.courses.schemas.team import CourseRole

DifficultyLevel = Literal["beginner", "intermediate", "advanced"]
LessonType = Literal["video", "text", "document", "quiz", "assignment"]


def _http_url(value: str) -> str:
    AnyHttpUrl(value)  # raises on anything but an absolute http(s) URL
    return value


Title = Annotated[CleanText, Field(min_length=1, max_length=255)]
HttpUrl = Annotated[CleanText, Field(max_length=500), AfterValidator(_http_url)]
Currency = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EGP, USD"),
]
Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=10, decimal_places=2, description="0 means free"),
    AfterValidator(lambda v: v.quantize(Decimal("0.01"))),
]
Minutes = Annotated[int, Field(ge=0, le=1_000_000)]
OrderIndex = Annotated[int, Field(ge=0, le=1_000_000)]
UnlockAnchor = Literal["enrollment", "cohort_start"]
LockReason = Literal["not_yet_available", "prerequisites", "in_order"]
UnlockAt = Annotated[
    AwareDatetime,
    AfterValidator(lambda v: v.astimezone(UTC)),
    Field(description="The lesson opens at this instant (with a UTC offset; kept in UTC)."),
]
UnlockAfterDays = Annotated[
    int,
    Field(
        ge=0,
        le=3650,
        description="The lesson opens this many days (of 24 hours, counted in UTC) after "
        "the student's enrollment or cohort start (`unlock_relative_to`).",
    ),
]
PrerequisiteIds = Annotated[
    list[uuid.UUID],
    Field(
        max_length=100,
        description="Lessons of the same course to complete before this one opens.",
    ),
]


def _distinct_ids(value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("a lesson is listed twice")
    return value


def _one_date_rule(model: Any) -> Any:
    if model.unlock_at is not None and model.unlock_after_days is not None:
        raise ValueError("give unlock_at or unlock_after_days, not both")
    return model


# Courses


class CourseCreate(StrictModel):
    title: Title
    description: CleanText | None = Field(default=None, max_length=20_000)
    category: CleanText | None = Field(default=None, max_length=100)
    difficulty_level: DifficultyLevel | None = None
    thumbnail_url: HttpUrl | None = None
    estimated_duration_minutes: Minutes | None = None
    price: Price = Decimal("0.00")
    currency: Currency = "EGP"
    course_metadata: Metadata | None = Field(
        default=None, validation_alias=AliasChoices("course_metadata", "metadata")
    )
    instructor_id: uuid.UUID | None = Field(
        default=None, description="Admins only: create the course for this instructor."
    )
    lessons_in_order: bool = Field(
        default=False,
        description="Drip release: each lesson opens once the one before it is completed.",
    )


class CourseUpdate(StrictModel):
    """Every field optional (PATCH). The slug stays when the title changes, unless
    ``regenerate_slug`` is true. ``is_published`` publishes (needs a lesson) or
    unpublishes."""

    title: Title | None = None
    description: CleanText | None = Field(default=None, max_length=20_000)
    category: CleanText | None = Field(default=None, max_length=100)
    difficulty_level: DifficultyLevel | None = None
    thumbnail_url: HttpUrl | None = None
    estimated_duration_minutes: Minutes | None = None
    price: Price | None = None
    currency: Currency | None = None
    course_metadata: Metadata | None = Field(
        default=None, validation_alias=AliasChoices("course_metadata", "metadata")
    )
    is_published: bool | None = None
    lessons_in_order: bool | None = Field(
        default=None,
        description="Drip release: each lesson opens once the one before it is completed.",
    )
    regenerate_slug: bool = False

    @field_validator("title", "price", "currency", "is_published", "lessons_in_order")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class CourseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    slug: str
    description: str | None
    instructor_id: uuid.UUID
    instructor_name: str | None = None
    category: str | None
    difficulty_level: str | None
    is_published: bool
    published_at: datetime | None
    thumbnail_url: str | None
    estimated_duration_minutes: int | None
    price: Decimal
    currency: str
    course_metadata: dict[str, Any] | None
    lessons_in_order: bool = False
    lessons_count: int = 0
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def metadata(self) -> dict[str, Any] | None:
        """Seed 000's name for ``course_metadata``."""
        return self.course_metadata

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_free(self) -> bool:
        return self.price == 0


class CourseFilters(BaseModel):
    category: str | None = None
    difficulty_level: DifficultyLevel | None = None
    search: str | None = None
    instructor_id: uuid.UUID | None = None
    is_published: bool | None = None
    mine: bool = False

    @property
    def is_public(self) -> bool:
        """The same answer for every caller (the published catalogue), so cacheable."""
        return not self.mine and self.is_published is not False


# Lessons


def _lesson_synonyms(data: Any) -> Any:
    """Seed 000 names the type ``content_type`` and the position ``order``."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    for synonym, name in (("content_type", "lesson_type"), ("order", "order_index")):
        if synonym in data:
            value = data.pop(synonym)
            if name in data and data[name] != value:
                raise ValueError(f"{synonym} and {name} disagree; send one of them")
            data[name] = value
    if "metadata" in data:
        value = data.pop("metadata")
        data.setdefault("lesson_metadata", value)
    return data


class LessonCreate(StrictModel):
    title: Title
    lesson_type: LessonType = Field(description="Also accepted as `content_type`.")
    description: CleanText | None = Field(default=None, max_length=20_000)
    content: CleanText | None = Field(default=None, max_length=1_000_000)
    video_url: HttpUrl | None = None
    duration_minutes: Minutes | None = None
    order_index: OrderIndex | None = Field(
        default=None, description="Position in the course (also `order`); default: last."
    )
    is_preview: bool = False
    parent_lesson_id: uuid.UUID | None = None
    lesson_metadata: Metadata | None = None
    unlock_at: UnlockAt | None = None
    unlock_after_days: UnlockAfterDays | None = None
    unlock_relative_to: UnlockAnchor = "enrollment"
    prerequisite_ids: PrerequisiteIds = []

    _synonyms = model_validator(mode="before")(_lesson_synonyms)
    _distinct = field_validator("prerequisite_ids")(_distinct_ids)
    _one_date_rule = model_validator(mode="after")(_one_date_rule)


class LessonUpdate(StrictModel):
    title: Title | None = None
    lesson_type: LessonType | None = None
    description: CleanText | None = Field(default=None, max_length=20_000)
    content: CleanText | None = Field(default=None, max_length=1_000_000)
    video_url: HttpUrl | None = None
    duration_minutes: Minutes | None = None
    order_index: OrderIndex | None = None
    is_preview: bool | None = None
    parent_lesson_id: uuid.UUID | None = None
    lesson_metadata: Metadata | None = None
    unlock_at: UnlockAt | None = None
    unlock_after_days: UnlockAfterDays | None = None
    unlock_relative_to: UnlockAnchor | None = None
    prerequisite_ids: PrerequisiteIds | None = None
    regenerate_slug: bool = False

    _synonyms = model_validator(mode="before")(_lesson_synonyms)
    _distinct = field_validator("prerequisite_ids")(_distinct_ids)
    _one_date_rule = model_validator(mode="after")(_one_date_rule)

    @field_validator(
        "title",
        "lesson_type",
        "order_index",
        "is_preview",
        "unlock_relative_to",
        "prerequisite_ids",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class LessonRead(BaseModel):
    """A lesson. ``content`` and ``video_url`` are null and ``content_locked`` is true when
    the caller may see the outline but not the material (not enrolled, not a preview)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    course_id: uuid.UUID
    title: str
    slug: str
    description: str | None
    lesson_type: LessonType
    content: str | None
    video_url: str | None
    duration_minutes: int | None
    order_index: int
    parent_lesson_id: uuid.UUID | None
    is_preview: bool
    lesson_metadata: dict[str, Any] | None
    content_locked: bool = False
    # Drip release: the rules (everyone sees them) ...
    unlock_at: datetime | None = None
    unlock_after_days: int | None = None
    unlock_relative_to: UnlockAnchor = "enrollment"
    prerequisite_ids: list[uuid.UUID] = []
    # ... and, for an enrolled student, whether they hold it closed now.
    locked: bool = Field(
        default=False, description="Closed for you now (students only; staff never)."
    )
    unlocks_at: datetime | None = Field(
        default=None, description="When the date rule opens it for you (UTC), if later."
    )
    lock_reason: LockReason | None = None
    blocking_lesson_ids: list[uuid.UUID] = Field(
        default=[], description="The lessons to complete before it opens."
    )
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def content_type(self) -> str:
        """Seed 000's name for ``lesson_type``."""
        return self.lesson_type

    @computed_field  # type: ignore[prop-decorator]
    @property
    def order(self) -> int:
        """Seed 000's name for ``order_index``."""
        return self.order_index


class LessonReorder(StrictModel):
    course_id: uuid.UUID
    lesson_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=2000,
        description="Every lesson of the course, once, in the new order.",
    )

    @field_validator("lesson_ids")
    @classmethod
    def _distinct(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("a lesson is listed twice")
        return value


# Read models: what other modules see of a course and a lesson (plain values, no
# session behind them).


@dataclass(frozen=True, slots=True)
class CourseSummary:
    """A course as other modules see it."""

    id: uuid.UUID
    title: str
    slug: str
    instructor_id: uuid.UUID
    is_published: bool
    price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class LessonSummary:
    """A lesson as other modules see it (its material stays with this module).
    ``lesson_metadata`` is a copy of the lesson's own settings (a passing score, say)."""

    id: uuid.UUID
    course_id: uuid.UUID
    title: str
    slug: str
    lesson_type: str
    order_index: int
    lesson_metadata: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class CourseLabel:
    """What a list of another module's rows shows of each course."""

    title: str
    slug: str


@dataclass(frozen=True, slots=True)
class CourseAccess:
    """What the caller is to a course: ``admin``, its ``owner``, a ``co_instructor``, an
    ``assistant`` (of ``cohort_ids``, or of the whole course when empty) or nothing
    (None). Read by ``CoursePolicy``."""

    course: CourseSummary
    user_id: uuid.UUID | None
    is_admin: bool
    role: CourseRole | None
    cohort_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def within_cohorts(self) -> frozenset[uuid.UUID] | None:
        """The cohorts the caller's reads of students are limited to (an assistant of
        some cohorts), or None for the whole course."""
        return self.cohort_ids if self.role == "assistant" and self.cohort_ids else None
