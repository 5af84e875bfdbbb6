"""Enrollments and progress: enrolling (free, or paid once the payments module says the
student has paid), progress and completion with exact counters, reviews, course
statistics, and the weekly-progress and reminder emails.

One file per use case: ``lookups`` (finding, rights, the access rule as SQL),
``enrolling``, ``progress``, ``reading``, ``reviews`` (with the course statistics),
``periodic_emails``; ``reactions`` holds how enrollments follow the courses and files
modules, ``flows`` how they take part in the workflows of payments, assignments and
quizzes (subscribers, wired in ``lms/wiring.py``). This package re-exports what the
router and the module's surface use.
"""

from lms.modules.enrollments.service.bulk import enroll_many_from_roster, roster_places
from lms.modules.enrollments.service.enrolling import (
    PaymentRequired,
    drop_enrollment,
    enroll,
    enroll_student,
    has_paid_access,
    reactivate_enrollment,
)
from lms.modules.enrollments.service.flows import (
    complete_lesson_after_assignment,
    complete_lesson_after_quiz,
    drop_after_refund,
    enroll_after_payment,
)
from lms.modules.enrollments.service.lookups import (
    EnrollmentClosed,
    EnrollmentNotFound,
    accessible_enrollment_id,
    course_enrollments,
    get_enrollment_for,
    get_enrollment_or_raise,
    has_access,
    list_enrollments,
    student_cohort_id,
    student_in_cohorts,
    teaches_student,
)
from lms.modules.enrollments.service.periodic_emails import COURSE_REMINDER_JOB, WEEKLY_PROGRESS_JOB
from lms.modules.enrollments.service.progress import (
    LessonNotInCourse,
    complete_lesson,
    complete_lesson_for,
    mark_certificate_issued,
    update_progress,
)
from lms.modules.enrollments.service.reactions import (
    CourseHasEnrollments,
    add_lesson_to_enrollments,
    recount_after_lesson_deleted,
    refuse_deleting_course_with_students,
    students_cohort,
    students_complete_lessons,
    students_have_access,
    students_read_course_materials,
    students_start_at_enrollment,
)
from lms.modules.enrollments.service.reading import (
    enrollment_read,
    get_enrollment_detail,
    list_course_enrollments,
    list_my_enrollments,
)
from lms.modules.enrollments.service.reviews import course_stats, review_enrollment
from lms.modules.enrollments.service.staff import (
    change_by_staff,
    drop_by_staff,
    enroll_by_staff,
    enroll_from_roster,
    enroll_person,
    reactivate_by_staff,
)

__all__ = [
    "COURSE_REMINDER_JOB",
    "WEEKLY_PROGRESS_JOB",
    "CourseHasEnrollments",
    "EnrollmentClosed",
    "EnrollmentNotFound",
    "LessonNotInCourse",
    "PaymentRequired",
    "accessible_enrollment_id",
    "add_lesson_to_enrollments",
    "change_by_staff",
    "complete_lesson",
    "complete_lesson_after_assignment",
    "complete_lesson_after_quiz",
    "complete_lesson_for",
    "course_enrollments",
    "course_stats",
    "drop_after_refund",
    "drop_by_staff",
    "drop_enrollment",
    "enroll",
    "enroll_after_payment",
    "enroll_by_staff",
    "enroll_from_roster",
    "enroll_many_from_roster",
    "enroll_person",
    "enroll_student",
    "enrollment_read",
    "get_enrollment_detail",
    "get_enrollment_for",
    "get_enrollment_or_raise",
    "has_access",
    "has_paid_access",
    "list_course_enrollments",
    "list_enrollments",
    "list_my_enrollments",
    "mark_certificate_issued",
    "reactivate_by_staff",
    "reactivate_enrollment",
    "recount_after_lesson_deleted",
    "refuse_deleting_course_with_students",
    "review_enrollment",
    "roster_places",
    "student_cohort_id",
    "student_in_cohorts",
    "students_cohort",
    "students_complete_lessons",
    "students_have_access",
    "students_read_course_materials",
    "students_start_at_enrollment",
    "teaches_student",
    "update_progress",
]
