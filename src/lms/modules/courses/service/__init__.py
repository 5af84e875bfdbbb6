"""Courses and lessons: the catalogue, publishing, lesson content access and ordering.

Other modules use the package's surface (``lms.modules.courses``), never these files or
the tables. What this module must learn from others (who has access to a course's
material, whether a course may be deleted) and what it tells them (a lesson added or
deleted) goes through domain events (``lms.modules.courses.events``, wired in
``lms/wiring.py``), so it imports none of the modules above it; it uses the users
module (instructors) and answers the files module's question about lesson files.

One file per use case: ``lookups`` (finding, visibility and management rights),
``answers`` (to other modules' questions), ``expressions`` (what other statements may
embed), ``access`` (the material-access condition in SQL), ``catalogue`` (cached
reading), ``authoring`` (courses), ``lessons``. This package re-exports what the router
and the surface use.
"""

from lms.modules.courses.service.answers import course_managers_attach_files
from lms.modules.courses.service.authoring import (
    add_course,
    create_course,
    delete_course,
    find_course,
    publish,
    publish_course,
    unpublish_course,
    update_course,
)
from lms.modules.courses.service.catalogue import (
    CACHE_NAMESPACE,
    course_read,
    get_course_view,
    list_courses,
)
from lms.modules.courses.service.expressions import (
    course_is_published,
    course_slug,
    course_title,
    lesson_order_index,
    lesson_title,
)
from lms.modules.courses.service.lessons import (
    add_lesson,
    create_lesson,
    delete_lesson,
    get_lesson_view,
    lesson_read,
    list_lessons,
    reorder_lessons,
    update_lesson,
)
from lms.modules.courses.service.lookups import (
    CourseNotFound,
    LessonNotFound,
    course_labels,
    find_lesson,
    get_course_or_raise,
    get_courses,
    get_lesson_or_raise,
    get_lessons,
    get_managed_course_or_raise,
    get_visible_course_or_raise,
    is_course_owner_or_admin,
    list_lesson_ids,
    lock_course,
    require_course_manager,
)

__all__ = [
    "CACHE_NAMESPACE",
    "CourseNotFound",
    "LessonNotFound",
    "add_course",
    "add_lesson",
    "course_is_published",
    "course_labels",
    "course_managers_attach_files",
    "course_read",
    "course_slug",
    "course_title",
    "create_course",
    "create_lesson",
    "delete_course",
    "delete_lesson",
    "find_course",
    "find_lesson",
    "get_course_or_raise",
    "get_course_view",
    "get_courses",
    "get_lesson_or_raise",
    "get_lesson_view",
    "get_lessons",
    "get_managed_course_or_raise",
    "get_visible_course_or_raise",
    "is_course_owner_or_admin",
    "lesson_order_index",
    "lesson_read",
    "lesson_title",
    "list_courses",
    "list_lesson_ids",
    "list_lessons",
    "lock_course",
    "publish",
    "publish_course",
    "reorder_lessons",
    "require_course_manager",
    "unpublish_course",
    "update_course",
    "update_lesson",
]
