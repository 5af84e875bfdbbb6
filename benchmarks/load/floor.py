"""The floor: the least a Python ASGI server must do to answer each benchmark scenario.

Raw ASGI, asyncpg and redis.asyncio, no framework, no ORM, no validation library. Each
route does the essential work of the API endpoint it stands for and answers with the
same JSON bytes (the benchmark compares them before it starts):

- authenticated routes verify the access token (signature, expiry, type) and check, in
  one Redis round trip, that it was not revoked and that its account is still active and
  the token not superseded (the account's state is cached for 60 s, filled from
  PostgreSQL on a miss);
- reads run one SQL statement (joins instead of one query per table), or read the
  cache where the API's answer is the same for every anonymous caller;
- writes run their statements in one transaction, with the same effects on the tables
  (counters, learning-time log, completion, outbox rows for the completion email and
  certificate). The outbox rows are not handed to a broker;
- drip release is checked in the statement that reads the lesson (``locked_sql``: the
  date rule, prerequisites, a course taken in order): a student is refused a locked
  lesson's page, its completion and its quiz, as by the API. Quiz schedules (windows,
  lateness) are not implemented: a scheduled quiz is refused (``NOT_IN_FLOOR``), an
  unscheduled one answers ``is_late`` false as the API does.

Run under uvicorn exactly like the API: ``uvicorn benchmarks.load.floor:app --workers N``
with LMS_SECRET_KEY, FLOOR_DSN (postgresql://...) and LMS_REDIS_URL set.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import jwt
import orjson
import redis.asyncio as aioredis

from lms.modules.quizzes import grading

SECRET = os.environ.get("LMS_SECRET_KEY", "")
DSN = os.environ.get("FLOOR_DSN", "postgresql://postgres@127.0.0.1:5432/lms_bench_load")
REDIS_URL = os.environ.get("LMS_REDIS_URL", "redis://127.0.0.1:6379/6")
POOL_SIZE = int(os.environ.get("FLOOR_POOL_SIZE", "20"))
TTL = 60
ACCESS = ("active", "completed")
PREFIX = "/api/v1"
_shuffler = random.SystemRandom()

Scope = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


class HttpError(Exception):
    def __init__(self, status: int, code: str) -> None:
        self.status = status
        self.code = code


def _default(value: Any) -> Any:
    if isinstance(value, Decimal | uuid.UUID):  # asyncpg's UUID is not orjson's
        return str(value)
    raise TypeError


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_UTC_Z)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value


class State:
    pool: asyncpg.Pool
    redis: aioredis.Redis


state = State()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


# --- authentication ------------------------------------------------------------------


async def authenticate(scope: Scope) -> tuple[uuid.UUID, str]:
    token = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                token = None
            break
    if not token:
        raise HttpError(401, "not_authenticated")
    try:
        payload = jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "sub", "jti", "type"]},
        )
    except jwt.PyJWTError as exc:
        raise HttpError(401, "token_invalid") from exc
    if payload.get("type") != "access":
        raise HttpError(401, "token_invalid")
    user_id = payload["sub"]
    user_key = f"floor:user:{user_id}"
    revoked, cached = await state.redis.mget(f"denylist:{payload['jti']}", user_key)
    if revoked is not None:
        raise HttpError(401, "token_revoked")
    if cached is None:
        row = await state.pool.fetchrow(
            "SELECT is_active, role, tokens_valid_after FROM users WHERE id = $1",
            uuid.UUID(user_id),
        )
        if row is None:
            raise HttpError(401, "account_inactive")
        after = row["tokens_valid_after"]
        cached = dumps([row["is_active"], row["role"], after.timestamp() if after else None])
        await state.redis.set(user_key, cached, ex=TTL, nx=True)
    active, role, valid_after = orjson.loads(cached)
    if not active:
        raise HttpError(401, "account_inactive")
    if valid_after is not None and float(payload["iat"]) < valid_after:
        raise HttpError(401, "token_revoked")
    return uuid.UUID(user_id), role


def _page_args(scope: Scope) -> tuple[int, int]:
    query = parse_qs(scope["query_string"].decode("latin-1"))
    page = int(query.get("page", ["1"])[0])
    size = int(query.get("page_size", ["20"])[0])
    if not (1 <= page <= 100_000 and 1 <= size <= 100):
        raise HttpError(422, "validation_error")
    return page, size


# --- courses -----------------------------------------------------------------------------

COURSE_COLUMNS = """
    c.id, c.title, c.slug, c.description, c.instructor_id, u.full_name AS instructor_name,
    c.category, c.difficulty_level, c.is_published, c.published_at, c.thumbnail_url,
    c.estimated_duration_minutes, c.price, c.currency, c.course_metadata, c.lessons_in_order,
    (SELECT count(*) FROM lessons l WHERE l.course_id = c.id) AS lessons_count,
    c.created_at, c.updated_at
