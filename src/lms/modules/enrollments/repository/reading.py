"""Pages of enrollments (a student's, a course's) and an enrollment's progress rows."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate
from lms.core.session import Executor
from lms.modules import courses
from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.enrollments.repository.expressions import ENROLLMENTS


async def progress_of(session: AsyncSession, enrollment_id: uuid.UUID) -> list[LessonProgress]:
    return list(
        await session.scalars(
            select(LessonProgress).where(LessonProgress.enrollment_id == enrollment_id)
        )
    )


@functools.cache
def _page_statements(
    owner: str, *, with_status: bool
) -> tuple[Select[Enrollment, int], Select[int]]:
    """(page, count) statements of one owner column ("student_id": newest first;
    "course_id": oldest first), composed once per shape; parameters ``owner``,
    ``status``, ``offset`` and ``limit``."""
    column = Enrollment.student_id if owner == "student_id" else Enrollment.course_id
    conditions = [column == bindparam("owner")]
    if with_status:
        conditions.append(Enrollment.status == bindparam("status"))
    order = Enrollment.enrolled_at.desc() if owner == "student_id" else Enrollment.enrolled_at
    # The total rides along with the page (a window count): one statement, not two.
    page = (
        select(Enrollment, func.count().over().label("total"))
        .where(*conditions)
        .order_by(order, Enrollment.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    count = select(func.count(Enrollment.id)).where(*conditions)
    return page, count


@functools.cache
def _labelled_student_page(*, with_status: bool) -> Any:
    """A student's page as columns (no mapped objects to build), with the window total
    and the course's title and slug; the parameters of ``_page_statements``."""
    table = ENROLLMENTS
    conditions = [table.c.student_id == bindparam("owner")]
    if with_status:
        conditions.append(table.c.status == bindparam("status"))
    return (
        select(
            *table.c,
            func.count().over().label("total"),
            courses.course_title(table.c.course_id).label("course_title"),
            courses.course_slug(table.c.course_id).label("course_slug"),
        )
        .where(*conditions)
        .order_by(table.c.enrolled_at.desc(), table.c.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


async def _page_rows(
    session: Executor,
    owner: str,
    owner_id: uuid.UUID,
    *,
    status: str | None,
    offset: int,
    limit: int,
    page_statement: Any = None,
) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
    default_page, count_statement = _page_statements(owner, with_status=bool(status))
    params: dict[str, Any] = {"owner": owner_id, "offset": offset, "limit": limit}
    if status:
        params["status"] = status
    statement = default_page if page_statement is None else page_statement
    page = (await session.execute(statement, params)).all()
    if page:
        return page, int(page[0].total)
    total = 0
    if offset:  # past the last page: the window had no row to ride on
        total = int(await session.scalar(count_statement, params) or 0)
    return [], total


async def page_for_student(
    session: AsyncSession, student_id: uuid.UUID, *, status: str | None, offset: int, limit: int
) -> tuple[list[Enrollment], int]:
    rows, total = await _page_rows(
        session, "student_id", student_id, status=status, offset=offset, limit=limit
    )
    return [row[0] for row in rows], total


async def labelled_page_for_student(
    session: Executor,
    student_id: uuid.UUID,
    *,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
    """A page of the student's enrollments as rows of columns, each with
    ``course_title`` and ``course_slug``, in one statement."""
    statement = _labelled_student_page(with_status=bool(status))
    return await _page_rows(
        session, "student_id", student_id, status=status, offset=offset, limit=limit,
        page_statement=statement,
    )  # fmt: skip


async def page_for_course(
    session: AsyncSession,
    course_id: uuid.UUID,
    *,
    status: str | None,
    offset: int,
    limit: int,
    cohort_ids: Collection[uuid.UUID] | None = None,
) -> tuple[list[Enrollment], int]:
    """A page of the course's enrollments, newest first (of ``cohort_ids`` only, when
    given)."""
    if cohort_ids is not None:
        statement = (
            select(Enrollment)
            .where(Enrollment.course_id == course_id, Enrollment.cohort_id.in_(list(cohort_ids)))
            .order_by(Enrollment.enrolled_at.desc(), Enrollment.id)
        )
        if status:
            statement = statement.where(Enrollment.status == status)
        return await paginate(session, statement, offset=offset, limit=limit)
    rows, total = await _page_rows(
        session, "course_id", course_id, status=status, offset=offset, limit=limit
    )
    return [row[0] for row in rows], total
