from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    computed_field,
    field_validator,
)

from lms.core.schemas import CleanText, has_nul, no_nul
from lms.modules.quizzes.grading import QuestionType

QuizType = Literal["practice", "graded"]
AttemptStatus = Literal["in_progress", "submitted", "graded"]


def _no_nul_inside(value: Any) -> Any:
    if has_nul(value):
        raise ValueError("must not contain NUL characters")
    return value


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


Title = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
LongText = Annotated[CleanText, StringConstraints(max_length=20_000)]
OptionText = Annotated[CleanText, StringConstraints(max_length=1_000)]
QuestionText = Annotated[
    CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
CorrectAnswer = Annotated[CleanText, StringConstraints(max_length=5_000)]
AnswerText = Annotated[
    str, StringConstraints(strict=True, max_length=20_000), AfterValidator(no_nul)
]
Metadata = Annotated[dict[str, Any], Field(max_length=100), AfterValidator(_no_nul_inside)]
CENT = Decimal("0.01")
PassingScore = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    AfterValidator(lambda v: v.quantize(CENT)),
]
Points = Annotated[
    Decimal,
    Field(gt=0, le=1000, max_digits=6, decimal_places=2),
    AfterValidator(lambda v: v.quantize(CENT)),
]


class StrictModel(BaseModel):
    """Refuses unknown fields, so a typo is a clear 422 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- quizzes ---------------------------------------------------------------------


class QuizCreate(StrictModel):
    title: Title
    description: LongText | None = None
    lesson_id: uuid.UUID | None = None
    quiz_type: QuizType = "graded"
    passing_score: PassingScore = Field(
        default=Decimal("70"),
        validation_alias=AliasChoices("passing_score", "passing_score_percentage"),
        description="Percentage needed to pass (seed name `passing_score_percentage` accepted)",
    )
    time_limit_minutes: int | None = Field(default=None, ge=1, le=10_080)
    max_attempts: int | None = Field(default=None, ge=1, le=1_000)
    shuffle_questions: bool = True
    shuffle_options: bool = True
    show_correct_answers: bool = True
    is_published: Literal[False] = Field(
        default=False, description="A quiz is published after its questions are added"
    )


class QuizCreateWithCourse(QuizCreate):
    """`POST /quizzes` names the course in the body."""

    course_id: uuid.UUID


class QuizUpdate(StrictModel):
    title: Title | None = None
    description: LongText | None = None
    lesson_id: uuid.UUID | None = None
    quiz_type: QuizType | None = None
    passing_score: PassingScore | None = Field(
        default=None, validation_alias=AliasChoices("passing_score", "passing_score_percentage")
    )
    time_limit_minutes: int | None = Field(default=None, ge=1, le=10_080)
    max_attempts: int | None = Field(default=None, ge=1, le=1_000)
    shuffle_questions: bool | None = None
    shuffle_options: bool | None = None
    show_correct_answers: bool | None = None
    is_published: bool | None = None

    _not_null = field_validator(
        "title",
        "quiz_type",
        "passing_score",
        "shuffle_questions",
        "shuffle_options",
        "show_correct_answers",
        "is_published",
    )(_not_null)


class QuizRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    course_id: uuid.UUID
    lesson_id: uuid.UUID | None
    title: str
    description: str | None
    quiz_type: QuizType
    passing_score: Decimal
    time_limit_minutes: int | None
    max_attempts: int | None
    shuffle_questions: bool
    shuffle_options: bool
    show_correct_answers: bool
    is_published: bool
    published_at: datetime | None
    question_count: int = 0
    total_points: Decimal = Decimal("0")
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passing_score_percentage(self) -> Decimal:
        """Seed 000's name for `passing_score`."""
        return self.passing_score


# --- questions -------------------------------------------------------------------


class QuestionCreate(StrictModel):
    question_text: QuestionText
    question_type: QuestionType
    options: list[OptionText] | None = Field(default=None, max_length=50)
    correct_answer: CorrectAnswer | StrictBool | None = Field(
        default=None,
        description='multiple_choice: the right option\'s text; true_false: "true" or '
        '"false"; short_answer: accepted answers separated by "|" (none: graded by hand); '
        "essay: none",
    )
    points: Points = Decimal("1.00")
    order_index: int | None = Field(
        default=None,
        ge=0,
        le=100_000,
        validation_alias=AliasChoices("order_index", "order"),
        description="Position; defaults to after the last question (`order` accepted)",
    )
    explanation: LongText | None = None
    question_metadata: Metadata | None = None


