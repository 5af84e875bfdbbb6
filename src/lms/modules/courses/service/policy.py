"""Who may do what with a course: one policy that knows the course's team.

``course_access`` reads what the caller is to the course (admin, owner, co-instructor,
assistant of some cohorts, or nothing) in at most one indexed query (none for admins,
the owner and anonymous callers); ``CoursePolicy`` says what each of those may do, and
every module asks it instead of comparing ids itself:

- the owner and admins do everything, and alone delete the course, change its price
  and manage its team;
- a co-instructor edits the content (the course's fields but its price, lessons,
  quizzes), grades, reads the roster and analytics;
- an assistant grades and reads the roster and analytics of its cohorts (of the whole
  course when it has none), and edits nothing.
"""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import Forbidden
from lms.modules.courses import repository
from lms.modules.courses.schemas import CourseAccess, CourseSummary
from lms.modules.courses.schemas.team import CourseRole


class NotCourseStaff(Forbidden):
    code = "not_course_manager"
    detail = "Only the course's team or an admin may do this."


async def course_access(
    session: AsyncSession, principal: Principal | None, course: CourseSummary
) -> CourseAccess:
    """What the caller is to the course (see ``CourseAccess``)."""
    if principal is None:
        return CourseAccess(course=course, user_id=None, is_admin=False, role=None)
    if principal.is_admin or principal.id == course.instructor_id:
        role: CourseRole | None = "owner" if principal.id == course.instructor_id else None
        return CourseAccess(
            course=course, user_id=principal.id, is_admin=principal.is_admin, role=role
        )
    found = await repository.staff_role(session, course_id=course.id, user_id=principal.id)
    if found is None:
        return CourseAccess(course=course, user_id=principal.id, is_admin=False, role=None)
    staff_id, staff_role = found
    cohorts: frozenset[uuid.UUID] = frozenset()
    if staff_role == "assistant":
        cohorts = frozenset(await repository.assistant_cohort_ids(session, staff_id))
    return CourseAccess(
        course=course,
        user_id=principal.id,
        is_admin=False,
        role=cast(CourseRole, staff_role),
        cohort_ids=cohorts,
    )


async def is_on_team(session: AsyncSession, *, course_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Is the user the course's owner or on its team? (Such a user cannot enroll in it.)"""
    course = await repository.get_course(session, course_id)
    if course is None:
        return False
    if course.instructor_id == user_id:
        return True
    return await repository.staff_role(session, course_id=course_id, user_id=user_id) is not None


async def team_user_ids(session: AsyncSession, course_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """Everyone on the course's team, its owner included (none of them may be its
    student), in one round trip per table."""
    return frozenset(await repository.team_user_ids(session, course_id))


class CoursePolicy:
    """The rules, each a question on a ``CourseAccess``; ``authorize`` turns a no into
    a 403."""

    @staticmethod
    def own(access: CourseAccess) -> bool:
        """Delete the course, change its price, manage its team: the owner and admins."""
        return access.is_admin or access.role == "owner"

    @staticmethod
    def edit(access: CourseAccess) -> bool:
        """Change the course's content: lessons, quizzes, questions, fields but price."""
        return CoursePolicy.own(access) or access.role == "co_instructor"

    @staticmethod
    def is_staff(access: CourseAccess) -> bool:
        """See the course as its team does (drafts, every lesson's material)."""
        return CoursePolicy.edit(access) or access.role == "assistant"

    @staticmethod
    def teach(access: CourseAccess, cohort_id: uuid.UUID | None = None) -> bool:
        """Grade a student's work and read their progress: editors always; an assistant
        for a student of one of its cohorts (any student when it has none)."""
        if CoursePolicy.edit(access):
            return True
        if access.role != "assistant":
            return False
        return not access.cohort_ids or cohort_id in access.cohort_ids

    @staticmethod
    def read_roster(access: CourseAccess) -> bool:
        """Read the course's roster, attempts, submissions, analytics and enrollment
        figures (an assistant of some cohorts sees its cohorts' part of them:
        ``CourseAccess.within_cohorts``)."""
        return CoursePolicy.is_staff(access)


def authorize(allowed: bool, detail: str | None = None) -> None:
    """403 ``not_course_manager`` unless ``allowed``."""
    if not allowed:
        raise NotCourseStaff(detail)
