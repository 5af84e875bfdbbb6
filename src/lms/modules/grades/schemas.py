"""Grading schemes, the gradebook's rows, overrides and the history, as the API reads
and writes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from lms.core.schemas import no_nul

ItemKind = Literal["quiz", "assignment"]
# Text without NUL, stripped, never blank.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_nul),
]
Letter = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5),
    AfterValidator(no_nul),
]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(no_nul),
]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryIn(StrictModel):
    """A category of graded items: every item of ``item_type`` (those not listed
    explicitly by another category), or the items listed in ``items``; exactly one of
    the two."""

    name: Name
    weight: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
    item_type: ItemKind | None = None
    items: Annotated[list[uuid.UUID], Field(max_length=500)] | None = None
    drop_lowest: Annotated[int, Field(ge=0, le=50)] = 0


class LetterGrade(StrictModel):
    """A letter given from ``min_percent`` (inclusive) up to the next letter's."""

    letter: Letter
    min_percent: Percent


DEFAULT_SCALE = (
    LetterGrade(letter="A", min_percent=Decimal("90")),
    LetterGrade(letter="B", min_percent=Decimal("80")),
    LetterGrade(letter="C", min_percent=Decimal("70")),
    LetterGrade(letter="D", min_percent=Decimal("60")),
    LetterGrade(letter="F", min_percent=Decimal("0")),
)


class GradingSchemeIn(StrictModel):
    """A course's grading scheme. ``categories``: weights sum to 100; an empty list
    counts every graded item equally. ``scale``: letters by descending ``min_percent``,
    the last at 0 (default A 90, B 80, C 70, D 60, F 0). ``missing_counts_as_zero``: an
    item without a grade counts 0 (default: it is left out until graded).
    ``hidden_items``: items whose grades students do not see yet (unreleased)."""

    categories: Annotated[list[CategoryIn], Field(max_length=20)] = []
    scale: Annotated[list[LetterGrade], Field(min_length=1, max_length=20)] = list(DEFAULT_SCALE)
    missing_counts_as_zero: bool = False
    hidden_items: Annotated[list[uuid.UUID], Field(max_length=500)] = []


class GradeItem(BaseModel):
    """A graded item of the course: a graded (not practice) published quiz, or an
    assignment lesson."""

    id: uuid.UUID
    kind: ItemKind
    title: str
    category: str | None = Field(description="Its category (None: it counts in none)")
    released: bool = Field(description="Students see its grades")


class GradingSchemeRead(GradingSchemeIn):
    is_default: bool = Field(description="True: the course has no scheme of its own")
    items: list[GradeItem] = Field(description="The course's graded items, as categorised")
    updated_at: datetime | None = None


class ItemScore(BaseModel):
    item_id: uuid.UUID
    score: Decimal | None = Field(description="The counting score in percent, before penalty")
    is_late: bool = False
    late_penalty_percent: Decimal | None = None
    effective_score: Decimal | None = Field(
        description="score x (1 - penalty/100), rounded half up to the cent"
    )
    released: bool = True


class CategoryAverage(BaseModel):
    name: str
    weight: Decimal
    average: Decimal | None = Field(description="None: no counted score in it yet")
    dropped_item_ids: list[uuid.UUID] = []


class CourseGrade(BaseModel):
    computed: Decimal | None = Field(description="From the category averages")
    grade: Decimal | None = Field(description="The grade that counts: the override, if any")
    letter: str | None
    overridden: bool


class GradebookRow(BaseModel):
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    full_name: str
    email: str
    status: str
    cohort_id: uuid.UUID | None
    items: list[ItemScore]
    categories: list[CategoryAverage]
    course_grade: CourseGrade
    override_reason: str | None = None


class GradebookPage(BaseModel):
    items: list[GradebookRow]
    total: int
    page: int
    page_size: int
    grade_items: list[GradeItem] = Field(description="The columns: every graded item")


class EnrollmentGrades(BaseModel):
    """A student's grades in a course, as the student sees them (grades of unreleased
    items hidden, and left out of the averages) or as its staff do."""

    enrollment_id: uuid.UUID
    course_id: uuid.UUID
    student_id: uuid.UUID
    grade_items: list[GradeItem]
    items: list[ItemScore]
    categories: list[CategoryAverage]
    course_grade: CourseGrade


class OverrideIn(StrictModel):
    grade: Percent
    reason: Reason


class OverrideRead(BaseModel):
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    grade: Decimal
    letter: str | None
    reason: str
    set_by_id: uuid.UUID | None
    set_at: datetime


HistoryKind = Literal["override_set", "override_cleared", "quiz_regraded", "assignment_graded"]


class GradeChangeRead(BaseModel):
    id: uuid.UUID
    kind: HistoryKind
    item_id: uuid.UUID | None
    source_id: uuid.UUID | None
    before: Decimal | None
    after: Decimal | None
    reason: str | None
    changed_by_id: uuid.UUID | None
    changed_at: datetime
