from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    ScalarSelect,
    Select,
    Table,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate, paginate_rows
from lms.modules.courses.models import (
    Cohort,
    CohortAssistant,
    Course,
    CourseStaff,
    Lesson,
)
from lms.modules.courses.repository.drip import has_prerequisites
from lms.modules.courses.schemas import CourseFilters


def _lessons_count() -> Select[int]:
    return select(func.count(Lesson.id)).where(Lesson.course_id == Course.id)


async def get_course(session: AsyncSession, course_id: uuid.UUID) -> Course | None:
    return await session.get(Course, course_id)


async def get_course_by_slug(session: AsyncSession, slug: str) -> Course | None:
    result: Course | None = await session.scalar(select(Course).where(Course.slug == slug))
    return result


async def get_course_by_title(
    session: AsyncSession, *, instructor_id: uuid.UUID, title: str
) -> Course | None:
    result: Course | None = await session.scalar(
        select(Course)
        .where(Course.instructor_id == instructor_id, Course.title == title)
        .order_by(Course.created_at)
        .limit(1)
    )
    return result


async def get_courses(session: AsyncSession, course_ids: Sequence[uuid.UUID]) -> list[Course]:
    if not course_ids:
        return []
    return list(await session.scalars(select(Course).where(Course.id.in_(set(course_ids)))))


_COURSE_LABELS = select(Course.id, Course.title, Course.slug).where(
    Course.id.in_(bindparam("ids", expanding=True))
)
_COURSE_LABEL = select(Course.id, Course.title, Course.slug).where(Course.id == bindparam("id"))


# The columns of the tables, not the mapped attributes: these expressions go into other
# modules' Core statements, which a mapped attribute would send through the ORM's
# statement handling on every execution.
_COURSES = cast(Table, Course.__table__)
_LESSONS = cast(Table, Lesson.__table__)


def course_column(column: str, course_id: ColumnExpressionArgument[uuid.UUID]) -> ScalarSelect[Any]:
    """One column of the course whose id is in ``course_id``, as a scalar subquery."""
    return select(_COURSES.c[column]).where(_COURSES.c.id == course_id).scalar_subquery()


def lesson_column(column: str, lesson_id: ColumnExpressionArgument[uuid.UUID]) -> ScalarSelect[Any]:
    """One column of the lesson whose id is in ``lesson_id``, as a scalar subquery."""
    return select(_LESSONS.c[column]).where(_LESSONS.c.id == lesson_id).scalar_subquery()


async def course_labels(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, str]]:
    """(id, title, slug) of each course: three columns, no ORM objects to build."""
    unique = set(course_ids)
    if not unique:
        return []
    if len(unique) == 1:  # an expanding IN is expanded again on every execution
        result = await session.execute(_COURSE_LABEL, {"id": unique.pop()})
    else:
        result = await session.execute(_COURSE_LABELS, {"ids": list(unique)})
    return [(row.id, row.title, row.slug) for row in result]


async def lock_course(
    session: AsyncSession, course_id: uuid.UUID, *, shared: bool = False
) -> uuid.UUID | None:
    """Lock the course row until the transaction ends (PostgreSQL; SQLite serialises
    writers anyway). Lesson changes take it exclusively and enrolments shared, so a
    lesson added while a student enrols is never missed by either side."""
    result: uuid.UUID | None = await session.scalar(
        select(Course.id).where(Course.id == course_id).with_for_update(read=shared)
    )
    return result


async def count_lessons(session: AsyncSession, course_id: uuid.UUID) -> int:
    return int(
        await session.scalar(select(func.count(Lesson.id)).where(Lesson.course_id == course_id))
        or 0
    )


