"""The course the staff benchmarks start from: an owner (an instructor account without
a password) and a published free course of two text lessons with empty cohorts."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.courses.models import Cohort, Course, Lesson
from lms.modules.users.models import User


async def add_owner_and_course(
    session: AsyncSession, *, owner_email: str, title: str, slug: str, cohorts: tuple[str, ...]
) -> tuple[User, Course, list[Cohort]]:
    """Flushed, not committed: the caller adds its own rows and commits."""
    owner = User(
        email=owner_email, password_hash=None, full_name="Owner", role="instructor", is_active=True
    )
    session.add(owner)
    await session.flush()
    course = Course(
        title=title,
        slug=slug,
        instructor_id=owner.id,
        is_published=True,
        price=Decimal("0"),
        currency="EGP",
    )
    session.add(course)
    await session.flush()
    session.add_all(
        Lesson(
            course_id=course.id,
            title=f"L{index}",
            slug=f"l{index}",
            lesson_type="text",
            order_index=index,
        )
        for index in range(2)
    )
    made = [Cohort(course_id=course.id, name=name, member_count=0) for name in cohorts]
    session.add_all(made)
    await session.flush()
    return owner, course, made
