"""Quizzes: instructors author quizzes and their questions; enrolled students take them
in timed attempts that are graded on submission (or by hand for essays), and a passed
graded quiz of a lesson completes the lesson.

Public surface: the events it publishes (``QuizAttemptSubmitted``, ``QuizAttemptGraded``, for
``lms/wiring.py``), its answers to the schedules module's conditions
(``quiz_handed_in``, ``published_quiz_listed``); for the gradebook, the counting
quizzes of a course (``list_graded_quizzes``, ``GradedQuiz``) and their graded attempts
as SQL (``graded_attempt_scores``, a selectable whose typed columns are documented in
``service/scores.py``); and ``routers`` for the application. A quiz's dates, late
policy and overrides are set at ``/quizzes/{id}/schedule``.

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.quizzes.events import QuizAttemptGraded, QuizAttemptSubmitted
from lms.modules.quizzes.privacy import PERSONAL_DATA
from lms.modules.quizzes.router import routers
from lms.modules.quizzes.service import published_quiz_listed, quiz_handed_in
from lms.modules.quizzes.service.scores import (
    GradedQuiz,
    graded_attempt_scores,
    list_graded_quizzes,
)

__all__ = [
    "PERSONAL_DATA",
    "GradedQuiz",
    "QuizAttemptGraded",
    "QuizAttemptSubmitted",
    "graded_attempt_scores",
    "list_graded_quizzes",
    "published_quiz_listed",
    "quiz_handed_in",
    "routers",
]
