"""What the schedules module asks the modules that own the scheduled items, in SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import ColumnExpressionArgument

from lms.core.events import Condition


@dataclass(frozen=True, kw_only=True)
class WorkHandedIn(Condition):
    """Has this student handed in this item (a submitted or graded quiz attempt, an
    assignment submission)? Such work gets no due-soon reminder. The fields are column
    expressions of the statement that asks."""

    name: ClassVar[str] = "schedule.work_handed_in.v1"
    item_type: ColumnExpressionArgument[str]
    item_id: ColumnExpressionArgument[uuid.UUID]
    student_id: ColumnExpressionArgument[uuid.UUID]


@dataclass(frozen=True, kw_only=True)
class ItemListed(Condition):
    """Is this item shown to the course's students (a published quiz, an assignment
    lesson)? Only those appear in calendars and reminders."""

    name: ClassVar[str] = "schedule.item_listed.v1"
    item_type: ColumnExpressionArgument[str]
    item_id: ColumnExpressionArgument[uuid.UUID]
