"""Courses and lessons: the catalogue, publishing, lesson content access and ordering.

Other modules use the package's surface (``lms.modules.courses``), never these files or
the tables. What this module must learn from others (who has access to a course's
material, whether a course may be deleted) and what it tells them (a lesson added or
deleted) goes through domain events (``lms.modules.courses.events``, wired in
``lms/wiring.py``), so it imports none of the modules above it; it uses the users
module (instructors) and answers the files module's question about lesson files.

One file per use case: ``lookups`` (finding, visibility), ``policy`` (who may do what: the team's
rights), ``team`` (staff, ownership), ``cohorts``,
``answers`` (to other modules' questions), ``expressions`` (what other statements may
embed), ``access`` (the material-access condition in SQL), ``catalogue`` (cached
reading), ``authoring`` (courses), ``lessons``, ``drip`` (when a lesson opens for a
student). This package re-exports what the router
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
from lms.modules.courses.service.cohorts import (
    CohortFull,
    CohortNotFound,
    cohort_ids_by_name,
    create_cohort,
    delete_cohort,
    get_cohort,
    get_cohorts,
    get_course_cohort_or_raise,
    list_cohorts,
    release_cohort_seat,
    take_cohort_seat,
    take_cohort_seats,
    update_cohort,
)
from lms.modules.courses.service.drip import (
    LessonLock,
    LessonLocked,
    LessonUnlock,
    lesson_is_gated,
    lesson_locks,
    lesson_unlocks_between,
    require_lesson_unlocked,
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
    prerequisites_in_course,
    prerequisites_of,
    reorder_lessons,
    update_lesson,
)
from lms.modules.courses.service.lookups import (
    CourseNotFound,
    LessonNotFound,
    Rule,
    course_labels,
    find_lesson,
    get_course_by_slug_or_raise,
    get_course_or_raise,
    get_courses,
    get_lesson_or_raise,
    get_lessons,
    get_managed_course_or_raise,
    get_visible_course_or_raise,
    list_lesson_ids,
    lock_course,
)
from lms.modules.courses.service.policy import (
    CoursePolicy,
    authorize,
    course_access,
    is_on_team,
    team_user_ids,
)
from lms.modules.courses.service.team import (
    add_staff,
    list_staff,
    put_on_team,
    remove_staff,
    transfer_ownership,
    update_staff,
)

__all__ = [
    "CACHE_NAMESPACE",
    "CohortFull",
    "CohortNotFound",
    "CourseNotFound",
    "CoursePolicy",
    "LessonLock",
    "LessonLocked",
    "LessonNotFound",
    "LessonUnlock",
    "Rule",
    "add_course",
    "add_lesson",
    "add_staff",
    "authorize",
    "cohort_ids_by_name",
    "course_access",
    "course_is_published",
    "course_labels",
    "course_managers_attach_files",
    "course_read",
    "course_slug",
    "course_title",
    "create_cohort",
    "create_course",
    "create_lesson",
    "delete_cohort",
    "delete_course",
    "delete_lesson",
    "find_course",
    "find_lesson",
    "get_cohort",
    "get_cohorts",
    "get_course_by_slug_or_raise",
    "get_course_cohort_or_raise",
    "get_course_or_raise",
    "get_course_view",
    "get_courses",
    "get_lesson_or_raise",
    "get_lesson_view",
    "get_lessons",
    "get_managed_course_or_raise",
    "get_visible_course_or_raise",
    "is_on_team",
    "lesson_is_gated",
    "lesson_locks",
    "lesson_order_index",
    "lesson_read",
    "lesson_title",
    "lesson_unlocks_between",
    "list_cohorts",
    "list_courses",
    "list_lesson_ids",
    "list_lessons",
    "list_staff",
    "lock_course",
    "prerequisites_in_course",
    "prerequisites_of",
    "publish",
    "publish_course",
    "put_on_team",
    "release_cohort_seat",
    "remove_staff",
    "reorder_lessons",
    "require_lesson_unlocked",
    "take_cohort_seat",
    "take_cohort_seats",
    "team_user_ids",
    "transfer_ownership",
    "unpublish_course",
    "update_cohort",
    "update_course",
    "update_lesson",
    "update_staff",
]
