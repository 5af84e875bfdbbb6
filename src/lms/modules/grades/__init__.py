"""Grades: a course's grading scheme, its gradebook, course-grade overrides and the
history of grade changes.

Public surface: the event it publishes (``GradeOverridden``, ``grade.overridden.v1``);
its subscribers, for ``lms/wiring.py``, that keep the history of item grading
(``record_quiz_regrade`` to ``quiz.attempt.graded.v1``, ``record_assignment_grade`` to
``assignment.graded.v1``); ``routers`` for the application; ``PERSONAL_DATA``, how it
exports and erases what it holds about a person (registered in ``lms/wiring.py``).

Why a module of its own, and not analytics' reporting exception
---------------------------------------------------------------
The gradebook owns state (schemes, overrides, history) and rules (weights, drop-lowest,
rounding) that change grades, where analytics owns no table and only reads. So it is
an ordinary module: it reaches the others only through their public surfaces. The
scores it needs are read in its own SQL, per page of students, through small named
selectables those modules offer, each documented there with its typed columns:

- ``quizzes.graded_attempt_scores(course_id)``: the graded attempts of the course's
  counting (graded, published) quizzes, with percentage and late penalty;
- ``assignments.graded_submission_scores(course_id)``: the graded submissions, with
  score and late penalty;
- ``enrollments.course_enrollments(course_id)``: the course's enrollments and cohorts;
- ``users.user_names()``: the students' names and emails.

No ORM object crosses a boundary; the item lists come as read models
(``quizzes.list_graded_quizzes``, ``courses.get_lessons``).
"""

from lms.modules.grades.events import GradeOverridden
from lms.modules.grades.privacy import PERSONAL_DATA
from lms.modules.grades.router import routers
from lms.modules.grades.service import record_assignment_grade, record_quiz_regrade

__all__ = [
    "PERSONAL_DATA",
    "GradeOverridden",
    "record_assignment_grade",
    "record_quiz_regrade",
    "routers",
]
