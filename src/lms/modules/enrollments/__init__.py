"""Enrollments and progress."""

from lms.modules.enrollments.service import (
    add_lesson_to_enrollments,
    recount_after_lesson_deleted,
    refuse_deleting_course_with_students,
    students_have_access,
    students_read_course_materials,
)

__all__ = [
    "add_lesson_to_enrollments",
    "recount_after_lesson_deleted",
    "refuse_deleting_course_with_students",
    "students_have_access",
    "students_read_course_materials",
]