class QuestionUpdate(StrictModel):
    question_text: QuestionText | None = None
    question_type: QuestionType | None = None
    options: list[OptionText] | None = Field(default=None, max_length=50)
    correct_answer: CorrectAnswer | StrictBool | None = None
    points: Points | None = None
    order_index: int | None = Field(
        default=None, ge=0, le=100_000, validation_alias=AliasChoices("order_index", "order")
    )
    explanation: LongText | None = None
    question_metadata: Metadata | None = None

    _not_null = field_validator("question_text", "question_type", "points", "order_index")(
        _not_null
    )


class QuestionPublicRead(BaseModel):
    """A question as a student sees it: no correct answer, no explanation."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    quiz_id: uuid.UUID
    question_text: str
    question_type: QuestionType
    options: list[str] | None
    points: Decimal
    order_index: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def order(self) -> int:
        """Seed 000's name for `order_index`."""
        return self.order_index


class QuestionManageRead(QuestionPublicRead):
    """A question as its author sees it."""

    correct_answer: str | None
    explanation: str | None
    question_metadata: dict[str, Any] | None
    graded_by_hand: bool
    created_at: datetime
    updated_at: datetime


# --- attempts --------------------------------------------------------------------


class AnswerIn(StrictModel):
    question_id: uuid.UUID
    answer: AnswerText | StrictBool | None = Field(
        description="multiple_choice: an option's text; true_false: true/false; "
        "short_answer and essay: text; null: unanswered"
    )


class AttemptAnswers(StrictModel):
    answers: list[AnswerIn] = Field(max_length=1_000)


class QuestionGrade(StrictModel):
    question_id: uuid.UUID
    points: Annotated[
        Decimal,
        Field(ge=0, max_digits=8, decimal_places=2),
        AfterValidator(lambda v: v.quantize(CENT)),
    ]
    feedback: LongText | None = None


class AttemptGrade(StrictModel):
    grades: list[QuestionGrade] = Field(default_factory=list, max_length=1_000)
    feedback: LongText | None = Field(default=None, description="Feedback on the whole attempt")


class AnswerRead(BaseModel):
    question_id: uuid.UUID
    answer: str | None


class QuestionResult(BaseModel):
    question_id: uuid.UUID
    question_text: str
    question_type: QuestionType
    answer: str | None
    points_possible: Decimal
    points_awarded: Decimal | None
    is_correct: bool | None
    needs_grading: bool
    feedback: str | None = None
    correct_answer: str | None = None
    explanation: str | None = None


class AttemptRead(BaseModel):
    id: uuid.UUID
    quiz_id: uuid.UUID
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    attempt_number: int
    status: AttemptStatus
    started_at: datetime
    deadline_at: datetime | None
    time_remaining_seconds: int | None = Field(
        description="Seconds left before the deadline while in progress"
    )
    submitted_at: datetime | None
    graded_at: datetime | None
    score: Decimal | None
    max_score: Decimal | None
    percentage: Decimal | None
    is_passed: bool | None
    time_taken_seconds: int | None
    closed_at_deadline: bool
    is_late: bool = Field(
        default=False, description="Submitted after the due date (the quiz's schedule)"
    )
    late_penalty_percent: Decimal | None = Field(
        default=None,
        description="The late penalty applied, in percent of the score (null: none); "
        "`score` and `percentage` are after it",
    )
    answers: list[AnswerRead]
    feedback: str | None
    results: list[QuestionResult] | None = Field(
        description="Per-question marks; for the student only when the quiz shows answers"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ended_at(self) -> datetime | None:
        """Seed 000's name for `submitted_at`."""
        return self.submitted_at

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool | None:
        """Seed 000's name for `is_passed`."""
        return self.is_passed


class AttemptSheet(AttemptRead):
    """An attempt as the student takes it: the quiz and its questions, in this attempt's
    question and option order, without answers."""

    quiz: QuizRead
    questions: list[QuestionPublicRead]
