"""Courses and lessons: the catalogue, publishing, lesson content and its access rule,
lesson order.

Public surface:
- read models ``CourseSummary``, ``LessonSummary`` and ``CourseLabel``, found by id
  (``get_course_or_raise``, ``get_courses``, ``course_labels``, ``get_lesson_or_raise``,
  ``find_lesson``, ``get_lessons``, ``list_lesson_ids``) or with the caller's rights
  (``get_visible_course_or_raise``, ``get_managed_course_or_raise``);
- who may do what (``CourseAccess`` read by ``course_access``, the rules of
  ``CoursePolicy``, ``authorize`` for a 403, ``team_user_ids``) and the course row
  lock (``lock_course``);
- cohorts for enrollments (``CohortSummary``, ``get_course_cohort_or_raise``,
  ``get_cohorts``, ``cohort_ids_by_name``, ``take_cohort_seat`` or 409 ``CohortFull``,
  ``take_cohort_seats``,
  ``release_cohort_seat``, ``CohortNotFound``);
- SQL expressions for other modules' statements (``course_title``, ``course_slug``,
  ``course_is_published``, ``lesson_title``, ``lesson_order_index``);
- authoring for seeding (``add_course``, ``add_lesson``, ``publish``, ``find_course``
  with ``CourseCreate`` and ``LessonCreate``);
- drip release: a student's locks (``lesson_locks`` of ``LessonLock``), the refusal of
  a locked lesson (``require_lesson_unlocked`` or 403 ``LessonLocked``), whether a
  lesson has rules at all, as SQL for a hot statement (``lesson_is_gated``), and the
  lessons that open at a date for a calendar (``lesson_unlocks_between`` of
  ``LessonUnlock``);
- the events it publishes (``CoursePublished``, ``CourseUnpublished``,
  ``LessonCreated``, ``LessonDeleted``, ``CourseStaffChanged``,
  ``CourseOwnershipTransferred``, the guard
  ``CourseDeleting``) and what it asks in SQL (the conditions ``MaterialAccess`` and
  ``LessonDone``, the lookups ``LearnerStartedAt`` and ``LearnerCohort``); its answer
  to the files module's ``LessonAttachmentAsked`` (``course_managers_attach_files``);
- the errors ``CourseNotFound`` and ``LessonNotFound``; ``CACHE_NAMESPACE``, the
  response-cache namespace of its public pages; ``routers`` for the application.

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.courses.events import (
    CourseDeleting,
    CourseOwnershipTransferred,
    CoursePublished,
    CourseStaffChanged,
    CourseUnpublished,
    LearnerCohort,
    LearnerStartedAt,
    LessonCreated,
    LessonDeleted,
    LessonDone,
    MaterialAccess,
)
from lms.modules.courses.privacy import PERSONAL_DATA
from lms.modules.courses.router import routers
from lms.modules.courses.schemas import (
    CourseAccess,
    CourseCreate,
    CourseLabel,
    CourseSummary,
    LessonCreate,
    LessonSummary,
)
from lms.modules.courses.schemas.team import CohortSummary
from lms.modules.courses.service import (
    CACHE_NAMESPACE,
    CohortFull,
    CohortNotFound,
    CourseNotFound,
    CoursePolicy,
    LessonLock,
    LessonLocked,
    LessonNotFound,
    LessonUnlock,
    Rule,
    add_course,
    add_lesson,
    authorize,
    cohort_ids_by_name,
    course_access,
    course_is_published,
    course_labels,
    course_managers_attach_files,
    course_slug,
    course_title,
    find_course,
    find_lesson,
    get_cohorts,
    get_course_by_slug_or_raise,
    get_course_cohort_or_raise,
    get_course_or_raise,
    get_courses,
    get_lesson_or_raise,
    get_lessons,
    get_managed_course_or_raise,
    get_visible_course_or_raise,
    is_on_team,
    lesson_is_gated,
    lesson_locks,
    lesson_order_index,
    lesson_title,
    lesson_unlocks_between,
    list_lesson_ids,
    lock_course,
    publish,
    put_on_team,
    release_cohort_seat,
    require_lesson_unlocked,
    take_cohort_seat,
    take_cohort_seats,
    team_user_ids,
)

__all__ = [
    "CACHE_NAMESPACE",
    "PERSONAL_DATA",
    "CohortFull",
    "CohortNotFound",
    "CohortSummary",
    "CourseAccess",
    "CourseCreate",
    "CourseDeleting",
    "CourseLabel",
    "CourseNotFound",
    "CourseOwnershipTransferred",
    "CoursePolicy",
    "CoursePublished",
    "CourseStaffChanged",
    "CourseSummary",
    "CourseUnpublished",
    "LearnerCohort",
    "LearnerStartedAt",
    "LessonCreate",
    "LessonCreated",
    "LessonDeleted",
    "LessonDone",
    "LessonLock",
    "LessonLocked",
    "LessonNotFound",
    "LessonSummary",
    "LessonUnlock",
    "MaterialAccess",
    "Rule",
    "add_course",
    "add_lesson",
    "authorize",
    "cohort_ids_by_name",
    "course_access",
    "course_is_published",
    "course_labels",
    "course_managers_attach_files",
    "course_slug",
    "course_title",
    "find_course",
    "find_lesson",
    "get_cohorts",
    "get_course_by_slug_or_raise",
    "get_course_cohort_or_raise",
    "get_course_or_raise",
    "get_courses",
    "get_lesson_or_raise",
    "get_lessons",
    "get_managed_course_or_raise",
    "get_visible_course_or_raise",
    "is_on_team",
    "lesson_is_gated",
    "lesson_locks",
    "lesson_order_index",
    "lesson_title",
    "lesson_unlocks_between",
    "list_lesson_ids",
    "lock_course",
    "publish",
    "put_on_team",
    "release_cohort_seat",
    "require_lesson_unlocked",
    "routers",
    "take_cohort_seat",
    "take_cohort_seats",
    "team_user_ids",
]
