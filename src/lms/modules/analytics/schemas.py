"""Analytics responses. Field names follow seed 003's examples (``total_courses_enrolled``,
``completion_rate``, ``lesson_completion_rates`` …) and seed 000's metric lists.

Percentages, scores and averages are ``Decimal`` rounded to two places and sent as JSON
numbers (``45.5``), as in the seed examples; money is ``Decimal`` sent as a string
(``"120.00"``), as everywhere else in the API, so no cent is lost to floating point."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# A percentage, score or average: two places, a number on the wire.
Ratio = Annotated[
    Decimal,
    AfterValidator(to_cents),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Money = Annotated[Decimal, AfterValidator(to_cents)]
Interval = Literal["day", "week", "month"]


class TrendQuery(BaseModel):
    """The window of a time series: ``from``/``to`` (inclusive UTC dates) and the bucket
    size. Missing ends take the endpoint's defaults; a longer window than allowed is 422."""

    model_config = ConfigDict(populate_by_name=True)

    date_from: date | None = Field(default=None, alias="from", description="First day (UTC)")
    date_to: date | None = Field(default=None, alias="to", description="Last day (UTC)")
    interval: Interval | None = Field(default=None, description="day, week (Monday) or month")


class Window(BaseModel):
    date_from: date
    date_to: date
    interval: Interval


# Student


class ActivityItem(BaseModel):
    """A lesson touched or a quiz attempt finished, newest first."""

    kind: Literal["lesson", "quiz_attempt"]
    at: datetime
    course_id: uuid.UUID
    course_title: str
    lesson_id: uuid.UUID | None = None
    lesson_title: str | None = None
    quiz_id: uuid.UUID | None = None
    quiz_title: str | None = None
    status: str
    score: Ratio | None = Field(default=None, description="The attempt's percentage")


class CourseProgress(BaseModel):
    enrollment_id: uuid.UUID
    course_id: uuid.UUID
    course_title: str
    status: str
    progress_percentage: Ratio
    completed_lessons_count: int
    total_lessons_count: int
    total_time_spent_seconds: int
    enrolled_at: datetime
    last_accessed_at: datetime | None
    completed_at: datetime | None


class StudentSummary(BaseModel):
    student_id: uuid.UUID
    total_courses_enrolled: int
    courses_completed: int
    courses_in_progress: int = Field(description="Enrollments still active")
    lessons_completed: int
    total_time_spent_seconds: int
    average_progress: Ratio = Field(description="Mean progress over every enrollment")
    quiz_attempts: int = Field(description="Attempts submitted (graded or awaiting a grader)")
    quizzes_passed: int
    average_quiz_score: Ratio | None = Field(description="Mean percentage of graded attempts")
    best_quiz_score: Ratio | None
    certificates_earned: int = Field(description="Certificates not revoked")
    generated_at: datetime


class StudentDashboard(StudentSummary):
    recent_activity: list[ActivityItem]


class StudentProgress(StudentSummary):
    courses: list[CourseProgress]


# Course


class EnrollmentStatusCounts(BaseModel):
    active: int
    completed: int
    dropped: int
    expired: int


class LessonStats(BaseModel):
    lesson_id: uuid.UUID
    title: str
    order_index: int
    lesson_type: str
    students_started: int
    students_completed: int
    completion_rate: Ratio = Field(description="Completed / enrolled students, in percent")
    popularity_rank: int = Field(
        description="1 = started by the most students (then completed by the most)"
    )


class DropOffLesson(BaseModel):
    """The lesson that loses the most students: the largest fall in completions from the
    lesson before it (the first lesson is compared with every enrolled student)."""

    lesson_id: uuid.UUID
    title: str
    order_index: int
    students_lost: int
    loss_rate: Ratio = Field(description="Students lost / students who reached it, in percent")


class ScoreBucket(BaseModel):
    range: str = Field(description="Percentage range, e.g. '70-80' (the last one is '90-100')")
    lower: int
    upper: int
    count: int


class QuizStats(BaseModel):
    quiz_id: uuid.UUID
    title: str
    attempts: int
    graded_attempts: int
    average_score: Ratio | None
    pass_rate: Ratio | None


class QuizScores(BaseModel):
    attempts: int = Field(description="Submitted attempts (graded or awaiting a grader)")
    graded_attempts: int
    average_score: Ratio | None
    highest_score: Ratio | None
    lowest_score: Ratio | None
    pass_rate: Ratio | None = Field(description="Passed / graded attempts, in percent")
    distribution: list[ScoreBucket]
    by_quiz: list[QuizStats]


