"""Course-grade overrides and the history of grade changes.

The course's editors (``CoursePolicy.edit``: owner, co-instructors, admins) set a
student's course grade by hand, with a reason, and clear it again; assistants grade
items but do not override course grades. Every change of a grade is kept with who,
when, before and after: an override set or cleared (the course grade that counted
before and after), an attempt of a graded quiz graded by hand (``quiz_regraded``: the
attempt's percentage) and an assignment graded (``assignment_graded``: the score).
Automatic marking at submission is not a change: the attempt itself records it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.pagination import Page, PageParams, page_of
from lms.modules import assignments, courses, quizzes
from lms.modules.grades import repository
from lms.modules.grades.events import GradeOverridden
from lms.modules.grades.models import GradeChange, GradeOverride
from lms.modules.grades.schemas import GradeChangeRead, OverrideIn, OverrideRead
from lms.modules.grades.service.gradebook import StudentNotInCourse, computed_grade
from lms.modules.grades.service.schemes import load_layout

CENT = Decimal("0.01")


async def _student_of(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    rule: courses.Rule,
) -> tuple[courses.CourseAccess, Any]:
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=rule
    )
    row = await repository.student_row(session, access.course.id, student_id)
    # An assistant of other cohorts does not learn that the student is in the course.
    if row is None or not courses.CoursePolicy.teach(access, row.cohort_id):
        raise StudentNotInCourse()
    return access, row


async def set_override(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    data: OverrideIn,
) -> OverrideRead:
    """Set the student's course grade (replacing an earlier override)."""
    access, row = await _student_of(
        session,
        principal=principal,
        course_id=course_id,
        student_id=student_id,
        rule=courses.CoursePolicy.edit,
    )
    grade = data.grade.quantize(CENT)
    layout = await load_layout(session, access.course.id)
    _, before = await computed_grade(session, layout, row)
    now = utcnow()
    override = await repository.get_override_for_update(session, row.enrollment_id)
    if override is None:
        override = await repository.add_override(
            session,
            GradeOverride(
                enrollment_id=row.enrollment_id,
                course_id=access.course.id,
                student_id=row.student_id,
                grade=grade,
                reason=data.reason,
                set_by_id=principal.id,
                set_at=now,
            ),
        )
    else:
        override.grade = grade
        override.reason = data.reason
        override.set_by_id = principal.id
        override.set_at = now
    await repository.add_change(
        session,
        GradeChange(
            enrollment_id=row.enrollment_id,
            course_id=access.course.id,
            student_id=row.student_id,
            kind="override_set",
            before=before,
            after=grade,
            reason=data.reason,
            changed_by_id=principal.id,
            changed_at=now,
        ),
    )
    await events.publish(
        session,
        GradeOverridden(
            course_id=access.course.id,
            enrollment_id=row.enrollment_id,
            student_id=row.student_id,
            changed_by_id=principal.id,
            before=before,
            after=grade,
            cleared=False,
            reason=data.reason,
        ),
    )
    return OverrideRead(
        enrollment_id=row.enrollment_id,
        student_id=row.student_id,
        grade=grade,
        letter=layout.letter(grade),
        reason=data.reason,
        set_by_id=principal.id,
        set_at=now,
    )


async def clear_override(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, student_id: uuid.UUID
) -> None:
    """Clear the student's override: the computed grade counts again (nothing to do, and
    nothing recorded, when there is none)."""
    access, row = await _student_of(
        session,
        principal=principal,
        course_id=course_id,
        student_id=student_id,
        rule=courses.CoursePolicy.edit,
    )
    override = await repository.get_override_for_update(session, row.enrollment_id)
    if override is None:
        return
    before = override.grade
    await repository.delete_override(session, row.enrollment_id)
    layout = await load_layout(session, access.course.id)
    after, _ = await computed_grade(session, layout, row)
    await repository.add_change(
        session,
        GradeChange(
            enrollment_id=row.enrollment_id,
            course_id=access.course.id,
            student_id=row.student_id,
            kind="override_cleared",
            before=before,
            after=after,
            changed_by_id=principal.id,
            changed_at=utcnow(),
        ),
    )
    await events.publish(
        session,
        GradeOverridden(
            course_id=access.course.id,
            enrollment_id=row.enrollment_id,
            student_id=row.student_id,
            changed_by_id=principal.id,
            before=before,
            after=after,
            cleared=True,
            reason=None,
        ),
    )


async def grade_history(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    student_id: uuid.UUID,
    page: PageParams,
) -> Page[GradeChangeRead]:
    """The student's grade changes, newest first, for those who teach the student
    (``CoursePolicy.teach``; an assistant of another cohort gets 404)."""
    _, row = await _student_of(
        session,
        principal=principal,
        course_id=course_id,
        student_id=student_id,
        rule=courses.CoursePolicy.read_roster,
    )
    changes, total = await repository.page_changes(
        session, row.enrollment_id, offset=page.offset, limit=page.page_size
    )
    return page_of(
        [
            GradeChangeRead(
                id=change.id,
                kind=change.kind,
                item_id=change.item_id,
                source_id=change.source_id,
                before=change.before,
                after=change.after,
                reason=change.reason,
                changed_by_id=change.changed_by_id,
                changed_at=change.changed_at,
            )
            for change in changes
        ],
        total,
        page,
    )


async def record_quiz_regrade(session: AsyncSession, event: quizzes.QuizAttemptGraded) -> None:
    """An attempt of a graded quiz graded by hand: its percentage before and after.
    (Marked automatically on submission: nothing to record, and no statement on the
    exam-day path.)"""
    if event.graded_by_id is None or event.quiz_type != "graded":
        return
    await repository.add_change(
        session,
        GradeChange(
            enrollment_id=event.enrollment_id,
            course_id=event.course_id,
            student_id=event.student_id,
            kind="quiz_regraded",
            item_id=event.quiz_id,
            source_id=event.attempt_id,
            before=event.previous_percentage,
            after=event.percentage,
            changed_by_id=event.graded_by_id,
            changed_at=utcnow(),
        ),
    )


async def record_assignment_grade(
    session: AsyncSession, event: assignments.AssignmentGraded
) -> None:
    """A submission graded: its score before (None the first time) and after."""
    await repository.add_change(
        session,
        GradeChange(
            enrollment_id=event.enrollment_id,
            course_id=event.course_id,
            student_id=event.student_id,
            kind="assignment_graded",
            item_id=event.lesson_id,
            source_id=event.submission_id,
            before=event.previous_score,
            after=event.score,
            changed_by_id=event.graded_by_id,
            changed_at=utcnow(),
        ),
    )
