"""Demo data for a newcomer: accounts of each role and a small published catalogue."""

from __future__ import annotations

from typing import Any

import typer

from lms.core.cache import Cache, create_store
from lms.core.config import Settings
from lms.core.session import commit

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105  (public demo accounts)
DEMO_USERS = [
    ("admin@demo.lms", "Demo Admin", "admin"),
    ("instructor@demo.lms", "Dana Instructor", "instructor"),
    ("student@demo.lms", "Sam Student", "student"),
    ("student2@demo.lms", "سارة الطالبة", "student"),
]
DEMO_INSTRUCTOR = "instructor@demo.lms"

_VIDEO = "https://videos.example.com/demo"
DEMO_COURSES: list[dict[str, Any]] = [
    {
        "course": {
            "title": "Python for Beginners",
            "description": "Variables, control flow and functions, from zero to your first script.",
            "category": "Programming",
            "difficulty_level": "beginner",
            "estimated_duration_minutes": 180,
        },
        "lessons": [
            {
                "title": "Welcome to Python",
                "lesson_type": "video",
                "video_url": f"{_VIDEO}/python-welcome.mp4",
                "duration_minutes": 5,
                "is_preview": True,
                "content": "What you will build in this course.",
            },
            {
                "title": "Variables and types",
                "lesson_type": "text",
                "content": "Numbers, strings and booleans; naming things well.",
                "duration_minutes": 20,
            },
            {
                "title": "Control flow",
                "lesson_type": "video",
                "video_url": f"{_VIDEO}/python-control-flow.mp4",
                "duration_minutes": 25,
            },
            {
                "title": "Functions",
                "lesson_type": "text",
                "content": "Parameters, return values and small reusable pieces.",
                "duration_minutes": 30,
            },
        ],
    },
    {
        "course": {
            "title": "مقدمة في تطوير الويب",
            "description": "أساسيات HTML و CSS لبناء أول صفحة ويب خاصة بك.",
            "category": "Web",
            "difficulty_level": "beginner",
            "estimated_duration_minutes": 120,
            "currency": "EGP",
        },
        "lessons": [
            {
                "title": "مرحبا بك في الدورة",
                "lesson_type": "video",
                "video_url": f"{_VIDEO}/web-welcome.mp4",
                "duration_minutes": 4,
                "is_preview": True,
                "content": "نظرة عامة على ما ستتعلمه.",
            },
            {
                "title": "أساسيات HTML",
                "lesson_type": "text",
                "content": "العناوين والفقرات والروابط والصور.",
                "duration_minutes": 25,
            },
            {
                "title": "تنسيق الصفحات باستخدام CSS",
                "lesson_type": "video",
                "video_url": f"{_VIDEO}/web-css.mp4",
                "duration_minutes": 30,
            },
        ],
    },
    {
        "course": {
            "title": "Data Analysis with SQL",
            "description": "Query, join and aggregate real data sets with SQL.",
            "category": "Data",
            "difficulty_level": "intermediate",
            "estimated_duration_minutes": 240,
        },
        "lessons": [
            {
                "title": "Why SQL?",
                "lesson_type": "video",
                "video_url": f"{_VIDEO}/sql-why.mp4",
                "duration_minutes": 6,
                "is_preview": True,
                "content": "Where SQL shines, and the data set we will use.",
            },
            {
                "title": "SELECT and WHERE",
                "lesson_type": "text",
                "content": "Choosing columns and filtering rows.",
                "duration_minutes": 25,
            },
            {
                "title": "Joins",
                "lesson_type": "video",
                "video_url": f"{_VIDEO}/sql-joins.mp4",
                "duration_minutes": 35,
            },
            {
                "title": "Aggregates and GROUP BY",
                "lesson_type": "text",
                "content": "COUNT, SUM, AVG and grouping.",
                "duration_minutes": 30,
            },
        ],
    },
]


async def _seed_courses(session: Any, cache: Cache) -> list[str]:
    from lms.modules import courses, users

    instructor = await users.find_account_by_email(session, DEMO_INSTRUCTOR)
    assert instructor is not None
    titles = []
    for spec in DEMO_COURSES:
        data = courses.CourseCreate.model_validate(spec["course"])
        titles.append(data.title)
        if await courses.find_course(session, instructor_id=instructor.id, title=data.title):
            continue
        course = await courses.add_course(
            session, cache=cache, instructor_id=instructor.id, data=data
        )
        for lesson in spec["lessons"]:
            await courses.add_lesson(
                session,
                cache=cache,
                course_id=course.id,
                data=courses.LessonCreate.model_validate(lesson),
            )
        await courses.publish(session, cache=cache, course_id=course.id)
    return titles


async def seed(sessionmaker: Any, settings: Settings) -> None:
    from lms.modules import users

    store = create_store(settings)
    cache = Cache(store, settings.cache_ttl_seconds)
    try:
        async with sessionmaker() as session:
            for email, name, role in DEMO_USERS:
                if await users.find_account_by_email(session, email) is None:
                    await users.create_user(
                        session,
                        settings=settings,
                        email=email,
                        password=DEMO_PASSWORD,
                        full_name=name,
                        role=role,
                    )
            titles = await _seed_courses(session, cache)
            await commit(session)
    finally:
        await store.close()
    typer.echo(f"demo accounts ready (password {DEMO_PASSWORD!r}):")
    for email, _name, role in DEMO_USERS:
        typer.echo(f"  {role:<10} {email}")
    typer.echo(f"published courses by {DEMO_INSTRUCTOR}:")
    for title in titles:
        typer.echo(f"  {title}")
