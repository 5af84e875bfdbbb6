"""Quizzes over HTTP: quizzes and questions (``authoring``), attempts (``attempts``), and
the responses each viewer may see (``views``)."""

# Adds the schedule and override routes to ``quizzes``.
from lms.modules.quizzes.router import scheduling  # noqa: F401
from lms.modules.quizzes.router.attempts import attempts, quiz_attempts
from lms.modules.quizzes.router.authoring import course_quizzes, quizzes

# In matching order; the application includes each one under the API prefix.
routers = (course_quizzes, quizzes, quiz_attempts, attempts)

__all__ = ["routers"]
