"""Response shapes built from the service's read models: what each viewer may see."""

from __future__ import annotations

import functools
import uuid
from decimal import Decimal
from typing import Any

from lms.modules.quizzes import grading
from lms.modules.quizzes.models import Quiz, QuizQuestion
from lms.modules.quizzes.schemas import (
    AnswerRead,
    AttemptRead,
    AttemptSheet,
    QuestionManageRead,
    QuestionPublicRead,
    QuestionResult,
    QuizRead,
)
from lms.modules.quizzes.service import (
    AttemptView,
    QuestionRecord,
    QuizTotals,
    QuizVersion,
    question_uuid,
)


def quiz_read(quiz: Quiz, totals: QuizTotals | None = None) -> QuizRead:
    read = QuizRead.model_validate(quiz)
    if totals is not None:
        read.question_count = totals.question_count
        read.total_points = totals.total_points
    return read


def question_public(
    question: QuestionRecord, options: list[str] | None = None
) -> QuestionPublicRead:
    """Built field by field, so an answer or an explanation can never slip through."""
    return QuestionPublicRead(
        id=question.id,
        quiz_id=question.quiz_id,
        question_text=question.question_text,
        question_type=question.question_type,
        options=options if options is not None else question.options,
        points=question.points,
        order_index=question.order_index,
    )


def question_manage(question: QuizQuestion) -> QuestionManageRead:
    return QuestionManageRead(
        id=question.id,
        quiz_id=question.quiz_id,
        question_text=question.question_text,
        question_type=question.question_type,
        options=question.options,
        points=question.points,
        order_index=question.order_index,
        correct_answer=question.correct_answer,
        explanation=question.explanation,
        question_metadata=question.question_metadata,
        graded_by_hand=grading.is_graded_by_hand(question.question_type, question.correct_answer),
        created_at=question.created_at,
        updated_at=question.updated_at,
    )


def _results(view: AttemptView) -> list[QuestionResult] | None:
    if not view.shows_results:
        return None
    attempt = view.attempt
    answers = {item["question_id"]: item.get("answer") for item in attempt.answers or []}
    marks = attempt.marks or {}
    reveal = view.reveals_answers
    results = []
    for question in view.ordered_questions:
        qid = str(question.id)
        mark = marks.get(qid, {})
        points = mark.get("points")
        results.append(
            QuestionResult(
                question_id=question.id,
                question_text=question.question_text,
                question_type=question.question_type,
                answer=answers.get(qid),
                points_possible=question.points,
                points_awarded=Decimal(points) if reveal and points is not None else None,
                is_correct=mark.get("is_correct") if reveal else None,
                needs_grading=points is None,
                feedback=mark.get("feedback"),
                correct_answer=question.correct_answer if reveal else None,
                explanation=question.explanation if reveal else None,
            )
        )
    return results


def _attempt_fields(view: AttemptView) -> dict[str, Any]:
    attempt = view.attempt
    remaining = None
    if attempt.status == "in_progress" and attempt.deadline_at is not None:
        remaining = max(0, int((attempt.deadline_at - view.at).total_seconds()))
    return {
        "id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "enrollment_id": attempt.enrollment_id,
        "student_id": attempt.student_id,
        "attempt_number": attempt.attempt_number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "time_remaining_seconds": remaining,
        "submitted_at": attempt.submitted_at,
        "graded_at": attempt.graded_at,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percentage": attempt.percentage,
        "is_passed": attempt.is_passed,
        "time_taken_seconds": attempt.time_taken_seconds,
        "closed_at_deadline": attempt.closed_at_deadline,
        "is_late": attempt.is_late,
        "late_penalty_percent": attempt.late_penalty_percent,
        "answers": [
            AnswerRead(question_id=question_uuid(item["question_id"]), answer=item.get("answer"))
            for item in attempt.answers or []
        ],
        "feedback": attempt.feedback,
        "results": _results(view),
    }


def attempt_read(view: AttemptView) -> AttemptRead:
    return AttemptRead(**_attempt_fields(view))


@functools.lru_cache(maxsize=512)
def _version_reads(version: QuizVersion) -> tuple[QuizRead, dict[uuid.UUID, QuestionPublicRead]]:
    """A cached quiz version as students see it, built once per version and process."""
    return quiz_read(version.quiz), {q.id: question_public(q) for q in version.questions.values()}


def attempt_sheet(view: AttemptView) -> AttemptSheet:
    """The attempt with its questions in this attempt's order, as the student sees them."""
    questions = view.ordered_questions
    count, points = len(questions), sum((q.points for q in questions), Decimal("0"))
    if view.version is None:
        quiz = quiz_read(view.quiz, QuizTotals(count, points))
        public = [question_public(q, view.options_of(q)) for q in questions]
    else:
        quiz_base, public_base = _version_reads(view.version)
        quiz = quiz_base.model_copy(update={"question_count": count, "total_points": points})
        public = []
        for question in questions:
            read, options = public_base[question.id], view.options_of(question)
            if options != question.options:
                read = read.model_copy(update={"options": options})
            public.append(read)
    return AttemptSheet(**_attempt_fields(view), quiz=quiz, questions=public)