"""


def course_dict(row: asyncpg.Record) -> dict[str, Any]:
    item = {key: row[key] for key in COURSE_KEYS}
    item["metadata"] = item["course_metadata"]
    item["is_free"] = item["price"] == 0
    return item


COURSE_KEYS = [
    "id",
    "title",
    "slug",
    "description",
    "instructor_id",
    "instructor_name",
    "category",
    "difficulty_level",
    "is_published",
    "published_at",
    "thumbnail_url",
    "estimated_duration_minutes",
    "price",
    "currency",
    "course_metadata",
    "lessons_in_order",
    "lessons_count",
    "created_at",
    "updated_at",
]


async def catalogue(scope: Scope) -> bytes:
    page, size = _page_args(scope)
    key = f"floor:catalogue:{page}:{size}"
    cached = await state.redis.get(key)
    if cached is not None:
        return bytes(cached)
    rows = await state.pool.fetch(
        f"""SELECT {COURSE_COLUMNS}, count(*) OVER () AS total
            FROM courses c LEFT JOIN users u ON u.id = c.instructor_id
            WHERE c.is_published ORDER BY c.created_at DESC, c.id
            LIMIT $1 OFFSET $2""",
        size,
        (page - 1) * size,
    )
    total = (
        rows[0]["total"]
        if rows
        else await state.pool.fetchval("SELECT count(*) FROM courses WHERE is_published")
    )
    body = dumps(
        {"items": [course_dict(r) for r in rows], "total": total, "page": page, "page_size": size}
    )
    await state.redis.set(key, body, ex=TTL)
    return body


async def course(scope: Scope, course_id: uuid.UUID) -> bytes:
    key = f"floor:course:{course_id}"
    cached = await state.redis.get(key)
    if cached is None:
        row = await state.pool.fetchrow(
            f"""SELECT {COURSE_COLUMNS} FROM courses c
                LEFT JOIN users u ON u.id = c.instructor_id WHERE c.id = $1""",
            course_id,
        )
        if row is None:
            raise HttpError(404, "course_not_found")
        cached = (b"1" if row["is_published"] else b"0") + dumps(course_dict(row))
        await state.redis.set(key, cached, ex=TTL)
    if cached[:1] != b"1":  # a draft: anonymous callers do not see it
        raise HttpError(404, "course_not_found")
    return bytes(cached[1:])


LESSON_KEYS = [
    "id",
    "course_id",
    "title",
    "slug",
    "description",
    "lesson_type",
    "content",
    "video_url",
    "duration_minutes",
    "order_index",
    "parent_lesson_id",
    "is_preview",
    "lesson_metadata",
]


# A lesson's prerequisites, in the API's order.
PREREQUISITE_IDS = """ARRAY(SELECT p.prerequisite_id FROM lesson_prerequisites p
                             WHERE p.lesson_id = l.id ORDER BY p.prerequisite_id)"""


def locked_sql(lesson: str, enrollment: str) -> str:
    """Drip release in SQL: is the lesson (alias ``lesson``) locked for the student of
    the enrollment (alias ``enrollment``, NULL: not a student, nothing locked)? Its date
    rule is in the future (counted from the enrollment, or the cohort's start), a
    prerequisite is not completed, or the course is taken in order and the lesson before
    it is not completed. A preview lesson is never locked."""
    lsn, enr = lesson, enrollment

    def done(lesson_id: str) -> str:
        return f"""EXISTS (SELECT 1 FROM lesson_progress d WHERE d.enrollment_id = {enr}.id
                           AND d.lesson_id = {lesson_id} AND d.status = 'completed')"""

    previous = f"""SELECT pl.id FROM lessons pl WHERE pl.course_id = {lsn}.course_id
                     AND (pl.order_index, pl.created_at, pl.id)
                         < ({lsn}.order_index, {lsn}.created_at, {lsn}.id)
                   ORDER BY pl.order_index DESC, pl.created_at DESC, pl.id DESC LIMIT 1"""
    return f"""coalesce({enr}.id IS NOT NULL AND NOT {lsn}.is_preview AND (
      coalesce({lsn}.unlock_at,
               coalesce(CASE WHEN {lsn}.unlock_relative_to = 'cohort_start' THEN
                          (SELECT ch.starts_on::timestamp AT TIME ZONE 'UTC' FROM cohorts ch
                           WHERE ch.id = {enr}.cohort_id AND ch.course_id = {enr}.course_id)
                        END, {enr}.enrolled_at)
               + make_interval(days => {lsn}.unlock_after_days)) > now()
      OR EXISTS (SELECT 1 FROM lesson_prerequisites p WHERE p.lesson_id = {lsn}.id
                 AND NOT {done("p.prerequisite_id")})
      OR ((SELECT c2.lessons_in_order FROM courses c2 WHERE c2.id = {lsn}.course_id)
          AND EXISTS (SELECT 1 FROM ({previous}) prev WHERE NOT {done("prev.id")}))), false)"""


def lesson_dict(row: asyncpg.Record, full_access: bool) -> dict[str, Any]:
    """The lesson as the API answers it; ``locked`` and its details are always the open
    state here: a student is refused a locked lesson's page, and the anonymous listing
    shows no locks."""
    item = {key: row[key] for key in LESSON_KEYS}
    withheld = not (full_access or row["is_preview"])
    if withheld:
        item["content"] = None
        item["video_url"] = None
    item["content_locked"] = withheld
    item["unlock_at"] = row["unlock_at"]
    item["unlock_after_days"] = row["unlock_after_days"]
    item["unlock_relative_to"] = row["unlock_relative_to"]
    item["prerequisite_ids"] = row["prerequisite_ids"]
    item["locked"] = False
    item["unlocks_at"] = None
    item["lock_reason"] = None
    item["blocking_lesson_ids"] = []
    item["created_at"] = row["created_at"]
    item["updated_at"] = row["updated_at"]
    item["content_type"] = row["lesson_type"]
    item["order"] = row["order_index"]
    return item


async def course_lessons(scope: Scope, course_id: uuid.UUID) -> bytes:
    """Anonymous view of a published course's lessons (the same for every anonymous
    caller, so cached)."""
    page, size = _page_args(scope)
    key = f"floor:lessons:{course_id}:{page}:{size}"
    cached = await state.redis.get(key)
    if cached is None:
        rows = await state.pool.fetch(
            f"""SELECT c.is_published, l.*, {PREREQUISITE_IDS} AS prerequisite_ids,
                      count(l.id) OVER () AS total
               FROM courses c LEFT JOIN lessons l ON l.course_id = c.id
               WHERE c.id = $1 ORDER BY l.order_index, l.created_at, l.id
               LIMIT $2 OFFSET $3""",
            course_id,
            size,
            (page - 1) * size,
        )
        if not rows:
            raise HttpError(404, "course_not_found")
        published = rows[0]["is_published"]
        items = [lesson_dict(r, False) for r in rows if r["id"] is not None]
        body = dumps({"items": items, "total": rows[0]["total"], "page": page, "page_size": size})
        cached = (b"1" if published else b"0") + body
        await state.redis.set(key, cached, ex=TTL)
    if cached[:1] != b"1":
        raise HttpError(404, "course_not_found")
    return bytes(cached[1:])


async def lesson(scope: Scope, lesson_id: uuid.UUID) -> bytes:
    user_id, role = await authenticate(scope)
    row = await state.pool.fetchrow(
        f"""SELECT l.*, c.is_published AS course_published, c.instructor_id,
                  {PREREQUISITE_IDS} AS prerequisite_ids,
                  EXISTS (SELECT 1 FROM course_staff s WHERE s.course_id = c.id
                          AND s.user_id = $2) AS on_team,
                  e.id IS NOT NULL AS enrolled, {locked_sql("l", "e")} AS locked
           FROM lessons l JOIN courses c ON c.id = l.course_id
           LEFT JOIN enrollments e ON e.student_id = $2 AND e.course_id = l.course_id
                AND e.status IN ('active', 'completed')
           WHERE l.id = $1""",
        lesson_id,
        user_id,
    )
    if row is None:
        raise HttpError(404, "lesson_not_found")
    staff = role == "admin" or row["instructor_id"] == user_id or row["on_team"]
    full = staff or row["enrolled"]
    if not (row["course_published"] or full):
        raise HttpError(404, "lesson_not_found")
    if row["locked"] and not staff:  # drip release: a student's locked lesson
        raise HttpError(403, "lesson_locked")
    return dumps(lesson_dict(row, full))


# --- enrollments -------------------------------------------------------------------------

ENROLLMENT_COLUMNS = """
    e.id, e.student_id, e.course_id, c.title AS course_title, c.slug AS course_slug,
    e.cohort_id, e.status, e.enrolled_at, e.started_at, e.completed_at, e.progress_percentage,
    e.completed_lessons_count, e.total_lessons_count, e.total_time_spent_seconds,
    e.last_accessed_at, e.certificate_issued_at, e.rating, e.review, e.reviewed_at
