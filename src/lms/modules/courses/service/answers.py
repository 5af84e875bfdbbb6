"""What the courses module answers when another module asks (subscribed in
``lms/wiring.py``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules import files
from lms.modules.courses import repository
from lms.modules.courses.service.lookups import load_course_or_raise, manages


async def course_managers_attach_files(
    session: AsyncSession, question: files.LessonAttachmentAsked
) -> bool:
    """Files are attached to a lesson by its course's instructor (or an admin); an
    unknown lesson is nobody's."""
    lesson = await repository.get_lesson(session, question.lesson_id)
    if lesson is None:
        return False
    course = await load_course_or_raise(session, lesson.course_id)
    return manages(question.principal, course.instructor_id)
