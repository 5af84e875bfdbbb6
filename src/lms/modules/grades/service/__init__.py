"""The gradebook's rules, by use case: ``schemes`` (a course's grading scheme and its
graded items), ``gradebook`` (the figures, the page, the CSV, a student's own view) and
``overrides`` (course-grade overrides, the history of grade changes and the
subscribers that record item grading). This package re-exports what the router and the
module's surface use."""

from lms.modules.grades.service.gradebook import (
    StudentNotInCourse,
    enrollment_grades,
    gradebook_csv,
    gradebook_filter,
    gradebook_page,
)
from lms.modules.grades.service.overrides import (
    clear_override,
    grade_history,
    record_assignment_grade,
    record_quiz_regrade,
    set_override,
)
from lms.modules.grades.service.schemes import InvalidGradingScheme, get_scheme, put_scheme

__all__ = [
    "InvalidGradingScheme",
    "StudentNotInCourse",
    "clear_override",
    "enrollment_grades",
    "get_scheme",
    "grade_history",
    "gradebook_csv",
    "gradebook_filter",
    "gradebook_page",
    "put_scheme",
    "record_assignment_grade",
    "record_quiz_regrade",
    "set_override",
]