"""
ENROLLMENT_KEYS = [
    "id",
    "student_id",
    "course_id",
    "course_title",
    "course_slug",
    "cohort_id",
    "status",
    "enrolled_at",
    "started_at",
    "completed_at",
    "progress_percentage",
    "completed_lessons_count",
    "total_lessons_count",
    "total_time_spent_seconds",
    "last_accessed_at",
    "certificate_issued_at",
    "rating",
    "review",
    "reviewed_at",
]


def enrollment_dict(row: asyncpg.Record) -> dict[str, Any]:
    item = {key: row[key] for key in ENROLLMENT_KEYS}
    item["progress_percentage"] = float(item["progress_percentage"])
    return item


async def my_courses(scope: Scope) -> bytes:
    user_id, _role = await authenticate(scope)
    page, size = _page_args(scope)
    rows = await state.pool.fetch(
        f"""SELECT {ENROLLMENT_COLUMNS}, count(*) OVER () AS total
            FROM enrollments e JOIN courses c ON c.id = e.course_id
            WHERE e.student_id = $1 ORDER BY e.enrolled_at DESC, e.id
            LIMIT $2 OFFSET $3""",
        user_id,
        size,
        (page - 1) * size,
    )
    total = (
        rows[0]["total"]
        if rows
        else await state.pool.fetchval(
            "SELECT count(*) FROM enrollments WHERE student_id = $1", user_id
        )
    )
    return dumps(
        {
            "items": [enrollment_dict(r) for r in rows],
            "total": total,
            "page": page,
            "page_size": size,
        }
    )


async def read_body(receive: Receive) -> Any:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise HttpError(422, "validation_error") from exc


PROGRESS_KEYS = [
    "id",
    "enrollment_id",
    "lesson_id",
    "lesson_title",
    "lesson_order_index",
    "status",
    "started_at",
    "completed_at",
    "time_spent_seconds",
    "last_position_seconds",
    "completion_percentage",
    "attempts_count",
    "progress_metadata",
    "updated_at",
]


async def update_progress(
    scope: Scope, receive: Receive, enrollment_id: uuid.UUID, lesson_id: uuid.UUID
) -> bytes:
    user_id, _role = await authenticate(scope)
    data = await read_body(receive)
    seconds = data.get("time_spent_seconds", 0)
    position = data.get("last_position_seconds")
    percentage = data.get("completion_percentage")
    if not isinstance(seconds, int) or not 0 <= seconds <= 86_400:
        raise HttpError(422, "validation_error")
    if position is not None and (not isinstance(position, int) or position < 0):
        raise HttpError(422, "validation_error")
    if percentage is not None:
        percentage = Decimal(str(percentage))
        if not 0 <= percentage <= 100:
            raise HttpError(422, "validation_error")
    now = datetime.now(UTC)
    async with state.pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """UPDATE lesson_progress lp SET
                 time_spent_seconds = lp.time_spent_seconds + $3,
                 status = CASE WHEN lp.status = 'not_started' THEN 'in_progress'
                               ELSE lp.status END,
                 started_at = coalesce(lp.started_at, $4), updated_at = $4,
                 last_position_seconds = coalesce($5, lp.last_position_seconds),
                 completion_percentage = CASE
                   WHEN $6::numeric IS NOT NULL AND lp.completion_percentage < $6 THEN $6
                   ELSE lp.completion_percentage END
               FROM enrollments e, lessons l
               WHERE lp.enrollment_id = $1 AND lp.lesson_id = $2 AND e.id = lp.enrollment_id
                 AND e.student_id = $7 AND e.status IN ('active', 'completed')
                 AND l.id = lp.lesson_id
               RETURNING lp.*, l.title AS lesson_title, l.order_index AS lesson_order_index""",
            enrollment_id,
            lesson_id,
            seconds,
            now,
            position,
            percentage,
            user_id,
        )
        if row is None:
            raise HttpError(404, "enrollment_not_found")
        if seconds > 0:
            await conn.execute(
                """INSERT INTO learning_time (id, enrollment_id, lesson_id, seconds, recorded_at)
                   VALUES ($1, $2, $3, $4, $5)""",
                uuid.uuid4(),
                enrollment_id,
                lesson_id,
                seconds,
                now,
            )
        await conn.execute(
            """UPDATE enrollments SET total_time_spent_seconds = total_time_spent_seconds + $2,
                 last_accessed_at = $3, started_at = coalesce(started_at, $3) WHERE id = $1""",
            enrollment_id,
            seconds,
            now,
        )
    item = {key: row[key] for key in PROGRESS_KEYS}
    item["completion_percentage"] = float(item["completion_percentage"])
    item["completed"] = row["status"] == "completed"
    return dumps(item)


async def complete_lesson(scope: Scope, enrollment_id: uuid.UUID, lesson_id: uuid.UUID) -> bytes:
    user_id, _role = await authenticate(scope)
    now = datetime.now(UTC)
    async with state.pool.acquire() as conn, conn.transaction():
        flipped = await conn.fetchval(
            f"""UPDATE lesson_progress lp SET status = 'completed', completed_at = $3,
                 started_at = coalesce(lp.started_at, $3), completion_percentage = 100,
                 updated_at = $3
               FROM enrollments e, lessons l
               WHERE lp.enrollment_id = $1 AND lp.lesson_id = $2 AND lp.status <> 'completed'
                 AND e.id = lp.enrollment_id AND e.student_id = $4
                 AND e.status IN ('active', 'completed') AND l.id = lp.lesson_id
                 AND NOT {locked_sql("l", "e")}
               RETURNING lp.id""",
            enrollment_id,
            lesson_id,
            now,
            user_id,
        )
        if flipped is not None:
            row = await conn.fetchrow(
                f"""WITH done AS (
                      UPDATE enrollments e SET
                        completed_lessons_count = e.completed_lessons_count + 1,
                        progress_percentage = CASE
                          WHEN e.total_lessons_count <= 0 THEN 0
                          WHEN e.completed_lessons_count + 1 >= e.total_lessons_count THEN 100
                          ELSE round((e.completed_lessons_count + 1) * 100.0
                                     / e.total_lessons_count, 2) END,
                        last_accessed_at = $2, started_at = coalesce(e.started_at, $2),
                        status = CASE WHEN e.status = 'active' AND e.total_lessons_count > 0
                          AND e.completed_lessons_count + 1 >= e.total_lessons_count
                          THEN 'completed' ELSE e.status END,
                        completed_at = CASE WHEN e.status = 'active'
                          AND e.total_lessons_count > 0
                          AND e.completed_lessons_count + 1 >= e.total_lessons_count
                          THEN $2 ELSE e.completed_at END
                      WHERE e.id = $1 RETURNING e.*)
                    SELECT {ENROLLMENT_COLUMNS},
                           e.status = 'completed' AND e.completed_at = $2 AS just_completed,
                           u.email, u.full_name
                    FROM done e JOIN courses c ON c.id = e.course_id
                    JOIN users u ON u.id = e.student_id""",
                enrollment_id,
                now,
            )
            if row["just_completed"]:
                await conn.execute(
                    """INSERT INTO outbox_messages
                         (id, task, payload, status, attempts, available_at, dedupe_key,
                          created_at)
                       VALUES ($1, 'email.send', $2, 'pending', 0, $5, $3, $5),
                              ($4, 'certificates.issue', $6, 'pending', 0, $5, $7, $5)
                       ON CONFLICT (dedupe_key) DO NOTHING""",
                    uuid.uuid4(),
                    {
                        "to": row["email"],
                        "template": "course_completed",
                        "context": {
                            "full_name": row["full_name"],
                            "course_title": row["course_title"],
                        },
                    },
                    f"course_completed:{enrollment_id}",
                    uuid.uuid4(),
                    now,
                    {"enrollment_id": str(enrollment_id)},
                    f"certificate:{enrollment_id}",
                )
        else:
            row = await conn.fetchrow(
                f"""SELECT {ENROLLMENT_COLUMNS}, {locked_sql("l", "e")} AS locked
                    FROM enrollments e JOIN courses c ON c.id = e.course_id
                    JOIN lesson_progress lp ON lp.enrollment_id = e.id AND lp.lesson_id = $2
                    JOIN lessons l ON l.id = lp.lesson_id
                    WHERE e.id = $1 AND e.student_id = $3""",
                enrollment_id,
                lesson_id,
                user_id,
            )
            if row is None:
                raise HttpError(404, "enrollment_not_found")
            if row["locked"]:  # drip release: not completed while locked
                raise HttpError(403, "lesson_locked")
    return dumps(enrollment_dict(row))


# --- quizzes --------------------------------------------------------------------------------

QUIZ_KEYS = [
    "id",
    "course_id",
    "lesson_id",
    "title",
    "description",
    "quiz_type",
    "passing_score",
    "time_limit_minutes",
    "max_attempts",
    "shuffle_questions",
    "shuffle_options",
    "show_correct_answers",
    "is_published",
    "published_at",
]


def quiz_dict(row: asyncpg.Record, questions: list[asyncpg.Record]) -> dict[str, Any]:
    item = {key: row[key] for key in QUIZ_KEYS}
    item["question_count"] = len(questions)
    item["total_points"] = sum((q["points"] for q in questions), Decimal("0"))
    item["created_at"] = row["created_at"]
    item["updated_at"] = row["updated_at"]
    item["passing_score_percentage"] = row["passing_score"]
    return item


def attempt_dict(attempt: dict[str, Any], at: datetime) -> dict[str, Any]:
    remaining = None
    if attempt["status"] == "in_progress" and attempt["deadline_at"] is not None:
        remaining = max(0, int((attempt["deadline_at"] - at).total_seconds()))
    return {
        "id": attempt["id"],
        "quiz_id": attempt["quiz_id"],
        "enrollment_id": attempt["enrollment_id"],
        "student_id": attempt["student_id"],
        "attempt_number": attempt["attempt_number"],
        "status": attempt["status"],
        "started_at": attempt["started_at"],
        "deadline_at": attempt["deadline_at"],
        "time_remaining_seconds": remaining,
        "submitted_at": attempt["submitted_at"],
        "graded_at": attempt["graded_at"],
        "score": attempt["score"],
        "max_score": attempt["max_score"],
        "percentage": attempt["percentage"],
        "is_passed": attempt["is_passed"],
        "time_taken_seconds": attempt["time_taken_seconds"],
        "closed_at_deadline": attempt["closed_at_deadline"],
        "is_late": attempt["is_late"],
        "late_penalty_percent": attempt["late_penalty_percent"],
        "answers": [
            {"question_id": a["question_id"], "answer": a.get("answer")}
            for a in attempt["answers"] or []
        ],
        "feedback": attempt["feedback"],
    }


# A quiz with a schedule (windows, due dates, lateness) reads its schedule on start and
# submit; the benchmark's quizzes have none, and the floor does not implement them: it
# reads the flag and refuses rather than answer differently.
NOT_IN_FLOOR = "scheduled_quiz_not_in_floor"

QUESTIONS_SQL = """SELECT id, quiz_id, question_text, question_type, options, points,
                          order_index, correct_answer, explanation
                   FROM quiz_questions WHERE quiz_id = $1
                   ORDER BY order_index, created_at, id"""


async def start_attempt(scope: Scope, quiz_id: uuid.UUID) -> tuple[int, bytes]:
    user_id, _role = await authenticate(scope)
    async with state.pool.acquire() as conn, conn.transaction():
        quiz = await conn.fetchrow(
            f"""SELECT q.*, c.is_published AS course_published, c.instructor_id,
                      {locked_sql("ql", "e")} AS lesson_locked,
                      e.id AS enrollment_id, e.status AS enrollment_status,
                      (SELECT coalesce(max(a.attempt_number), 0) FROM quiz_attempts a
                        WHERE a.enrollment_id = e.id AND a.quiz_id = q.id) AS last_number,
                      (SELECT a.id FROM quiz_attempts a WHERE a.enrollment_id = e.id
                        AND a.quiz_id = q.id AND a.status = 'in_progress') AS open_id
               FROM quizzes q JOIN courses c ON c.id = q.course_id
               LEFT JOIN enrollments e ON e.course_id = q.course_id AND e.student_id = $2
               LEFT JOIN lessons ql ON ql.id = q.lesson_id
               WHERE q.id = $1""",
            quiz_id,
            user_id,
        )
        if quiz is None or not (quiz["is_published"] and quiz["course_published"]):
            raise HttpError(404, "quiz_not_found")
        if quiz["enrollment_id"] is None or quiz["enrollment_status"] not in ACCESS:
            raise HttpError(403, "not_enrolled")
        if quiz["lesson_locked"]:  # drip release: the quiz's lesson is locked
            raise HttpError(403, "lesson_locked")
        if quiz["has_schedule"]:
            raise HttpError(501, NOT_IN_FLOOR)
        if quiz["open_id"] is not None:  # resume the open attempt, as the API does
            attempt = dict(
                await conn.fetchrow("SELECT * FROM quiz_attempts WHERE id = $1", quiz["open_id"])
            )
            by_id = {str(q["id"]): q for q in await conn.fetch(QUESTIONS_SQL, quiz_id)}
            ordered = [by_id[qid] for qid in attempt["question_order"] if qid in by_id]
            return 200, _sheet(attempt, quiz, ordered, attempt["option_order"] or {})
        number = quiz["last_number"]
        if quiz["max_attempts"] is not None and number >= quiz["max_attempts"]:
            raise HttpError(409, "max_attempts_reached")
        questions = list(await conn.fetch(QUESTIONS_SQL, quiz_id))
        if not questions:
            raise HttpError(409, "quiz_empty")
        if quiz["shuffle_questions"]:
            _shuffler.shuffle(questions)
        option_order: dict[str, list[str]] = {}
        for question in questions:
            if question["question_type"] == "multiple_choice" and question["options"]:
                options = list(question["options"])
                if quiz["shuffle_options"]:
                    _shuffler.shuffle(options)
                option_order[str(question["id"])] = options
        at = datetime.now(UTC)
        limit = quiz["time_limit_minutes"]
        attempt = {
            "id": uuid.uuid4(),
            "quiz_id": quiz_id,
            "enrollment_id": quiz["enrollment_id"],
            "student_id": user_id,
            "attempt_number": number + 1,
            "status": "in_progress",
            "started_at": at,
            "deadline_at": at + timedelta(minutes=limit) if limit else None,
            "submitted_at": None,
            "graded_at": None,
            "score": None,
            "max_score": None,
            "percentage": None,
            "is_passed": None,
            "time_taken_seconds": None,
            "closed_at_deadline": False,
            "is_late": False,
            "late_penalty_percent": None,
            "answers": [],
            "feedback": None,
        }
        await conn.execute(
            """INSERT INTO quiz_attempts (id, quiz_id, enrollment_id, student_id,
                 attempt_number, status, started_at, deadline_at, answers, question_order,
                 option_order, closed_at_deadline, updated_at, version_id)
               VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $7, $8, $9, $10, false, $6, 1)""",
            attempt["id"],
            quiz_id,
            attempt["enrollment_id"],
            user_id,
            number + 1,
            at,
            attempt["deadline_at"],
            [],
            [str(q["id"]) for q in questions],
            option_order,
        )
    return 201, _sheet(attempt, quiz, questions, option_order)


def _sheet(
    attempt: dict[str, Any],
    quiz: asyncpg.Record,
    questions: list[asyncpg.Record],
    option_order: dict[str, list[str]],
) -> bytes:
    sheet = attempt_dict(attempt, datetime.now(UTC))
    sheet["results"] = None
    sheet["quiz"] = quiz_dict(quiz, questions)
    sheet["questions"] = [
        {
            "id": q["id"],
            "quiz_id": q["quiz_id"],
            "question_text": q["question_text"],
            "question_type": q["question_type"],
            "options": option_order.get(str(q["id"]), q["options"]),
            "points": q["points"],
            "order_index": q["order_index"],
            "order": q["order_index"],
        }
        for q in questions
    ]
    sheet["ended_at"] = None
    sheet["passed"] = None
    return dumps(sheet)


async def submit_attempt(
    scope: Scope, receive: Receive, quiz_id: uuid.UUID, attempt_id: uuid.UUID
) -> bytes:
    user_id, _role = await authenticate(scope)
    data = await read_body(receive)
    at = datetime.now(UTC)
    async with state.pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT a.*, q.passing_score, q.show_correct_answers, q.has_schedule
               FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id
               WHERE a.id = $1 FOR UPDATE OF a""",
            attempt_id,
        )
        if row is None or row["student_id"] != user_id or row["quiz_id"] != quiz_id:
            raise HttpError(404, "attempt_not_found")
        if row["status"] != "in_progress":
            raise HttpError(409, "attempt_already_submitted")
        if row["has_schedule"]:
            raise HttpError(501, NOT_IN_FLOOR)
        if row["deadline_at"] is not None and at > row["deadline_at"] + timedelta(seconds=30):
            raise HttpError(409, "attempt_expired")
        questions = {str(q["id"]): q for q in await conn.fetch(QUESTIONS_SQL, quiz_id)}
        saved = {a["question_id"]: a.get("answer") for a in row["answers"] or []}
        for item in data.get("answers", []):
            qid = str(item["question_id"])
            if qid not in questions or qid not in row["question_order"]:
                raise HttpError(422, "unknown_question")
            question = questions[qid]
            try:
                saved[qid] = grading.coerce_answer(
                    question["question_type"], question["options"], item.get("answer")
                )
            except grading.AnswerError as exc:
                raise HttpError(422, "invalid_answer") from exc
        order = row["question_order"]
        answers = [{"question_id": qid, "answer": saved[qid]} for qid in order if qid in saved]
        marks = {}
        awarded = []
        for qid in order:
            question = questions[qid]
            mark = grading.mark_answer(
                question["question_type"],
                question["correct_answer"],
                question["points"],
                saved.get(qid),
            )
            assert mark.points is not None  # the benchmark's quizzes grade automatically
            awarded.append(mark.points)
            marks[qid] = {
                "points": str(mark.points.quantize(grading.CENT)),
                "is_correct": mark.is_correct,
                "feedback": None,
            }
        total = grading.total_score(
            awarded, (questions[qid]["points"] for qid in order), row["passing_score"]
        )
        taken = int((at - row["started_at"]).total_seconds())
        await conn.execute(
            """UPDATE quiz_attempts SET answers = $2, submitted_at = $3, time_taken_seconds = $4,
                 marks = $5, status = 'graded', graded_at = $3, score = $6, max_score = $7,
                 percentage = $8, is_passed = $9, updated_at = $3, version_id = version_id + 1
               WHERE id = $1""",
            attempt_id,
            answers,
            at,
            taken,
            marks,
            total.score,
            total.max_score,
            total.percentage,
            total.is_passed,
        )
    attempt = dict(row)
    attempt.update(
        answers=answers,
        submitted_at=at,
        time_taken_seconds=taken,
        status="graded",
        graded_at=at,
        score=total.score,
        max_score=total.max_score,
        percentage=total.percentage,
        is_passed=total.is_passed,
    )
    body = attempt_dict(attempt, at)
    reveal = row["show_correct_answers"]
    results = []
    for qid in order:
        question = questions[qid]
        mark = marks[qid]
        results.append(
            {
                "question_id": question["id"],
                "question_text": question["question_text"],
                "question_type": question["question_type"],
                "answer": saved.get(qid),
                "points_possible": question["points"],
                "points_awarded": Decimal(mark["points"]) if reveal else None,
                "is_correct": mark["is_correct"] if reveal else None,
                "needs_grading": False,
                "feedback": None,
                "correct_answer": question["correct_answer"] if reveal else None,
                "explanation": question["explanation"] if reveal else None,
            }
        )
    body["results"] = results
    body["ended_at"] = at
    body["passed"] = total.is_passed
    return dumps(body)


