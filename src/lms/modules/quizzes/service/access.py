"""Who may see a quiz, who may manage it, who may take it. Every use case starts here:
a quiz the caller may not see is 404, so drafts and other courses stay hidden."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import NotFound
from lms.modules import courses, enrollments
from lms.modules.quizzes import repository
from lms.modules.quizzes.models import Quiz
from lms.modules.quizzes.service.errors import NotEnrolled, QuizNotFound


@dataclass(frozen=True)
class QuizContext:
    quiz: Quiz
    course: courses.CourseSummary
    access: courses.CourseAccess

    @property
    def is_manager(self) -> bool:
        """Does the caller edit the course's quizzes (``CoursePolicy.edit``)?"""
        return courses.CoursePolicy.edit(self.access)


async def can_manage(
    session: AsyncSession, principal: Principal | None, course: courses.CourseSummary
) -> bool:
    """Whether the caller edits the course's quizzes (its owner, a co-instructor, an
    admin: ``CoursePolicy.edit``)."""
    if principal is None:
        return False
    return courses.CoursePolicy.edit(await courses.course_access(session, principal, course))


async def get_quiz_or_raise(session: AsyncSession, quiz_id: uuid.UUID) -> Quiz:
    """The quiz, whoever asks; 404 if there is none."""
    quiz = await repository.get_quiz(session, quiz_id)
    if quiz is None:
        raise QuizNotFound()
    return quiz


async def visible_quiz(
    session: AsyncSession,
    *,
    principal: Principal | None,
    quiz_id: uuid.UUID,
    course_id: uuid.UUID | None = None,
) -> QuizContext:
    """The quiz if the caller may see it: the course's managers always, everyone who may
    see the course only a published quiz. Anything else is 404, so drafts stay hidden."""
    quiz = await get_quiz_or_raise(session, quiz_id)
    if course_id is not None and quiz.course_id != course_id:
        raise QuizNotFound()
    try:
        course = await courses.get_visible_course_or_raise(
            session, principal=principal, course_id=quiz.course_id
        )
    except NotFound as exc:
        raise QuizNotFound() from exc
    context = QuizContext(
        quiz=quiz, course=course, access=await courses.course_access(session, principal, course)
    )
    if not quiz.is_published and not courses.CoursePolicy.is_staff(context.access):
        raise QuizNotFound()
    return context


async def managed_quiz(
    session: AsyncSession,
    *,
    principal: Principal,
    quiz_id: uuid.UUID,
    course_id: uuid.UUID | None = None,
    rule: courses.Rule = courses.CoursePolicy.edit,
) -> QuizContext:
    """The quiz if ``rule`` (by default: editing the course) lets the caller act on it:
    404 if they cannot see it, 403 if they see it but the rule says no."""
    context = await visible_quiz(session, principal=principal, quiz_id=quiz_id, course_id=course_id)
    courses.authorize(rule(context.access))
    return context


async def managed_course(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID
) -> courses.CourseSummary:
    """The course if the caller edits it (404 / 403 as for ``managed_quiz``)."""
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id
    )
    return access.course


async def enrollment_for_taking(
    session: AsyncSession, *, principal: Principal, course: courses.CourseSummary
) -> enrollments.EnrollmentSummary:
    """The caller's enrollment in the course, if it lets them take its quizzes (403
    ``not_enrolled`` otherwise)."""
    enrollment = await enrollments.get_enrollment_for(
        session, student_id=principal.id, course_id=course.id
    )
    if enrollment is None or not enrollment.gives_access:
        raise NotEnrolled()
    return enrollment
