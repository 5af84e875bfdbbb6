"""SQL for enrollments and progress. Counters change only through single UPDATE
statements (``x = x + :delta`` or a recount), never read-modify-write in Python, so
concurrent requests for one enrollment add up exactly.

One persistence path: an enrollment row is inserted through the session (its unique
constraint decides a race), and every later change to it is one of the UPDATE
statements here, never an attribute set on a loaded object. A statement whose row the
caller goes on to read returns it (``RETURNING`` the entity, refreshing the session's
copy, or a row of columns), so nobody has to remember to read it again.

One file per use case, as in the service; ``expressions`` holds what several share.
"""

from lms.modules.enrollments.repository.course_changes import (
    add_lessons_to_totals,
    count_for_course,
    enrollment_ids_of_course,
    lock_enrollments_of_course,
    recount_course,
)
from lms.modules.enrollments.repository.enrolling import (
    add_progress_rows,
    add_progress_rows_for,
    change_status,
    insert_enrollments,
    places_in_course,
    set_cohort,
    set_status,
)
from lms.modules.enrollments.repository.lookups import (
    access_condition,
    accessible_enrollment_column,
    accessible_enrollment_id,
    course_enrollments,
    get,
    get_for,
    in_cohorts_condition,
    lesson_done_condition,
    list_enrollments,
    student_cohort_id,
)
from lms.modules.enrollments.repository.periodic_emails import (
    inactive_enrollments,
    weekly_activity,
)
from lms.modules.enrollments.repository.progress import (
    add_time,
    complete_if_done,
    count_lesson_completed,
    finish_completed,
    log_learning_time,
    mark_lesson_completed,
    progress_exists,
    record_progress,
    set_certificate_issued,
)
from lms.modules.enrollments.repository.reading import (
    labelled_page_for_student,
    page_for_course,
    progress_of,
)
from lms.modules.enrollments.repository.reviews import course_stats, set_review

__all__ = [
    "access_condition",
    "accessible_enrollment_column",
    "accessible_enrollment_id",
    "add_lessons_to_totals",
    "add_progress_rows",
    "add_progress_rows_for",
    "add_time",
    "change_status",
    "complete_if_done",
    "count_for_course",
    "count_lesson_completed",
    "course_enrollments",
    "course_stats",
    "enrollment_ids_of_course",
    "finish_completed",
    "get",
    "get_for",
    "in_cohorts_condition",
    "inactive_enrollments",
    "insert_enrollments",
    "labelled_page_for_student",
    "lesson_done_condition",
    "list_enrollments",
    "lock_enrollments_of_course",
    "log_learning_time",
    "mark_lesson_completed",
    "page_for_course",
    "places_in_course",
    "progress_exists",
    "progress_of",
    "record_progress",
    "recount_course",
    "set_certificate_issued",
    "set_cohort",
    "set_review",
    "set_status",
    "student_cohort_id",
    "weekly_activity",
]
