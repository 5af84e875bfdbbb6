"""What the courses module answers when another module asks (subscribed in
``lms/wiring.py``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules import files
from lms.modules.courses import repository
from lms.modules.courses.service.lookups import access_to, load_course_or_raise
from lms.modules.courses.service.policy import CoursePolicy


async def course_managers_attach_files(
    session: AsyncSession, question: files.LessonAttachmentAsked
) -> bool:
    """Files are attached to a lesson by those who edit its course (its owner,
    co-instructors, admins); an unknown lesson is nobody's."""
    lesson = await repository.get_lesson(session, question.lesson_id)
    if lesson is None:
        return False
    course = await load_course_or_raise(session, lesson.course_id)
    return CoursePolicy.edit(await access_to(session, question.principal, course))
