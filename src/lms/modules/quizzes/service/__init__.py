"""Quizzes' business rules, by use case:

- ``authoring``: quizzes and questions (and the lock once students have attempted a quiz);
- ``taking``: starting an attempt, saving answers, submitting;
- ``settling``: marking and totalling an attempt, the time limit and its periodic sweep;
- ``results``: reading attempts, grading by hand;
- ``access``: who may see, manage or take a quiz; ``read_models``: what the router shows;
  ``errors``: the refusals.

Attempts are read and written only through ``lms.modules.quizzes.repository``'s attempt
functions (records and one version check). No function here commits: a refusal that must
keep what the request wrote (an expired attempt closed) is raised with
``keeping_changes()`` and the route class commits it.
"""

from __future__ import annotations

from datetime import datetime

from lms.core.db import utcnow
from lms.modules.quizzes.repository import QuestionRecord
from lms.modules.quizzes.service.authoring import (
    add_question,
    create_quiz,
    delete_question,
    delete_quiz,
    get_quiz,
    list_questions_for_manager,
    list_questions_for_student,
    list_quizzes,
    publish_quiz,
    update_question,
    update_quiz,
)
from lms.modules.quizzes.service.read_models import (
    AttemptView,
    QuizTotals,
    QuizVersion,
    question_uuid,
    quiz_totals,
)
from lms.modules.quizzes.service.results import (
    get_attempt,
    grade_attempt,
    list_my_attempts,
    list_quiz_attempts,
)
from lms.modules.quizzes.service.scheduling import (
    mark_scheduled,
    published_quiz_listed,
    quiz_handed_in,
    scheduled_quiz,
)
from lms.modules.quizzes.service.settling import close_expired_attempts
from lms.modules.quizzes.service.taking import (
    save_answers,
    start_attempt,
    submit_attempt,
)


def now() -> datetime:
    """The clock quizzes run on. The use-case files read it from this package at each
    call, so tests that replace ``service.now`` move time for all of them."""
    return utcnow()


__all__ = [
    "AttemptView",
    "QuestionRecord",
    "QuizTotals",
    "QuizVersion",
    "add_question",
    "close_expired_attempts",
    "create_quiz",
    "delete_question",
    "delete_quiz",
    "get_attempt",
    "get_quiz",
    "grade_attempt",
    "list_my_attempts",
    "list_questions_for_manager",
    "list_questions_for_student",
    "list_quiz_attempts",
    "list_quizzes",
    "mark_scheduled",
    "now",
    "publish_quiz",
    "published_quiz_listed",
    "question_uuid",
    "quiz_handed_in",
    "quiz_totals",
    "save_answers",
    "scheduled_quiz",
    "start_attempt",
    "submit_attempt",
    "update_question",
    "update_quiz",
]
