"""Assignments: students hand in work for assignment lessons; the course's instructor
grades it, and passed work completes the lesson.

Public surface: the events it publishes (``AssignmentSubmitted``,
``AssignmentGraded``); its answer to the files
module's ``FileReadAsked`` (``graders_read_handed_in_files``), for ``lms/wiring.py``;
``routers`` for the application; for the gradebook, the graded submissions of a course
as SQL (``graded_submission_scores``, a selectable whose typed columns its docstring
lists).
"""

from lms.modules.assignments.events import AssignmentGraded, AssignmentSubmitted
from lms.modules.assignments.router import routers
from lms.modules.assignments.service import (
    graded_submission_scores,
    graders_read_handed_in_files,
)

__all__ = [
    "AssignmentGraded",
    "AssignmentSubmitted",
    "graded_submission_scores",
    "graders_read_handed_in_files",
    "routers",
]
