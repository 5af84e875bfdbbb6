"""Pure quiz logic: question definitions, answer checking, scores. No database, no I/O.

Answers are compared after normalisation: Unicode NFKD with the combining marks
dropped (so "é" matches "e"), case folded, and runs of white space collapsed to one
space with the ends trimmed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

QuestionType = Literal["multiple_choice", "true_false", "short_answer", "essay"]
QUESTION_TYPES: tuple[QuestionType, ...] = (
    "multiple_choice",
    "true_false",
    "short_answer",
    "essay",
)
TRUE_FALSE_OPTIONS = ["true", "false"]
ACCEPTED_ANSWER_SEPARATOR = "|"
MAX_OPTIONS = 50
CENT = Decimal("0.01")


class DefinitionError(ValueError):
    """A question definition that cannot be graded as written."""


class AnswerError(ValueError):
    """An answer of the wrong kind for its question."""


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_marks.casefold().split())


@dataclass(frozen=True)
class Definition:
    """A validated question definition, ready to store."""

    options: list[str] | None
    correct_answer: str | None


def check_definition(
    question_type: str, options: list[str] | None, correct_answer: str | bool | None
) -> Definition:
    """Validate what an author wrote for a question; raise ``DefinitionError`` with a
    message the author can act on."""
    if isinstance(correct_answer, bool):
        if question_type != "true_false":
            raise DefinitionError("correct_answer may be a boolean only for true_false questions")
        correct_answer = "true" if correct_answer else "false"
    answer = correct_answer.strip() if isinstance(correct_answer, str) else None
    answer = answer or None

    if question_type == "multiple_choice":
        cleaned = [option.strip() for option in options or []]
        if len(cleaned) < 2:
            raise DefinitionError("a multiple_choice question needs at least two options")
        if len(cleaned) > MAX_OPTIONS:
            raise DefinitionError(f"a question may have at most {MAX_OPTIONS} options")
        if any(not option for option in cleaned):
            raise DefinitionError("options must not be empty")
        if len({normalise(option) for option in cleaned}) != len(cleaned):
            raise DefinitionError("options must be distinct")
        if answer is None:
            raise DefinitionError(
                "a multiple_choice question needs correct_answer: the text of the right option"
            )
        if answer not in cleaned:
            raise DefinitionError("correct_answer must be exactly one of the options")
        return Definition(options=cleaned, correct_answer=answer)

    if question_type == "true_false":
        if options and [normalise(o) for o in options] != TRUE_FALSE_OPTIONS:
            raise DefinitionError(
                'a true_false question takes no options (they are "true", "false")'
            )
        if answer is None or answer.lower() not in TRUE_FALSE_OPTIONS:
            raise DefinitionError('a true_false question needs correct_answer "true" or "false"')
        return Definition(options=list(TRUE_FALSE_OPTIONS), correct_answer=answer.lower())

    if question_type == "short_answer":
        if options:
            raise DefinitionError("a short_answer question takes no options")
        accepted = accepted_answers(answer)
        return Definition(
            options=None,
            correct_answer=ACCEPTED_ANSWER_SEPARATOR.join(accepted) if accepted else None,
        )

    if question_type == "essay":
        if options:
            raise DefinitionError("an essay question takes no options")
        if answer is not None:
            raise DefinitionError("an essay question has no correct_answer; it is graded by hand")
        return Definition(options=None, correct_answer=None)

    raise DefinitionError(f"unknown question_type {question_type!r}")


def accepted_answers(correct_answer: str | None) -> list[str]:
    if not correct_answer:
        return []
    parts = (part.strip() for part in correct_answer.split(ACCEPTED_ANSWER_SEPARATOR))
    return [part for part in parts if part]


def is_graded_by_hand(question_type: str, correct_answer: str | None) -> bool:
    return question_type == "essay" or (
        question_type == "short_answer" and not accepted_answers(correct_answer)
    )


def coerce_answer(question_type: str, options: list[str] | None, answer: object) -> str | None:
    """The stored form of a student's answer, or ``AnswerError`` when it has the wrong
    kind for the question. ``None`` (or blank text) means unanswered."""
    if answer is None:
        return None
    if question_type == "true_false":
        if isinstance(answer, bool):
            return "true" if answer else "false"
        if isinstance(answer, str) and answer.strip().lower() in TRUE_FALSE_OPTIONS:
            return answer.strip().lower()
        if isinstance(answer, str) and not answer.strip():
            return None
        raise AnswerError("a true_false answer must be true or false")
    if not isinstance(answer, str):
        raise AnswerError(f"a {question_type} answer must be text")
    text = answer.strip()
    if not text:
        return None
    if question_type == "multiple_choice" and text not in (options or []):
        raise AnswerError("a multiple_choice answer must be the text of one of the options")
    return text


@dataclass(frozen=True)
class Mark:
    """The automatic mark of one answer. ``points`` is None when a person must grade it."""

    points: Decimal | None
    is_correct: bool | None

    @property
    def needs_grader(self) -> bool:
        return self.points is None


def mark_answer(
    question_type: str, correct_answer: str | None, points: Decimal, answer: str | None
) -> Mark:
    if answer is None:
        # Nothing to read: an unanswered question scores zero, even an essay.
        return Mark(points=Decimal("0"), is_correct=False)
    if question_type in ("multiple_choice", "true_false"):
        right = answer == correct_answer
        return Mark(points=points if right else Decimal("0"), is_correct=right)
    if question_type == "short_answer":
        accepted = accepted_answers(correct_answer)
        if not accepted:
            return Mark(points=None, is_correct=None)
        right = normalise(answer) in {normalise(a) for a in accepted}
        return Mark(points=points if right else Decimal("0"), is_correct=right)
    return Mark(points=None, is_correct=None)


@dataclass(frozen=True)
class Score:
    score: Decimal
    max_score: Decimal
    percentage: Decimal
    is_passed: bool


def total_score(
    awarded: Iterable[Decimal], possible: Iterable[Decimal], passing_score: Decimal
) -> Score:
    score = sum(awarded, Decimal("0")).quantize(CENT, ROUND_HALF_UP)
    max_score = sum(possible, Decimal("0")).quantize(CENT, ROUND_HALF_UP)
    percentage = (
        (score * 100 / max_score).quantize(CENT, ROUND_HALF_UP) if max_score else Decimal("0.00")
    )
    return Score(
        score=score,
        max_score=max_score,
        percentage=percentage,
        is_passed=percentage >= passing_score,
    )


def penalised(total: Score, penalty_percent: Decimal, passing_score: Decimal) -> Score:
    """``total`` after a late penalty of ``penalty_percent`` percent of the score (to
    the cent, half up); the percentage is the lower score's, the pass is judged on it."""
    score = (total.score * (100 - penalty_percent) / 100).quantize(CENT, ROUND_HALF_UP)
    percentage = (
        (score * 100 / total.max_score).quantize(CENT, ROUND_HALF_UP)
        if total.max_score
        else Decimal("0.00")
    )
    return Score(
        score=score,
        max_score=total.max_score,
        percentage=percentage,
        is_passed=percentage >= passing_score,
    )
