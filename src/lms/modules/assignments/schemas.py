from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from lms.core.schemas import CleanText

SubmissionStatus = Literal["submitted", "graded"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmissionCreate(StrictModel):
    """Text, an uploaded file's id, or both."""

    text: (
        Annotated[CleanText, StringConstraints(strip_whitespace=True, max_length=100_000)] | None
    ) = None
    file_id: uuid.UUID | None = Field(
        default=None, description="The id of a file uploaded with `POST /files/upload`"
    )

    @model_validator(mode="after")
    def _has_content(self) -> SubmissionCreate:
        if not self.text and self.file_id is None:
            raise ValueError("give text, a file_id, or both")
        if not self.text:
            self.text = None
        return self


class SubmissionGrade(StrictModel):
    score: Annotated[
        Decimal,
        Field(ge=0, le=100, max_digits=5, decimal_places=2, description="0-100"),
        AfterValidator(lambda v: v.quantize(Decimal("0.01"))),
    ]
    feedback: Annotated[CleanText, StringConstraints(max_length=20_000)] | None = None


class SubmissionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    text: str | None
    file_id: uuid.UUID | None
    status: SubmissionStatus
    submission_count: int
    submitted_at: datetime
    score: Decimal | None = Field(description="After the late penalty, if any")
    is_passed: bool | None
    is_late: bool = Field(default=False, description="Handed in after the lesson's due date")
    late_penalty_percent: Decimal | None = Field(
        default=None, description="The late penalty, in percent of the score (null: none)"
    )
    feedback: str | None
    graded_at: datetime | None
    created_at: datetime
    updated_at: datetime
