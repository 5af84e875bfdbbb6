"""Quizzes: instructors author quizzes and their questions; enrolled students take them
in timed attempts that are graded on submission (or by hand for essays), and a passed
graded quiz of a lesson completes the lesson.

Public surface: the events it publishes (``QuizAttemptSubmitted``, ``QuizAttemptGraded``, for
``lms/wiring.py``)
and ``routers`` for the application.

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.quizzes.events import QuizAttemptGraded, QuizAttemptSubmitted
from lms.modules.quizzes.privacy import PERSONAL_DATA
from lms.modules.quizzes.router import routers

__all__ = ["PERSONAL_DATA", "QuizAttemptGraded", "QuizAttemptSubmitted", "routers"]
