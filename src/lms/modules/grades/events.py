"""What the grades module tells other modules, published in the transaction of the
change (see ``lms.core.events``; the modules that react are listed in
``lms/wiring.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from lms.core.events import Event


@dataclass(frozen=True, kw_only=True, slots=True)
class GradeOverridden(Event):
    """A student's course grade was set by hand, or its override cleared (``after`` is
    then the computed grade again). ``before`` and ``after`` are course grades in
    percent (None: no grade); ``reason`` is the staff's note (None when cleared)."""

    name: ClassVar[str] = "grade.overridden.v1"
    course_id: uuid.UUID
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    changed_by_id: uuid.UUID
    before: Decimal | None
    after: Decimal | None
    cleared: bool
    reason: str | None
