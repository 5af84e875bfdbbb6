"""Assignments: students hand in work for assignment lessons; the course's instructor
grades it, and passed work completes the lesson.

Public surface: the events it publishes (``AssignmentSubmitted``,
``AssignmentGraded``); its answer to the files
module's ``FileReadAsked`` (``graders_read_handed_in_files``) and to the schedules
module's conditions (``assignment_handed_in``, ``assignment_listed``), for
``lms/wiring.py``; an assignment lesson's schedule at ``/lessons/{id}/schedule``;
``routers`` for the application; for the gradebook, the graded submissions of a course
as SQL (``graded_submission_scores``, a selectable whose typed columns its docstring
lists).

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.assignments.events import AssignmentGraded, AssignmentSubmitted
from lms.modules.assignments.privacy import PERSONAL_DATA
from lms.modules.assignments.router import routers
from lms.modules.assignments.service import (
    assignment_handed_in,
    assignment_listed,
    graded_submission_scores,
    graders_read_handed_in_files,
)

__all__ = [
    "PERSONAL_DATA",
    "AssignmentGraded",
    "AssignmentSubmitted",
    "assignment_handed_in",
    "assignment_listed",
    "graded_submission_scores",
    "graders_read_handed_in_files",
    "routers",
]
