"""A quiz and its questions as one immutable version, kept per process.

Taking a quiz reads the same quiz and questions for every student: on exam day the
same twenty questions thousands of times a minute. Every change to a quiz or its
questions moves its ``content_version`` on (``new_content_version``, in the transaction
of the change), and the statements of taking a quiz read that version with the attempt,
so a version found here is the quiz as that statement saw it: no invalidation message
between processes, no stale read. A version is built from one statement (one snapshot)
and kept under the version that statement read.
"""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.quizzes import repository
from lms.modules.quizzes.repository import QuizKey
from lms.modules.quizzes.service.errors import QuizNotFound
from lms.modules.quizzes.service.read_models import QuizVersion

# Versions kept per process, least recently used dropped first. A version holds its
# questions' text and options: a few kilobytes for a quiz of twenty questions.
CACHED_VERSIONS = 512


_versions: OrderedDict[QuizKey, QuizVersion] = OrderedDict()


async def quiz_version(session: AsyncSession, key: QuizKey) -> QuizVersion:
    """The quiz's content at ``key``: from this process's versions, or read (quiz and
    questions in one statement) and kept. 404 if the quiz is gone."""
    found = _versions.get(key)
    if found is not None:
        _versions.move_to_end(key)
        return found
    loaded = await repository.quiz_with_questions(session, key.id)
    if loaded is None:
        raise QuizNotFound()
    quiz, questions = loaded
    version = QuizVersion(quiz, {q.id: q for q in questions})
    # Kept under the version this read saw, which a concurrent change may have moved
    # past ``key``: the caller then works with the newer content, as it would have read.
    _versions[QuizKey(quiz.id, quiz.content_version, quiz.lesson_id)] = version
    while len(_versions) > CACHED_VERSIONS:
        _versions.popitem(last=False)
    return version
