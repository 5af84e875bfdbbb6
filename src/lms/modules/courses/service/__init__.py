"""Courses and lessons: the catalogue, publishing, lesson content access and ordering.

Other modules call these functions, never the tables. The enrollments module plugs in
through the hooks (who is enrolled, what happens to progress when a lesson is added or
deleted, whether a course may be deleted), so this module never imports it.

One file per use case: ``lookups`` (finding, labels, visibility and management
rights), ``catalogue`` (cached reading), ``authoring`` (courses), ``lessons`` and
``hooks``. This package re-exports what the router and other modules call.
"""

from lms.modules.courses.models import Course, Lesson
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
from lms.modules.courses.service.hooks import (
    on_course_deleting,
    on_lesson_created,
    on_lesson_deleted,
    register_enrollment_condition,
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
    CourseLabel,
    CourseNotFound,
    course_label_subqueries,
    course_labels,
    course_published_subquery,
    find_lesson,
    get_course_or_raise,
    get_courses,
    get_lesson_or_raise,
    get_lessons,
    get_managed_course_or_raise,
    get_visible_course_or_raise,
    is_course_owner_or_admin,
    lesson_labels,
    list_lesson_ids,
    lock_course,
    require_course_manager,
    with_course_labels,
)

__all__ = [
    "CACHE_NAMESPACE",
    "Course",
    "CourseLabel",
    "CourseNotFound",
    "Lesson",
    "add_course",
    "add_lesson",
    "course_label_subqueries",
    "course_labels",
    "course_published_subquery",
    "course_read",
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
    "lesson_labels",
    "lesson_read",
    "list_courses",
    "list_lesson_ids",
    "list_lessons",
    "lock_course",
    "on_course_deleting",
    "on_lesson_created",
    "on_lesson_deleted",
    "publish",
    "publish_course",
    "register_enrollment_condition",
    "reorder_lessons",
    "require_course_manager",
    "unpublish_course",
    "update_course",
    "update_lesson",
    "with_course_labels",
]
