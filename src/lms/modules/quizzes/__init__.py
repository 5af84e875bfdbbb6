"""Quizzes: instructors author quizzes and their questions; enrolled students take them
in timed attempts that are graded on submission (or by hand for essays), and a passed
graded quiz of a lesson completes the lesson.

Public surface: the events it publishes (``QuizAttemptSubmitted``, ``QuizAttemptGraded``, for
``lms/wiring.py``), its answers to the schedules module's conditions
(``quiz_handed_in``, ``published_quiz_listed``), and ``routers`` for the application.
A quiz's dates, late policy and overrides are set at ``/quizzes/{id}/schedule``.

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.quizzes.events import QuizAttemptGraded, QuizAttemptSubmitted
from lms.modules.quizzes.privacy import PERSONAL_DATA
from lms.modules.quizzes.router import routers
from lms.modules.quizzes.service import published_quiz_listed, quiz_handed_in

__all__ = [
    "PERSONAL_DATA",
    "QuizAttemptGraded",
    "QuizAttemptSubmitted",
    "published_quiz_listed",
    "quiz_handed_in",
    "routers",
]
