"""The refusals of the quizzes module, each with its stable ``code``."""

from __future__ import annotations

from lms.core.errors import Conflict, Forbidden, NotFound, RuleViolation


class QuizNotFound(NotFound):
    code = "quiz_not_found"
    detail = "No quiz with this id."


class QuestionNotFound(NotFound):
    code = "question_not_found"
    detail = "No question with this id in this quiz."


class AttemptNotFound(NotFound):
    code = "attempt_not_found"
    detail = "No attempt with this id."


class NotEnrolled(Forbidden):
    code = "not_enrolled"
    detail = "Only students enrolled in this course can take its quizzes."


class QuestionLocked(Conflict):
    code = "question_locked"
    detail = (
        "Students have attempted this quiz: its questions can no longer be removed and "
        "their type, options, correct answer and points can no longer change."
    )


class QuizHasAttempts(Conflict):
    code = "quiz_has_attempts"
    detail = "Students have attempted this quiz; it cannot be deleted."


class LessonHasQuiz(Conflict):
    code = "lesson_has_quiz"
    detail = "This lesson already has a quiz."


class AttemptsExhausted(Conflict):
    code = "max_attempts_reached"
    detail = "You have used every attempt this quiz allows."


class AttemptClosed(Conflict):
    code = "attempt_already_submitted"
    detail = "This attempt has already been submitted."


class AttemptExpired(Conflict):
    code = "attempt_expired"
    detail = (
        "The time limit of this attempt has passed. It was closed at its deadline and "
        "graded with the answers saved until then."
    )


class AttemptChanged(Conflict):
    code = "attempt_changed"
    detail = "The attempt changed while this request ran; retry."


class AttemptInProgress(Conflict):
    code = "attempt_in_progress"
    detail = "This attempt has not been submitted yet."


class InvalidAnswer(RuleViolation):
    code = "invalid_answer"


class InvalidQuestion(RuleViolation):
    code = "invalid_question"