async def lessons_counts(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not course_ids:
        return {}
    rows = await session.execute(
        select(Lesson.course_id, func.count(Lesson.id))
        .where(Lesson.course_id.in_(set(course_ids)))
        .group_by(Lesson.course_id)
    )
    return {course_id: int(count) for course_id, count in rows}


async def slugs_like(
    session: AsyncSession, base: str, *, course_id: uuid.UUID | None = None, lessons: bool = False
) -> set[str]:
    """Slugs equal to ``base`` or ``base-<something>`` (among courses, or among one
    course's lessons)."""
    column = Lesson.slug if lessons else Course.slug
    stmt = select(column).where(or_(column == base, column.startswith(f"{base}-", autoescape=True)))
    if lessons:
        stmt = stmt.where(Lesson.course_id == course_id)
    return set(await session.scalars(stmt))


def _filtered(
    filters: CourseFilters, *, caller_id: uuid.UUID | None, is_admin: bool
) -> Select[Course]:
    stmt = select(Course)
    # The caller's courses: those they own and those whose team they are on.
    teaches = or_(
        Course.instructor_id == caller_id,
        select(CourseStaff.id)
        .where(CourseStaff.course_id == Course.id, CourseStaff.user_id == caller_id)
        .exists(),
    )
    if filters.mine:
        stmt = stmt.where(teaches)
    elif filters.is_published is False:
        # Drafts: an admin sees all of them, the owner and team their own, anyone else none.
        stmt = stmt.where(Course.is_published.is_(False))
        if not is_admin:
            stmt = stmt.where(teaches)
    else:
        stmt = stmt.where(Course.is_published.is_(True))
    if filters.mine and filters.is_published is not None:
        stmt = stmt.where(Course.is_published.is_(filters.is_published))
    if filters.category:
        stmt = stmt.where(func.lower(Course.category) == filters.category.lower())
    if filters.difficulty_level:
        stmt = stmt.where(Course.difficulty_level == filters.difficulty_level)
    if filters.instructor_id:
        stmt = stmt.where(Course.instructor_id == filters.instructor_id)
    if filters.search:
        term = filters.search.lower()
        stmt = stmt.where(
            or_(
                func.lower(Course.title).contains(term, autoescape=True),
                func.lower(func.coalesce(Course.description, "")).contains(term, autoescape=True),
            )
        )
    return stmt


async def page_courses(
    session: AsyncSession,
    filters: CourseFilters,
    *,
    caller_id: uuid.UUID | None,
    is_admin: bool,
    offset: int,
    limit: int,
) -> tuple[list[tuple[Course, int]], int]:
    """One page of courses with their lesson counts, newest first, and the total."""
    stmt = _filtered(filters, caller_id=caller_id, is_admin=is_admin)
    rows, total = await paginate_rows(
        session,
        stmt.add_columns(_lessons_count().scalar_subquery()).order_by(
            Course.created_at.desc(), Course.id
        ),
        offset=offset,
        limit=limit,
        counted=stmt,
    )
    return [(course, int(count)) for course, count in rows], total


async def delete_course(session: AsyncSession, course_id: uuid.UUID) -> None:
    await session.execute(delete(Course).where(Course.id == course_id))


# Lessons


async def get_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> Lesson | None:
    return await session.get(Lesson, lesson_id)


# Composed once by the service (the lesson page of every student): composing costs more
# than running it.
def lesson_with_course_statement(enrolled: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """The lesson's columns (bound ``lesson_id``), its course's ``course_is_published``
    and ``course_instructor_id``, whether the caller (bound ``user_id``) is on the
    course's team (``on_team``), and ``enrolled`` (a condition on the course), in one
    statement. Columns, not mapped objects: this is every lesson a student opens."""
    lessons = cast(Table, Lesson.__table__)
    on_team = (
        select(CourseStaff.id)
        .where(CourseStaff.course_id == Course.id, CourseStaff.user_id == bindparam("user_id"))
        .exists()
    )
    return (
        select(
            *lessons.c,
            Course.is_published.label("course_is_published"),
            Course.instructor_id.label("course_instructor_id"),
            Course.lessons_in_order.label("course_lessons_in_order"),
            has_prerequisites(lessons.c.id).label("has_prerequisites"),
            on_team.label("on_team"),
            enrolled.label("enrolled"),
        )
        .join(Course, Course.id == lessons.c.course_id)
        .where(lessons.c.id == bindparam("lesson_id"))
    )


async def lessons_of(session: AsyncSession, course_id: uuid.UUID) -> list[Lesson]:
    return list(
        await session.scalars(
            select(Lesson)
            .where(Lesson.course_id == course_id)
            .order_by(Lesson.order_index, Lesson.created_at, Lesson.id)
            .execution_options(populate_existing=True)
        )
    )


async def page_lessons(
    session: AsyncSession, course_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Lesson], int]:
    statement = (
        select(Lesson)
        .where(Lesson.course_id == course_id)
        .order_by(Lesson.order_index, Lesson.created_at, Lesson.id)
    )
    return await paginate(session, statement, offset=offset, limit=limit)


async def lesson_ids_of(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(Lesson.id).where(Lesson.course_id == course_id).order_by(Lesson.order_index)
        )
    )