class TrendPoint(BaseModel):
    period_start: date
    enrollments: int
    completions: int


class Trend(BaseModel):
    interval: Interval
    date_from: date
    date_to: date
    points: list[TrendPoint]


class MoneyLine(BaseModel):
    """Collected money in one currency: succeeded payments, net of refunds."""

    currency: str
    payments: int
    gross: Money
    refunded: Money
    net: Money


class CourseAnalytics(BaseModel):
    course_id: uuid.UUID
    title: str
    is_published: bool
    cohort_ids: list[uuid.UUID] | None = Field(
        default=None,
        description="The cohorts every figure is limited to (an assistant of some cohorts "
        "reads its students' figures only); null: the whole course",
    )
    total_enrollments: int
    enrollments_by_status: EnrollmentStatusCounts
    active_students: int = Field(description="Students with activity in the last 30 days")
    completion_rate: Ratio
    average_rating: Ratio | None
    ratings_count: int
    average_progress: Ratio
    total_time_spent_seconds: int
    lesson_completion_rates: dict[str, Ratio] = Field(description="Lesson id → percent")
    lessons: list[LessonStats]
    popular_lessons: list[LessonStats]
    drop_off_lesson: DropOffLesson | None
    quiz_scores: QuizScores
    enrollment_trend: Trend
    revenue: list[MoneyLine]
    generated_at: datetime


# Instructor


class InstructorCourseRow(BaseModel):
    course_id: uuid.UUID
    title: str
    is_published: bool
    total_enrollments: int
    active_students: int
    completed_enrollments: int
    completion_rate: Ratio
    average_rating: Ratio | None
    ratings_count: int
    average_progress: Ratio
    quiz_attempts: int
    average_quiz_score: Ratio | None
    revenue: list[MoneyLine]


class InstructorTotals(BaseModel):
    total_courses: int
    published_courses: int
    total_enrollments: int
    unique_students: int
    active_students: int
    completed_enrollments: int
    completion_rate: Ratio
    average_rating: Ratio | None
    ratings_count: int
    average_progress: Ratio
    quiz_attempts: int
    average_quiz_score: Ratio | None
    revenue: list[MoneyLine]


class InstructorOverview(BaseModel):
    instructor_id: uuid.UUID
    instructor_name: str
    totals: InstructorTotals
    courses: list[InstructorCourseRow]
    generated_at: datetime


# System


class RoleCounts(BaseModel):
    role: str
    total: int
    active: int = Field(description="Signed in within the last 30 days (and not deactivated)")
    deactivated: int


class CourseCounts(BaseModel):
    total: int
    published: int
    draft: int


class EnrollmentCounts(BaseModel):
    total: int
    by_status: EnrollmentStatusCounts
    completion_rate: Ratio


class ProviderRevenue(MoneyLine):
    provider: str


class RevenueByMonth(MoneyLine):
    month: str = Field(description="YYYY-MM (UTC)")
    provider: str


class RevenueOverview(BaseModel):
    totals: list[MoneyLine] = Field(description="All time, per currency")
    by_provider: list[ProviderRevenue] = Field(description="All time")
    by_month: list[RevenueByMonth] = Field(description="Within the window, per provider")


class SystemOverview(BaseModel):
    total_users: int
    active_users: int
    users_by_role: list[RoleCounts]
    courses: CourseCounts
    enrollments: EnrollmentCounts
    activity_trend: Trend
    revenue: RevenueOverview
    generated_at: datetime


# A course's roster

RosterSort = Literal[
    "full_name",
    "-full_name",
    "email",
    "-email",
    "progress",
    "-progress",
    "last_activity",
    "-last_activity",
    "enrolled_at",
    "-enrolled_at",
    "quiz_average",
    "-quiz_average",
    "status",
    "-status",
]
RosterStatus = Literal["active", "completed", "dropped", "expired"]


class RosterEntry(BaseModel):
    """One student of the course as its staff see them."""

    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    full_name: str
    email: str
    status: str
    cohort_id: uuid.UUID | None
    cohort_name: str | None
    progress_percentage: Decimal
    completed_lessons_count: int
    total_lessons_count: int
    enrolled_at: datetime
    last_activity_at: datetime | None
    quiz_average: Decimal | None


ROSTER_CSV_COLUMNS = (
    "enrollment_id",
    "student_id",
    "full_name",
    "email",
    "status",
    "cohort_name",
    "progress_percentage",
    "completed_lessons_count",
    "total_lessons_count",
    "enrolled_at",
    "last_activity_at",
    "quiz_average",
)
