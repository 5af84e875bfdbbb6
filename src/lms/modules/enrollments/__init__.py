"""Enrollments and progress: students enroll in courses (paid ones once the payments
module says they have paid), record their progress and complete lessons and courses;
reviews, rosters, statistics and the periodic emails.

Public surface:
- ``EnrollmentSummary``, the read model (with the access rule, ``gives_access``), found
  with ``get_enrollment_for`` and ``get_enrollment_or_raise``; who teaches a student
  (``teaches_student``); a roster import's enrollment (``enroll_from_roster``), and a
  chunk's at once (``roster_places``, ``enroll_many_from_roster``, with
  ``RosterPlace`` and ``RosterStudent``);
- the access rule as SQL for other modules' statements (``has_access``,
  ``accessible_enrollment_id``, ``student_cohort_id``); a course's enrollments as a
  selectable for the gradebook (``course_enrollments``, typed columns in its docstring);
- ``complete_lesson`` (work another module has checked) and ``mark_certificate_issued``;
- the errors ``EnrollmentNotFound``, ``EnrollmentClosed``, ``LessonNotInCourse``;
- the events it publishes (``EnrollmentCreated``, ``EnrollmentDropped``,
  ``LessonCompleted``, ``EnrollmentCompleted``, ``StaffEnrollmentChanged``) and the
  question it asks
  (``PaidAccessAsked``);
- its subscribers, for ``lms/wiring.py``: to the courses module's ``MaterialAccess``,
  ``LessonCreated``, ``LessonDeleted`` and ``CourseDeleting``, its drip-release
  questions in SQL (``LessonDone``, ``LearnerStartedAt``, ``LearnerCohort``), to the files module's
  ``FileReadAsked``, and to the workflows of payments (``payment.succeeded.v1``,
  ``payment.refunded.v1``), assignments (``assignment.graded.v1``) and quizzes
  (``quiz.attempt.graded.v1``);
- ``routers`` for the application.

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.enrollments.events import (
    EnrollmentCompleted,
    EnrollmentCreated,
    EnrollmentDropped,
    LessonCompleted,
    PaidAccessAsked,
    StaffEnrollmentChanged,
)
from lms.modules.enrollments.privacy import PERSONAL_DATA
from lms.modules.enrollments.router import routers
from lms.modules.enrollments.schemas import EnrollmentSummary, RosterPlace, RosterStudent
from lms.modules.enrollments.service import (
    EnrollmentClosed,
    EnrollmentNotFound,
    LessonNotInCourse,
    accessible_enrollment_id,
    add_lesson_to_enrollments,
    complete_lesson,
    complete_lesson_after_assignment,
    complete_lesson_after_quiz,
    course_enrollments,
    drop_after_refund,
    enroll_after_payment,
    enroll_from_roster,
    enroll_many_from_roster,
    get_enrollment_for,
    get_enrollment_or_raise,
    has_access,
    list_enrollments,
    mark_certificate_issued,
    recount_after_lesson_deleted,
    refuse_deleting_course_with_students,
    roster_places,
    student_cohort_id,
    student_in_cohorts,
    students_cohort,
    students_complete_lessons,
    students_have_access,
    students_read_course_materials,
    students_start_at_enrollment,
    teaches_student,
)

__all__ = [
    "PERSONAL_DATA",
    "EnrollmentClosed",
    "EnrollmentCompleted",
    "EnrollmentCreated",
    "EnrollmentDropped",
    "EnrollmentNotFound",
    "EnrollmentSummary",
    "LessonCompleted",
    "LessonNotInCourse",
    "PaidAccessAsked",
    "RosterPlace",
    "RosterStudent",
    "StaffEnrollmentChanged",
    "accessible_enrollment_id",
    "add_lesson_to_enrollments",
    "complete_lesson",
    "complete_lesson_after_assignment",
    "complete_lesson_after_quiz",
    "course_enrollments",
    "drop_after_refund",
    "enroll_after_payment",
    "enroll_from_roster",
    "enroll_many_from_roster",
    "get_enrollment_for",
    "get_enrollment_or_raise",
    "has_access",
    "list_enrollments",
    "mark_certificate_issued",
    "recount_after_lesson_deleted",
    "refuse_deleting_course_with_students",
    "roster_places",
    "routers",
    "student_cohort_id",
    "student_in_cohorts",
    "students_cohort",
    "students_complete_lessons",
    "students_have_access",
    "students_read_course_materials",
    "students_start_at_enrollment",
    "teaches_student",
]