async def lesson_parents(
    session: AsyncSession, course_id: uuid.UUID
) -> dict[uuid.UUID, uuid.UUID | None]:
    rows = await session.execute(
        select(Lesson.id, Lesson.parent_lesson_id).where(Lesson.course_id == course_id)
    )
    return dict(rows.all())


async def get_lessons(session: AsyncSession, lesson_ids: Sequence[uuid.UUID]) -> list[Lesson]:
    if not lesson_ids:
        return []
    return list(await session.scalars(select(Lesson).where(Lesson.id.in_(set(lesson_ids)))))


async def next_order_index(session: AsyncSession, course_id: uuid.UUID) -> int:
    highest = await session.scalar(
        select(func.max(Lesson.order_index)).where(Lesson.course_id == course_id)
    )
    return 1 if highest is None else int(highest) + 1


async def set_order(
    session: AsyncSession, course_id: uuid.UUID, ordered_ids: Sequence[uuid.UUID]
) -> None:
    """Rewrite every position in one statement: positions 1..n in the given order."""
    positions = {lesson_id: index for index, lesson_id in enumerate(ordered_ids, start=1)}
    await session.execute(
        update(Lesson)
        .where(Lesson.course_id == course_id, Lesson.id.in_(list(positions)))
        .values(order_index=case(positions, value=Lesson.id))
        .execution_options(synchronize_session="fetch")
    )


async def delete_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> None:
    # Children move to the top level (the foreign key says so too); done here explicitly
    # so the identity map and the database agree.
    await session.execute(
        update(Lesson)
        .where(Lesson.parent_lesson_id == lesson_id)
        .values(parent_lesson_id=None)
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(delete(Lesson).where(Lesson.id == lesson_id))


# The team: staff beside the owner, and the cohorts each assistant is assigned to


async def staff_role(
    session: AsyncSession, *, course_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[uuid.UUID, str] | None:
    """(staff id, role) of the user in the course's team, or None."""
    row = (
        await session.execute(
            select(CourseStaff.id, CourseStaff.role).where(
                CourseStaff.course_id == course_id, CourseStaff.user_id == user_id
            )
        )
    ).first()
    return (row.id, row.role) if row is not None else None


async def assistant_cohort_ids(session: AsyncSession, staff_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(CohortAssistant.cohort_id).where(CohortAssistant.staff_id == staff_id)
        )
    )


async def get_staff_member(
    session: AsyncSession, *, course_id: uuid.UUID, user_id: uuid.UUID
) -> CourseStaff | None:
    result: CourseStaff | None = await session.scalar(
        select(CourseStaff).where(
            CourseStaff.course_id == course_id, CourseStaff.user_id == user_id
        )
    )
    return result


async def staff_of(session: AsyncSession, course_id: uuid.UUID) -> list[CourseStaff]:
    return list(
        await session.scalars(
            select(CourseStaff)
            .where(CourseStaff.course_id == course_id)
            .order_by(CourseStaff.created_at, CourseStaff.id)
        )
    )


async def cohorts_of_staff(
    session: AsyncSession, staff_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {staff_id: [] for staff_id in staff_ids}
    if not staff_ids:
        return found
    rows = await session.execute(
        select(CohortAssistant.staff_id, CohortAssistant.cohort_id)
        .where(CohortAssistant.staff_id.in_(list(staff_ids)))
        .order_by(CohortAssistant.cohort_id)
    )
    for staff_id, cohort_id in rows:
        found[staff_id].append(cohort_id)
    return found


async def set_assistant_cohorts(
    session: AsyncSession, staff_id: uuid.UUID, cohort_ids: Sequence[uuid.UUID]
) -> None:
    await session.execute(delete(CohortAssistant).where(CohortAssistant.staff_id == staff_id))
    for cohort_id in dict.fromkeys(cohort_ids):
        session.add(CohortAssistant(staff_id=staff_id, cohort_id=cohort_id))
    await session.flush()


async def delete_staff_member(session: AsyncSession, staff_id: uuid.UUID) -> None:
    await session.execute(delete(CohortAssistant).where(CohortAssistant.staff_id == staff_id))
    await session.execute(delete(CourseStaff).where(CourseStaff.id == staff_id))


async def get_cohort(session: AsyncSession, cohort_id: uuid.UUID) -> Cohort | None:
    return await session.get(Cohort, cohort_id)


async def get_cohorts(session: AsyncSession, cohort_ids: list[uuid.UUID]) -> list[Cohort]:
    if not cohort_ids:
        return []
    return list(await session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids))))