# --- the ASGI application -------------------------------------------------------------------


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise HttpError(422, "validation_error") from exc


async def route(scope: Scope, receive: Receive) -> tuple[int, bytes]:
    method = scope["method"]
    path = scope["path"]
    if not path.startswith(PREFIX):
        raise HttpError(404, "not_found")
    parts = path[len(PREFIX) + 1 :].split("/")
    match method, parts:
        case "GET", ["courses"]:
            return 200, await catalogue(scope)
        case "GET", ["courses", course_id]:
            return 200, await course(scope, _uuid(course_id))
        case "GET", ["courses", course_id, "lessons"]:
            return 200, await course_lessons(scope, _uuid(course_id))
        case "GET", ["lessons", lesson_id]:
            return 200, await lesson(scope, _uuid(lesson_id))
        case "GET", ["enrollments", "my-courses"]:
            return 200, await my_courses(scope)
        case "PUT", ["enrollments", enrollment_id, "lessons", lesson_id, "progress"]:
            return 200, await update_progress(
                scope, receive, _uuid(enrollment_id), _uuid(lesson_id)
            )
        case "POST", ["enrollments", enrollment_id, "lessons", lesson_id, "complete"]:
            return 200, await complete_lesson(scope, _uuid(enrollment_id), _uuid(lesson_id))
        case "POST", ["quizzes", quiz_id, "attempts"]:
            return await start_attempt(scope, _uuid(quiz_id))
        case "POST", ["quizzes", quiz_id, "attempts", attempt_id, "submit"]:
            return 200, await submit_attempt(scope, receive, _uuid(quiz_id), _uuid(attempt_id))
    raise HttpError(404, "not_found")


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state.pool = await asyncpg.create_pool(
                    DSN, min_size=2, max_size=POOL_SIZE, init=_init_connection
                )
                state.redis = aioredis.from_url(REDIS_URL)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await state.pool.close()
                await state.redis.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
    try:
        status, body = await route(scope, receive)
        content_type = b"application/json"
    except HttpError as exc:
        status = exc.status
        body = dumps({"status": exc.status, "code": exc.code})
        content_type = b"application/problem+json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
