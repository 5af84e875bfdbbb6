"""The gradebook: each student's item scores, category averages and course grade,
computed in SQL for a page of students at a time (``repository.figures``).

The rules, each applied to the figures shown at the level below (so every figure can
be recomputed by hand from the ones printed beside it), all rounded half up
(``ROUND_HALF_UP``) to the cent:

1. An item's counting score: a quiz's best graded attempt (by effective score; the
   earlier attempt on a tie), an assignment's graded submission. Its effective score is
   its stored score: the item's schedule took the late penalty off when the work was
   handed in or graded (``late_penalty_percent`` says how much).
2. A category's average: the mean of its items' effective scores, after dropping its
   ``drop_lowest`` lowest (never all: at least one stays). An item without a score is
   left out, or counts 0 when the scheme says ``missing_counts_as_zero``.
3. The course grade: the weighted mean of the category averages, over the categories
   that have one (their weights scaled back to 100 %). An override replaces it; the
   letter is the scale's first letter whose ``min_percent`` the grade reaches.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lms.core.deps import Principal
from lms.core.errors import NotFound
from lms.core.pagination import PageParams
from lms.modules import courses, enrollments
from lms.modules.grades import repository
from lms.modules.grades.repository import RowFilter, export
from lms.modules.grades.schemas import (
    CategoryAverage,
    CourseGrade,
    EnrollmentGrades,
    ItemScore,
)
from lms.modules.grades.service.schemes import Layout, load_layout

CSV_BATCH = 1000


class StudentNotInCourse(NotFound):
    code = "student_not_in_course"
    detail = "No such student in this course."


# Every percent from 0.00 to 100.00 as text, looked up by hundredths (a page or an
# export writes hundreds of thousands of them).
_PERCENT_TEXT = [f"{whole}.{part:02d}" for whole in range(101) for part in range(100)][:10_001]


def cents_text(cents: int | None) -> str | None:
    """Hundredths of a percent as the API writes a percent ("65.12")."""
    if cents is None:
        return None
    cents = int(cents)
    if 0 <= cents <= 10_000:
        return _PERCENT_TEXT[cents]
    whole, part = divmod(cents, 100)
    return f"{whole}.{part:02d}"


def _text_of(value: Any) -> str | None:
    """A NUMERIC(…, 2) column read back: a ``Decimal`` of two places on both databases
    (asyncpg gives the column's scale, SQLite's result processor the declared one)."""
    return None if value is None else str(value)


async def compute_rows(
    session: AsyncSession, layout: Layout, rows: Sequence[Any], *, released_only: bool
) -> list[dict[str, Any]]:
    """The gradebook rows of ``rows`` (enrollments with the student's name), in the
    shape of ``GradebookRow`` with percents as strings, ready to serialise (a page holds
    thousands of cells: they are not validated again one by one). Two statements (the
    figures, the overrides) whatever the number of rows."""
    if not rows:
        return []
    enrollment_ids = [row.enrollment_id for row in rows]
    hidden = layout.hidden if released_only else frozenset()
    scores: dict[uuid.UUID, dict[uuid.UUID, Any]] = defaultdict(dict)
    dropped: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    averages: dict[uuid.UUID, dict[int, int]] = defaultdict(dict)
    computed: dict[uuid.UUID, int] = {}
    for figure in await repository.figures(
        session,
        course_id=layout.course_id,
        enrollment_ids=enrollment_ids,
        shown_item_ids=[item.id for item in layout.items if item.id not in hidden],
        items=layout.scored_items(released_only=released_only),
        missing_counts_as_zero=layout.scheme.missing_counts_as_zero,
    ):
        if figure.level == 3:
            scores[figure.enrollment_id][figure.item_id] = figure
        elif figure.level == 0:
            dropped[figure.enrollment_id].add(figure.item_id)
        elif figure.level == 1:
            averages[figure.enrollment_id][figure.category] = figure.cents
        else:
            computed[figure.enrollment_id] = figure.cents
    overrides = await repository.overrides_of(session, enrollment_ids)
    columns = [(item.id, item.id in hidden, item.id not in layout.hidden) for item in layout.items]
    # An item without a score reads the same in every row (shared: it is only serialised).
    no_score = {
        item_id: {
            "item_id": item_id,
            "score": None,
            "is_late": False,
            "late_penalty_percent": None,
            "effective_score": None,
            "released": released,
        }
        for item_id, _, released in columns
    }
    result = []
    for row in rows:
        own_scores = scores.get(row.enrollment_id, {})
        items: list[dict[str, Any]] = []
        for item_id, is_hidden, released in columns:
            found = None if is_hidden else own_scores.get(item_id)
            if found is None:
                items.append(no_score[item_id])
                continue
            items.append(
                {
                    "item_id": item_id,
                    "score": str(found.score),
                    "is_late": bool(found.is_late),
                    "late_penalty_percent": None
                    if found.late_penalty_percent is None
                    else str(found.late_penalty_percent),
                    "effective_score": cents_text(found.cents),
                    "released": released,
                }
            )
        own_dropped = dropped.get(row.enrollment_id, set())
        own_averages = averages.get(row.enrollment_id, {})
        categories = [
            {
                "name": category.name,
                "weight": str(category.weight),
                "average": cents_text(own_averages.get(index)),
                "dropped_item_ids": sorted(
                    (
                        item_id
                        for item_id in own_dropped
                        if layout.category_of.get(item_id) == index
                    ),
                    key=str,
                ),
            }
            for index, category in enumerate(layout.categories)
        ]
        grade = cents_text(computed.get(row.enrollment_id))
        override = overrides.get(row.enrollment_id)
        counting = _text_of(override.grade) if override is not None else grade
        result.append(
            {
                "enrollment_id": row.enrollment_id,
                "student_id": row.student_id,
                "full_name": row.full_name,
                "email": row.email,
                "status": row.status,
                "cohort_id": row.cohort_id,
                "items": items,
                "categories": categories,
                "course_grade": {
                    "computed": grade,
                    "grade": counting,
                    "letter": layout.letter(None if counting is None else Decimal(counting)),
                    "overridden": override is not None,
                },
                "override_reason": None if override is None or released_only else override.reason,
            }
        )
    return result


async def gradebook_filter(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    cohort_id: uuid.UUID | None,
) -> RowFilter:
    """The caller's view of the gradebook: the course's team (``CoursePolicy.read_roster``;
    an assistant of some cohorts sees their students only), 404 / 403 as for the roster."""
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=courses.CoursePolicy.read_roster
    )
    within = access.cohort_ids if access.role == "assistant" and access.cohort_ids else None
    return RowFilter(course_id=access.course.id, cohort_id=cohort_id, within_cohorts=within)


async def gradebook_page(session: AsyncSession, *, filters: RowFilter, page: PageParams) -> bytes:
    """A page of the gradebook as ``GradebookPage`` JSON, serialised once (orjson) from
    the rows ``compute_rows`` shaped."""
    layout = await load_layout(session, filters.course_id)
    rows, total = await repository.page_rows(
        session, filters, offset=page.offset, limit=page.page_size
    )
    return orjson.dumps(
        {
            "items": await compute_rows(session, layout, rows, released_only=False),
            "total": total,
            "page": page.page,
            "page_size": page.page_size,
            "grade_items": [item.model_dump(mode="json") for item in layout.grade_items()],
        },
        # asyncpg's UUID subclass is not one orjson knows.
        default=str,
    )


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # A cell that starts like a formula is quoted so a spreadsheet shows it as text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_header(layout: Layout) -> list[str]:
    header = ["enrollment_id", "student_id", "full_name", "email", "status", "cohort_id"]
    for item in layout.items:
        header += [f"{item.title} ({item.kind})", f"{item.title} ({item.kind}) late penalty %"]
    header += [f"{category.name} average" for category in layout.categories]
    header += ["computed_grade", "course_grade", "letter", "overridden"]
    return [_text(name) for name in header]


def csv_values(row: dict[str, Any]) -> list[Any]:
    values: list[Any] = [
        row["enrollment_id"],
        row["student_id"],
        _text(row["full_name"]),
        _text(row["email"]),
        row["status"],
        row["cohort_id"] or "",
    ]
    for item in row["items"]:
        values += [item["effective_score"] or "", item["late_penalty_percent"] or ""]
    values += [category["average"] or "" for category in row["categories"]]
    grade = row["course_grade"]
    values += [
        grade["computed"] or "",
        grade["grade"] or "",
        _text(grade["letter"]),
        grade["overridden"],
    ]
    return values


def _written_line_values(layout: Layout, row: Any) -> list[Any]:
    """``csv_values`` of a row of ``export.export_statement``, whose cells PostgreSQL
    wrote already."""
    computed = cents_text(row.computed)
    overridden = row.override_grade is not None
    grade = _text_of(row.override_grade) if overridden else computed
    return [
        row.enrollment_id,
        row.student_id,
        _text(row.full_name),
        _text(row.email),
        row.status,
        row.cohort_id or "",
        *([] if row.cells is None else row.cells.split(",")),
        computed or "",
        grade or "",
        _text(layout.letter(None if grade is None else Decimal(grade))),
        overridden,
    ]


async def _csv_batches(
    session: AsyncSession, layout: Layout, filters: RowFilter
) -> AsyncIterator[list[list[Any]]]:
    """The CSV's rows, ``CSV_BATCH`` at a time: on PostgreSQL from one statement over the
    whole gradebook that writes the cells (``export``), elsewhere computed from the
    figures of each batch of students."""
    if session.get_bind().dialect.name == "postgresql":
        statement = export.export_statement(
            filters,
            item_ids=[item.id for item in layout.items],
            categories=len(layout.categories),
            items=layout.scored_items(released_only=False),
            missing_counts_as_zero=layout.scheme.missing_counts_as_zero,
        )
        async for lines in export.stream_lines(session, statement, batch=CSV_BATCH):
            yield [_written_line_values(layout, line) for line in lines]
        return
    async for rows in repository.stream_rows(session, filters, batch=CSV_BATCH):
        computed = await compute_rows(session, layout, rows, released_only=False)
        yield [csv_values(row) for row in computed]


async def gradebook_csv(
    sessionmaker: async_sessionmaker[AsyncSession], filters: RowFilter
) -> AsyncIterator[bytes]:
    """The whole gradebook as CSV (UTF-8 with a BOM, for spreadsheets), ``CSV_BATCH``
    students at a time, on a session of its own (the request's has committed by then)."""
    async with sessionmaker() as session:
        layout = await load_layout(session, filters.course_id)
        yield ("\ufeff" + _csv_line(csv_header(layout))).encode()
        async for batch in _csv_batches(session, layout, filters):
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerows(batch)
            yield buffer.getvalue().encode()


async def enrollment_grades(
    session: AsyncSession, *, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentGrades:
    """One enrollment's grades: its student sees what the course releases (grades of
    hidden items are left out, of the items and of the averages, and an override's
    reason is not shown); those who teach the student (``CoursePolicy.teach``) and
    admins see everything; anyone else gets 404."""
    enrollment = await enrollments.get_enrollment_or_raise(session, enrollment_id)
    is_student = enrollment.student_id == principal.id
    if not is_student and not principal.is_admin:
        course = await courses.get_course_or_raise(session, enrollment.course_id)
        if not await enrollments.teaches_student(
            session, principal=principal, course=course, student_id=enrollment.student_id
        ):
            raise enrollments.EnrollmentNotFound()
    layout = await load_layout(session, enrollment.course_id)
    row = await repository.enrollment_row(session, enrollment.course_id, enrollment.id)
    if row is None:
        raise enrollments.EnrollmentNotFound()
    released_only = is_student and not principal.is_admin
    (computed,) = await compute_rows(session, layout, [row], released_only=released_only)
    grade_items = layout.grade_items()
    if released_only:
        for item in grade_items:
            if not item.released:
                item.category = None
    return EnrollmentGrades(
        enrollment_id=enrollment.id,
        course_id=enrollment.course_id,
        student_id=enrollment.student_id,
        grade_items=grade_items,
        items=[ItemScore.model_validate(item) for item in computed["items"]],
        categories=[CategoryAverage.model_validate(c) for c in computed["categories"]],
        course_grade=CourseGrade.model_validate(computed["course_grade"]),
    )


async def computed_grade(
    session: AsyncSession, layout: Layout, row: Any
) -> tuple[Decimal | None, Decimal | None]:
    """(the computed course grade, the grade that counts) of one student."""
    (computed,) = await compute_rows(session, layout, [row], released_only=False)
    grade = computed["course_grade"]
    return (
        None if grade["computed"] is None else Decimal(grade["computed"]),
        None if grade["grade"] is None else Decimal(grade["grade"]),
    )