async def cohorts_of(session: AsyncSession, course_id: uuid.UUID) -> list[Cohort]:
    return list(
        await session.scalars(
            select(Cohort).where(Cohort.course_id == course_id).order_by(Cohort.name, Cohort.id)
        )
    )


async def cohorts_by_name(session: AsyncSession, course_id: uuid.UUID) -> dict[str, uuid.UUID]:
    rows = await session.execute(
        select(Cohort.name, Cohort.id).where(Cohort.course_id == course_id)
    )
    return {row.name.casefold(): row.id for row in rows}


async def count_cohorts_in(
    session: AsyncSession, course_id: uuid.UUID, cohort_ids: Sequence[uuid.UUID]
) -> int:
    return int(
        await session.scalar(
            select(func.count(Cohort.id)).where(
                Cohort.course_id == course_id, Cohort.id.in_(list(cohort_ids))
            )
        )
        or 0
    )


async def take_cohort_seat(session: AsyncSession, cohort_id: uuid.UUID) -> bool:
    """One more member, unless the cohort is full: a single conditional UPDATE, so two
    concurrent enrollments cannot both take the last seat (PostgreSQL re-checks the
    condition on the row the other one updated; SQLite serialises writers)."""
    result = await session.execute(
        update(Cohort)
        .where(
            Cohort.id == cohort_id,
            or_(Cohort.capacity.is_(None), Cohort.member_count < Cohort.capacity),
        )
        .values(member_count=Cohort.member_count + 1)
        .returning(Cohort.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def take_cohort_seats(session: AsyncSession, cohort_id: uuid.UUID, count: int) -> bool:
    """``count`` more members at once, only if they all fit (as ``take_cohort_seat``)."""
    result = await session.execute(
        update(Cohort)
        .where(
            Cohort.id == cohort_id,
            or_(Cohort.capacity.is_(None), Cohort.member_count + count <= Cohort.capacity),
        )
        .values(member_count=Cohort.member_count + count)
        .returning(Cohort.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def team_user_ids(session: AsyncSession, course_id: uuid.UUID) -> set[uuid.UUID]:
    """The owner's and every staff member's user id."""
    owner = await session.scalar(select(Course.instructor_id).where(Course.id == course_id))
    staff = await session.scalars(
        select(CourseStaff.user_id).where(CourseStaff.course_id == course_id)
    )
    return {*staff, *([owner] if owner is not None else [])}


async def release_cohort_seat(session: AsyncSession, cohort_id: uuid.UUID) -> None:
    await session.execute(
        update(Cohort)
        .where(Cohort.id == cohort_id, Cohort.member_count > 0)
        .values(member_count=Cohort.member_count - 1)
        .execution_options(synchronize_session=False)
    )
