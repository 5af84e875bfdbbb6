"""A course's roster for its staff (``CoursePolicy.read_roster``: its owner,
co-instructors, assistants, admins; an assistant of some cohorts sees their students
only): a page as JSON, or every row as CSV streamed from a server-side cursor."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lms.core.deps import Principal
from lms.core.pagination import Page, PageParams, page_of
from lms.modules import courses
from lms.modules.analytics import repository
from lms.modules.analytics.repository.roster import RosterFilter
from lms.modules.analytics.schemas import ROSTER_CSV_COLUMNS, RosterEntry

CENT = Decimal("0.01")


async def roster_filter(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    cohort_id: uuid.UUID | None,
    status: str | None,
    search: str | None,
    sort: str,
) -> RosterFilter:
    """The caller's view of the roster (404 / 403 as for the course's other staff
    reads)."""
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=courses.CoursePolicy.read_roster
    )
    return RosterFilter(
        course_id=access.course.id,
        cohort_id=cohort_id,
        within_cohorts=access.within_cohorts,
        status=status,
        search=search.replace("\x00", "").strip() or None if search else None,
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
    )


def _entry(row: Any) -> RosterEntry:
    average = row.quiz_average
    return RosterEntry(
        enrollment_id=row.enrollment_id,
        student_id=row.student_id,
        full_name=row.full_name,
        email=row.email,
        status=row.status,
        cohort_id=row.cohort_id,
        cohort_name=row.cohort_name,
        progress_percentage=row.progress_percentage,
        completed_lessons_count=row.completed_lessons_count,
        total_lessons_count=row.total_lessons_count,
        enrolled_at=row.enrolled_at,
        last_activity_at=row.last_accessed_at,
        quiz_average=None
        if average is None
        else Decimal(str(average)).quantize(CENT, rounding=ROUND_HALF_UP),
    )


async def roster_page(
    session: AsyncSession, *, filters: RosterFilter, page: PageParams
) -> Page[RosterEntry]:
    rows, total = await repository.roster_page(
        session, filters, offset=page.offset, limit=page.page_size
    )
    return page_of([_entry(row) for row in rows], total, page)


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    # A cell that starts like a formula is quoted so a spreadsheet shows it as text.
    if text[:1] in ("=", "+", "-", "@") and not isinstance(value, Decimal):
        return "'" + text
    return text


async def roster_csv(
    sessionmaker: async_sessionmaker[AsyncSession], filters: RosterFilter
) -> AsyncIterator[bytes]:
    """The roster as CSV (UTF-8 with a BOM, for spreadsheets), a batch of rows at a
    time, on a session of its own (the request's has committed by then)."""
    yield ("\ufeff" + _csv_line(list(ROSTER_CSV_COLUMNS))).encode()
    async with sessionmaker() as session:
        lines: list[str] = []
        async for row in repository.roster_rows(session, filters):
            entry = _entry(row).model_dump()
            lines.append(_csv_line([_csv_value(entry[c]) for c in ROSTER_CSV_COLUMNS]))
            if len(lines) >= 500:
                yield "".join(lines).encode()
                lines = []
        if lines:
            yield "".join(lines).encode()
