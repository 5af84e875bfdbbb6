"""Who may call what: every route of the app, called by nine kinds of caller, against
one declarative table (OWASP API1 broken object level and API5 broken function level
authorization, API9 inventory).

The routes come from the app's own route table, so a new route without an entry in
``MATRIX`` fails this test until someone decides who may call it. Each entry gives the
status each caller must get, in the order of ``CALLERS``:

    anonymous, student (enrolled; owns the student-side objects), other_student,
    other_instructor (teaches other courses), owner (teaches this course), admin,
    co_instructor, assistant_in (an assistant of the student's cohort), assistant_out
    (an assistant of another cohort of the course)

Every response must also carry the security headers (``test_headers``) and is scanned
for secrets (``test_properties.leaks``): configured keys,
the accounts' password, hashes and secret-bearing fields.

Path parameters point at real objects (``world.py``). Where a call changes or uses up
its object (a delete, a submit, a refund), each caller gets a fresh one of its own, so
every caller meets the same state. Tokens are minted fresh for every call, so a logout
or a password change in one call does not leak into the next."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.routing import iter_route_contexts
from sqlalchemy.ext.asyncio import async_sessionmaker

from lms.core.session import commit
from lms.modules.privacy.service import build_export
from tests.factories.accounts import PASSWORD, AccountFactory, enable_mfa_directly, login
from tests.factories.api import ok
from tests.factories.certificates import generate_certificate
from tests.factories.courses import add_lesson, published_course
from tests.factories.enrollments import complete_course
from tests.factories.files import pdf, upload_file
from tests.factories.outbox import failed_email
from tests.factories.quizzes import add_question, create_quiz
from tests.factories.teams import add_staff, create_cohort, enroll_by_staff
from tests.factories.webhooks import failed_delivery, register_endpoint
from tests.security.test_headers import missing_security_headers
from tests.security.test_properties import leaks
from tests.security.world import CALLERS, World

Params = Callable[["Ctx", str], Awaitable[dict[str, str]]]
Body = Callable[["Ctx", str], Awaitable[dict[str, Any]]]

# Statuses, named for reading the table.
OK, CREATED, ACCEPTED, NO_CONTENT, SEE_OTHER = 200, 201, 202, 204, 303
BAD, UNAUTH, FORBID, MISSING, CONFLICT, INVALID = 400, 401, 403, 404, 409, 422


@dataclass
class Ctx:
    """The world, the HTTP client and fresh objects on demand."""

    world: World
    client: httpx.AsyncClient
    db: Any
    make_account: AccountFactory
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def w(self) -> World:
        return self.world

    async def draft_course(self) -> dict[str, Any]:
        """A new draft with the world's team on it."""
        course, _ = await published_course(
            self.client, self.w.caller("owner"), lessons=1, publish=False
        )
        await self.w.add_team(self.client, course["id"])
        return course

    async def published_course(self, *, team: bool = False, **fields: Any) -> dict[str, Any]:
        course, _ = await published_course(self.client, self.w.caller("owner"), lessons=1, **fields)
        if team:
            await self.w.add_team(self.client, course["id"])
        return course

    async def staff_member(self) -> str:
        """A new account on the course's team (an assistant); its id."""
        account = await self.make_account("student", full_name="Tess Temporary")
        await add_staff(
            self.client, self.w.caller("owner"), self.w.course["id"], account.id, "assistant"
        )
        return str(account.id)

    async def course_enrollment(self, *, dropped: bool = False) -> dict[str, Any]:
        """A new student enrolled in the course by its owner (dropped, if asked)."""
        enrollment = await enroll_by_staff(
            self.client,
            self.w.caller("owner"),
            self.w.course["id"],
            email=f"roster-{uuid.uuid4().hex[:8]}@example.com",
        )
        if dropped:
            ok(
                await self.client.delete(
                    f"/courses/{self.w.course['id']}/enrollments/{enrollment['id']}",
                    headers=self.w.headers("owner"),
                )
            )
        return enrollment

    async def lesson(self) -> dict[str, Any]:
        return await add_lesson(
            self.client,
            self.w.caller("owner"),
            self.w.draft_course["id"],
            title="Spare lesson",
            lesson_type="text",
            content="x",
        )

    async def quiz(self, *, with_question: bool = False) -> dict[str, Any]:
        quiz = await create_quiz(
            self.client, self.w.caller("owner"), self.w.course["id"], title="Spare quiz"
        )
        if with_question:
            await self.question(quiz["id"])
        return quiz

    async def question(self, quiz_id: str) -> dict[str, Any]:
        return await add_question(
            self.client,
            self.w.caller("owner"),
            quiz_id,
            question_text="2 + 2 = 4",
            question_type="true_false",
            correct_answer="true",
        )

    async def open_attempt(self) -> dict[str, Any]:
        """The student's open attempt at the world's quiz (started if none is open)."""
        return ok(
            await self.client.post(
                f"/quizzes/{self.w.quiz['id']}/attempts", headers=self.w.headers("student")
            ),
            200,
            201,
        )

    async def submitted_attempt(self) -> dict[str, Any]:
        attempt = await self.open_attempt()
        return ok(
            await self.client.post(
                f"/attempts/{attempt['id']}/submit",
                headers=self.w.headers("student"),
                json={"answers": []},
            )
        )

    async def completed_enrollment(self) -> dict[str, Any]:
        """The student's completed enrollment in a new one-lesson course (the certificate
        job is queued, not run, so no certificate exists yet)."""
        _, enrollment = await complete_course(
            self.client, self.w.caller("owner"), self.w.caller("student"), lessons=1
        )
        return enrollment

    async def certificate(self) -> dict[str, Any]:
        enrollment = await self.completed_enrollment()
        return await generate_certificate(self.client, self.w.caller("student"), enrollment["id"])

    async def private_file(self) -> dict[str, Any]:
        return await upload_file(self.client, self.w.caller("student"), "mine.pdf", pdf("private"))

    async def failed_outbox_message(self) -> str:
        return str(await failed_email(self.db, "lost@example.com"))

    async def webhook_endpoint(self) -> dict[str, Any]:
        return await register_endpoint(
            self.client, self.w.caller("admin"), "https://hooks.example.com/lms"
        )

    async def failed_webhook_delivery(self) -> str:
        endpoint = await self.webhook_endpoint()
        return str(await failed_delivery(self.db, endpoint["id"]))

    async def refresh_token(self) -> str:
        body = ok(await login(self.client, self.w.student.email), 200)
        return str(body["refresh_token"])


# --- path parameters -----------------------------------------------------------------


def fixed(**getters: Callable[[World], str]) -> Params:
    async def resolve(ctx: Ctx, _caller: str) -> dict[str, str]:
        return {name: getter(ctx.w) for name, getter in getters.items()}

    return resolve


def fresh(name: str, make: Callable[[Ctx], Awaitable[Any]], key: str = "id", **more: Any) -> Params:
    """A new object for every caller."""

    async def resolve(ctx: Ctx, _caller: str) -> dict[str, str]:
        made = await make(ctx)
        value = made if isinstance(made, str) else made[key]
        return {name: str(value), **{k: getter(ctx.w) for k, getter in more.items()}}

    return resolve


COURSE = fixed(course_id=lambda w: w.course["id"])
COHORT = fixed(course_id=lambda w: w.course["id"], cohort_id=lambda w: w.cohort["id"])
COURSE_ENROLLMENT = fixed(
    course_id=lambda w: w.course["id"], enrollment_id=lambda w: w.enrollment["id"]
)
DRAFT = fixed(course_id=lambda w: w.draft_course["id"])
LESSON = fixed(lesson_id=lambda w: w.lessons[1]["id"])
ASSIGNMENT = fixed(lesson_id=lambda w: w.assignment["id"])
QUIZ = fixed(quiz_id=lambda w: w.quiz["id"])
COURSE_QUIZ = fixed(course_id=lambda w: w.course["id"], quiz_id=lambda w: w.quiz["id"])
ENROLLMENT = fixed(enrollment_id=lambda w: w.enrollment["id"])
PROGRESS = fixed(enrollment_id=lambda w: w.enrollment["id"], lesson_id=lambda w: w.lessons[1]["id"])
SUBMISSION = fixed(submission_id=lambda w: w.submission["id"])
CERTIFICATE = fixed(certificate_id=lambda w: w.certificate["id"])
FILE = fixed(file_id=lambda w: w.file["id"])
PAYMENT = fixed(payment_id=lambda w: w.payment["id"])
STUDENT_USER = fixed(user_id=lambda w: str(w.student.id))
GRADEBOOK_STUDENT = fixed(
    course_id=lambda w: w.course["id"], student_id=lambda w: str(w.student.id)
)
SPARE_USER = fixed(user_id=lambda w: str(w.spare.id))


async def _open_attempt_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    attempt = await ctx.open_attempt()
    return {"quiz_id": ctx.w.quiz["id"], "attempt_id": attempt["id"]}


async def _submitted_attempt_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    attempt = await ctx.submitted_attempt()
    return {"quiz_id": ctx.w.quiz["id"], "attempt_id": attempt["id"]}


async def _question_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    quiz = await ctx.quiz()
    question = await ctx.question(quiz["id"])
    return {"quiz_id": quiz["id"], "question_id": question["id"]}


async def _quiz_with_question(ctx: Ctx) -> dict[str, Any]:
    return await ctx.quiz(with_question=True)


async def _course_with_draft_quiz(ctx: Ctx, _caller: str) -> dict[str, str]:
    quiz = await ctx.quiz(with_question=True)
    return {"course_id": ctx.w.course["id"], "quiz_id": quiz["id"]}


async def _published_course(ctx: Ctx) -> dict[str, Any]:
    return await ctx.published_course(team=True)


async def _staff_member_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    return {"course_id": ctx.w.course["id"], "user_id": await ctx.staff_member()}


async def _fresh_cohort_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    cohort = await create_cohort(ctx.client, ctx.w.caller("owner"), ctx.w.course["id"])
    return {"course_id": ctx.w.course["id"], "cohort_id": cohort["id"]}


async def _course_enrollment_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    enrollment = await ctx.course_enrollment()
    return {"course_id": ctx.w.course["id"], "enrollment_id": enrollment["id"]}


async def _dropped_enrollment_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    enrollment = await ctx.course_enrollment(dropped=True)
    return {"course_id": ctx.w.course["id"], "enrollment_id": enrollment["id"]}


ROSTER_CSV = b"email,full_name,role\r\nmatrix@example.com,Matrix Row,student\r\n"
DRY_RUN = {"dry_run": "true"}


async def _import_job_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    """A roster import the owner started."""
    job = ok(
        await ctx.client.post(
            f"/courses/{ctx.w.course['id']}/roster/imports",
            headers={**ctx.w.headers("owner"), "Content-Type": "text/csv"},
            content=ROSTER_CSV,
        ),
        202,
    )
    return {"job_id": job["id"]}


async def _new_staff_body(ctx: Ctx, _caller: str) -> dict[str, Any]:
    account = await ctx.make_account("student", full_name="Nina Newstaff")
    return {"user_id": str(account.id), "role": "assistant"}


async def _draft_course(ctx: Ctx) -> dict[str, Any]:
    return await ctx.draft_course()


async def _lesson(ctx: Ctx) -> dict[str, Any]:
    return await ctx.lesson()


async def _private_file(ctx: Ctx) -> dict[str, Any]:
    return await ctx.private_file()


async def _completed_enrollment(ctx: Ctx) -> dict[str, Any]:
    return await ctx.completed_enrollment()


async def _certificate(ctx: Ctx) -> dict[str, Any]:
    return await ctx.certificate()


async def _failed_message(ctx: Ctx) -> str:
    return await ctx.failed_outbox_message()


async def _webhook_endpoint(ctx: Ctx) -> dict[str, Any]:
    return await ctx.webhook_endpoint()


async def _failed_webhook_delivery(ctx: Ctx) -> str:
    return await ctx.failed_webhook_delivery()


WEBHOOK_ENDPOINT = fresh("endpoint_id", _webhook_endpoint)


async def _ready_export_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    """The student's data export, built (once for the table)."""
    if "export_id" not in ctx.cache:
        export = ok(await ctx.client.post("/me/data-export", headers=ctx.w.headers("student")), 202)
        sessionmaker = async_sessionmaker(ctx.db.bind, expire_on_commit=False)
        async with sessionmaker() as session:
            await build_export(session, {"export_id": export["id"]})
            await commit(session)
        ctx.cache["export_id"] = export["id"]
    return {"export_id": ctx.cache["export_id"]}


async def _account_with_mfa(ctx: Ctx) -> str:
    account = await ctx.make_account("student", full_name="Mo Lostphone")
    await enable_mfa_directly(ctx.db, account.id)
    return str(account.id)


async def _erasable_account(ctx: Ctx) -> str:
    account = await ctx.make_account("student", full_name="Erin Erasable")
    return str(account.id)


# --- bodies ------------------------------------------------------------------------------


def const(value: dict[str, Any]) -> Body:
    async def build(_ctx: Ctx, _caller: str) -> dict[str, Any]:
        return dict(value)

    return build


def body(make: Callable[[Ctx, str], Any]) -> Body:
    async def build(ctx: Ctx, caller: str) -> dict[str, Any]:
        result = make(ctx, caller)
        if hasattr(result, "__await__"):
            result = await result
        return dict(result)

    return build


async def _fresh_course_body(ctx: Ctx, _caller: str) -> dict[str, Any]:
    return {"course_id": (await ctx.published_course())["id"]}


async def _fresh_paid_course_body(ctx: Ctx, _caller: str) -> dict[str, Any]:
    return {"course_id": (await ctx.published_course(price="42.00"))["id"], "provider": "stripe"}


async def _refresh_body(ctx: Ctx, _caller: str) -> dict[str, Any]:
    return {"refresh_token": await ctx.refresh_token()}


async def _completed_enrollment_body(ctx: Ctx, _caller: str) -> dict[str, Any]:
    return {"enrollment_id": (await ctx.completed_enrollment())["id"]}


async def _reorder_body(ctx: Ctx, _caller: str) -> dict[str, Any]:
    """Every lesson of the course, in reverse order."""
    listed = ok(
        await ctx.client.get(
            f"/courses/{ctx.w.course['id']}/lessons",
            headers=ctx.w.headers("owner"),
            params={"page_size": 100},
        )
    )
    lessons = [lesson["id"] for lesson in reversed(listed["items"])]
    return {"course_id": ctx.w.course["id"], "lesson_ids": lessons}


def _grade_attempt_body(ctx: Ctx, _caller: str) -> dict[str, Any]:
    return {
        "grades": [{"question_id": q["id"], "points": "1"} for q in ctx.w.questions],
        "feedback": "Well done",
    }


@dataclass(frozen=True)
class Rule:
    expect: tuple[int, int, int, int, int, int, int, int, int]
    params: Params | None = None
    json: Body | None = None
    form: dict[str, str] | None = None
    upload: bool = False
    query: dict[str, str] | None = None
    csv: bytes | None = None


def R(
    anonymous: int,
    student: int,
    other_student: int,
    other_instructor: int,
    owner: int,
    admin: int,
    co_instructor: int,
    assistant_in: int,
    assistant_out: int,
    **options: Any,
) -> Rule:
    return Rule(
        (
            anonymous,
            student,
            other_student,
            other_instructor,
            owner,
            admin,
            co_instructor,
            assistant_in,
            assistant_out,
        ),
        **options,
    )


def everyone(status: int, **options: Any) -> Rule:
    return R(*(status,) * 9, **options)


def signed_in(status: int, **options: Any) -> Rule:
    return R(UNAUTH, *(status,) * 8, **options)


def admin_only(status: int, **options: Any) -> Rule:
    return R(UNAUTH, FORBID, FORBID, FORBID, FORBID, status, FORBID, FORBID, FORBID, **options)


def staff_on_own_course(
    status: int,
    outsider: int = FORBID,
    team: tuple[int, int, int] | None = None,
    **options: Any,
) -> Rule:
    """Those who edit the course: its owner, its co-instructor and admins. Students and
    another instructor see the published course but may not change it (403), and do
    not see a draft at all (404: ``outsider``). The assistants see it and edit nothing
    (403), unless ``team`` says otherwise for a rule that lets them read or grade."""
    return R(
        UNAUTH,
        FORBID if outsider == FORBID else outsider,
        FORBID if outsider == FORBID else outsider,
        outsider,
        status,
        status,
        *(team or (status, FORBID, FORBID)),
        **options,
    )


def course_team(status: int, **options: Any) -> Rule:
    """The course's whole team reads (an assistant of some cohorts sees their part)."""
    return R(UNAUTH, FORBID, FORBID, FORBID, status, status, status, status, status, **options)


def course_editors(status: int, **options: Any) -> Rule:
    """The owner, the co-instructor and admins; assistants are refused (403)."""
    return R(UNAUTH, FORBID, FORBID, FORBID, status, status, status, FORBID, FORBID, **options)


def course_owner(status: int, **options: Any) -> Rule:
    """The owner and admins only: the team, ownership."""
    return R(UNAUTH, FORBID, FORBID, FORBID, status, status, FORBID, FORBID, FORBID, **options)


def manage_draft(status: int, **options: Any) -> Rule:
    """A draft quiz: only the course's team and admins know it exists; editors change it."""
    return R(UNAUTH, MISSING, MISSING, MISSING, status, status, status, FORBID, FORBID, **options)


STUDENT_UNSIGNED = const({"id": "evt_unsigned", "type": "payment_intent.succeeded"})
FRESH_USER = body(
    lambda _ctx, caller: {
        "email": f"new-{caller}-{uuid.uuid4().hex[:6]}@example.com",
        "password": "s3cret-pass",
        "full_name": "New Person",
    }
)


# --- schedules: the world's quiz and assignment lesson, with a schedule and an override
# of the student made sure of (as the owner) before each call that reads or removes one.
SCHEDULE_BODY = const({"due_at": "2099-01-01T00:00:00Z"})


def _schedule_path(kind: str, ctx: Ctx) -> str:
    if kind == "quiz":
        return f"/quizzes/{ctx.w.quiz['id']}/schedule"
    return f"/lessons/{ctx.w.assignment['id']}/schedule"


async def _ensure_schedule(kind: str, ctx: Ctx, *, override: bool | None) -> str | None:
    """The world item with a schedule; with (True) or without (False) the student's
    override; returns the override's id when there is one."""
    path, owner = _schedule_path(kind, ctx), ctx.w.headers("owner")
    ok(await ctx.client.put(path, headers=owner, json={"due_at": "2099-01-01T00:00:00Z"}))
    found = ok(await ctx.client.get(f"{path}/overrides", headers=owner))
    mine = [o for o in found if o["student_id"] == str(ctx.w.student.id)]  # type: ignore[union-attr]
    if override is False:
        for item in mine:
            ok(await ctx.client.delete(f"{path}/overrides/{item['id']}", headers=owner), 204)
        return None
    if override and not mine:
        body = {"student_id": str(ctx.w.student.id), "due_at": "2099-01-02T00:00:00Z"}
        mine = [ok(await ctx.client.post(f"{path}/overrides", headers=owner, json=body), 201)]
    return str(mine[0]["id"]) if mine else None


def _scheduled(kind: str, *, override: bool | None = None, with_id: bool = False) -> Params:
    async def resolve(ctx: Ctx, _caller: str) -> dict[str, str]:
        override_id = await _ensure_schedule(kind, ctx, override=override)
        params = (
            {"quiz_id": ctx.w.quiz["id"]}
            if kind == "quiz"
            else {"lesson_id": ctx.w.assignment["id"]}
        )
        if with_id:
            params["override_id"] = str(override_id)
        return params

    return resolve


def _student_override_body(ctx: Ctx, _caller: str) -> dict[str, Any]:
    return {"student_id": str(ctx.w.student.id), "due_at": "2099-01-03T00:00:00Z"}


async def _feed_params(ctx: Ctx, _caller: str) -> dict[str, str]:
    feed = ok(await ctx.client.get("/me/calendar/feed", headers=ctx.w.headers("student")))
    return {"token": str(feed["url"]).rsplit("/", 1)[1].removesuffix(".ics")}


def _schedule_rows(kind: str, base: str) -> dict[str, Rule]:
    """Who may read and change an item's schedule: the course's team reads it, its
    editors change it; students and outsiders who see the course are refused (403)."""
    return {
        f"GET {base}": course_team(OK, params=_scheduled(kind)),
        f"PUT {base}": course_editors(OK, params=_scheduled(kind), json=SCHEDULE_BODY),
        f"DELETE {base}": course_editors(NO_CONTENT, params=_scheduled(kind)),
        f"GET {base}/overrides": course_team(OK, params=_scheduled(kind, override=True)),
        f"POST {base}/overrides": course_editors(
            CREATED, params=_scheduled(kind, override=False), json=body(_student_override_body)
        ),
        f"GET {base}/overrides/{{override_id}}": course_team(
            OK, params=_scheduled(kind, override=True, with_id=True)
        ),
        f"DELETE {base}/overrides/{{override_id}}": course_editors(
            NO_CONTENT, params=_scheduled(kind, override=True, with_id=True)
        ),
    }


MATRIX: dict[str, Rule] = {
    # documentation and probes: public
    "GET /openapi.json": everyone(OK),
    "GET /docs": everyone(OK),
    "GET /docs/oauth2-redirect": everyone(OK),
    "GET /redoc": everyone(OK),
    "GET /api/v1/health": everyone(OK),
    "GET /api/v1/ready": everyone(OK),
    # metrics: off in these settings (tests/core/test_metrics.py turns them on); when on,
    # open only to the networks LMS_METRICS_ALLOWED_NETWORKS lists, whatever the token
    "GET /metrics": everyone(MISSING),
    # auth: public entry points; the session ones need a token
    "POST /api/v1/auth/register": everyone(CREATED, json=FRESH_USER),
    "POST /api/v1/auth/login": everyone(
        OK, json=body(lambda ctx, _c: {"email": ctx.w.student.email, "password": PASSWORD})
    ),
    "POST /api/v1/auth/token": everyone(OK, form={"username": "", "password": PASSWORD}),
    "POST /api/v1/auth/mfa/login": everyone(
        UNAUTH, json=const({"mfa_token": "not-a-token", "code": "123456"})
    ),
    "POST /api/v1/auth/login/mfa": everyone(
        UNAUTH, json=const({"mfa_token": "not-a-token", "code": "123456"})
    ),
    "POST /api/v1/auth/refresh": everyone(OK, json=body(_refresh_body)),
    "POST /api/v1/auth/logout": signed_in(NO_CONTENT),
    "POST /api/v1/auth/forgot-password": everyone(
        ACCEPTED, json=body(lambda ctx, _c: {"email": ctx.w.student.email})
    ),
    "POST /api/v1/auth/reset-password": everyone(
        BAD, json=const({"token": "not-a-token", "new_password": "s3cret-pass"})
    ),
    "POST /api/v1/auth/verify-email/request": signed_in(ACCEPTED),
    "POST /api/v1/auth/verify-email/confirm": everyone(BAD, json=const({"token": "not-a-token"})),
    "POST /api/v1/auth/mfa/enable": signed_in(OK, json=const({"method": "totp"})),
    "POST /api/v1/auth/mfa/enable/request": signed_in(OK, json=const({"method": "totp"})),
    "POST /api/v1/auth/mfa/verify": signed_in(INVALID, json=const({"code": "000000"})),
    "POST /api/v1/auth/mfa/enable/confirm": signed_in(INVALID, json=const({"code": "000000"})),
    "POST /api/v1/auth/mfa/disable": signed_in(CONFLICT, json=const({"password": PASSWORD})),
    "GET /api/v1/auth/me": signed_in(OK),
    # users: your own account; everyone else's is admin business
    "GET /api/v1/users/me": signed_in(OK),
    "PATCH /api/v1/users/me": signed_in(OK, json=const({"full_name": "Renamed"})),
    "POST /api/v1/users/me/password": signed_in(
        NO_CONTENT, json=const({"current_password": PASSWORD, "new_password": PASSWORD})
    ),
    "GET /api/v1/users": admin_only(OK),
    "POST /api/v1/users": admin_only(CREATED, json=FRESH_USER),
    "GET /api/v1/users/{user_id}": admin_only(OK, params=STUDENT_USER),
    "PATCH /api/v1/users/{user_id}": admin_only(
        OK, params=SPARE_USER, json=const({"full_name": "Spare Renamed"})
    ),
    "GET /api/v1/admin/outbox": admin_only(OK),
    "POST /api/v1/admin/outbox/{message_id}/retry": admin_only(
        OK, params=fresh("message_id", _failed_message)
    ),
    # the audit log: admins see all of it; a course's editors see their course's (its
    # assistants are refused); act as: admins, for an active non-admin account; turning
    # off another account's second factor: admins
    "GET /api/v1/admin/audit": admin_only(OK),
    "GET /api/v1/courses/{course_id}/audit": course_editors(OK, params=COURSE),
    "POST /api/v1/admin/users/{user_id}/act-as": admin_only(
        OK, params=STUDENT_USER, json=const({"reason": "Ticket 1: matrix check"})
    ),
    "POST /api/v1/admin/users/{user_id}/mfa/disable": admin_only(
        NO_CONTENT,
        params=fresh("user_id", _account_with_mfa),
        json=const({"reason": "Ticket 2: phone lost"}),
    ),
    # files: a private file is its uploader's and admins'; this one is handed in with the
    # student's assignment, so the course's instructor reads it too; outsiders get 404
    "POST /api/v1/files/upload": signed_in(CREATED, upload=True),
    "GET /api/v1/files": signed_in(OK),
    "GET /api/v1/files/my-files": signed_in(OK),
    "GET /api/v1/files/download/{file_id}": R(
        MISSING, OK, MISSING, MISSING, OK, OK, OK, OK, MISSING, params=FILE
    ),
    "GET /api/v1/files/{file_id}": R(
        MISSING, OK, MISSING, MISSING, OK, OK, OK, OK, MISSING, params=FILE
    ),
    "GET /api/v1/files/{file_id}/download": R(
        MISSING, OK, MISSING, MISSING, OK, OK, OK, OK, MISSING, params=FILE
    ),
    "DELETE /api/v1/files/{file_id}": R(
        UNAUTH,
        NO_CONTENT,
        MISSING,
        MISSING,
        MISSING,
        NO_CONTENT,
        MISSING,
        MISSING,
        MISSING,
        params=fresh("file_id", _private_file),
    ),
    # courses: the catalogue is public; a draft only for its instructor and admins
    "GET /api/v1/courses": everyone(OK),
    "POST /api/v1/courses": R(
        UNAUTH,
        FORBID,
        FORBID,
        CREATED,
        CREATED,
        CREATED,
        CREATED,
        FORBID,
        FORBID,
        json=const({"title": "New course"}),
    ),
    "GET /api/v1/courses/slug/{slug}": R(
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        OK,
        OK,
        OK,
        OK,
        OK,
        params=fixed(slug=lambda w: w.draft_course["slug"]),
    ),
    "GET /api/v1/courses/{course_id}": R(
        MISSING, MISSING, MISSING, MISSING, OK, OK, OK, OK, OK, params=DRAFT
    ),
    "PATCH /api/v1/courses/{course_id}": staff_on_own_course(
        OK, params=COURSE, json=const({"description": "Updated", "lessons_in_order": False})
    ),
    "DELETE /api/v1/courses/{course_id}": staff_on_own_course(
        NO_CONTENT,
        params=fresh("course_id", _draft_course),
        outsider=MISSING,
        team=(FORBID, FORBID, FORBID),
    ),
    "POST /api/v1/courses/{course_id}/publish": staff_on_own_course(
        OK, params=fresh("course_id", _draft_course), outsider=MISSING
    ),
    "POST /api/v1/courses/{course_id}/unpublish": staff_on_own_course(
        OK, params=fresh("course_id", _published_course)
    ),
    # the course's team: the owner and admins manage it; cohorts are the editors' and
    # read by the whole team; staff enroll, drop, reactivate and move students
    "GET /api/v1/courses/{course_id}/staff": course_owner(OK, params=COURSE),
    "POST /api/v1/courses/{course_id}/staff": course_owner(
        CREATED, params=COURSE, json=body(_new_staff_body)
    ),
    "PATCH /api/v1/courses/{course_id}/staff/{user_id}": course_owner(
        OK, params=_staff_member_params, json=const({"role": "co_instructor"})
    ),
    "DELETE /api/v1/courses/{course_id}/staff/{user_id}": course_owner(
        NO_CONTENT, params=_staff_member_params
    ),
    "POST /api/v1/courses/{course_id}/staff/transfer-ownership": course_owner(
        OK,
        params=fresh("course_id", _published_course),
        json=body(lambda ctx, _c: {"user_id": str(ctx.w.co_instructor.id)}),
    ),
    "GET /api/v1/courses/{course_id}/cohorts": course_team(OK, params=COURSE),
    "POST /api/v1/courses/{course_id}/cohorts": course_editors(
        CREATED,
        params=COURSE,
        json=body(lambda _ctx, caller: {"name": f"{caller} {uuid.uuid4().hex[:6]}"}),
    ),
    "GET /api/v1/courses/{course_id}/cohorts/{cohort_id}": course_team(OK, params=COHORT),
    "PATCH /api/v1/courses/{course_id}/cohorts/{cohort_id}": course_editors(
        OK, params=COHORT, json=const({"ends_on": "2030-06-30"})
    ),
    "DELETE /api/v1/courses/{course_id}/cohorts/{cohort_id}": course_editors(
        NO_CONTENT, params=_fresh_cohort_params
    ),
    "POST /api/v1/courses/{course_id}/enrollments": course_editors(
        CREATED,
        params=COURSE,
        json=body(lambda _ctx, caller: {"email": f"{caller}-{uuid.uuid4().hex[:6]}@example.com"}),
    ),
    "PATCH /api/v1/courses/{course_id}/enrollments/{enrollment_id}": course_editors(
        OK,
        params=COURSE_ENROLLMENT,
        json=body(lambda ctx, _c: {"cohort_id": ctx.w.cohort["id"]}),
    ),
    "DELETE /api/v1/courses/{course_id}/enrollments/{enrollment_id}": course_editors(
        OK, params=_course_enrollment_params
    ),
    "POST /api/v1/courses/{course_id}/enrollments/{enrollment_id}/reactivate": course_editors(
        OK, params=_dropped_enrollment_params
    ),
    "GET /api/v1/courses/{course_id}/students": course_team(OK, params=COURSE),
    # imports: a roster by the course's editors, accounts by admins; a job is its
    # creator's and admins' (404 for anyone else)
    "POST /api/v1/courses/{course_id}/roster/imports": course_editors(
        OK, params=COURSE, csv=ROSTER_CSV, query=DRY_RUN
    ),
    "POST /api/v1/admin/imports/users": admin_only(OK, csv=ROSTER_CSV, query=DRY_RUN),
    "GET /api/v1/jobs/{job_id}": R(
        UNAUTH,
        MISSING,
        MISSING,
        MISSING,
        OK,
        OK,
        MISSING,
        MISSING,
        MISSING,
        params=_import_job_params,
    ),
    "GET /api/v1/jobs/{job_id}/errors.csv": R(
        UNAUTH,
        MISSING,
        MISSING,
        MISSING,
        OK,
        OK,
        MISSING,
        MISSING,
        MISSING,
        params=_import_job_params,
    ),
    "GET /api/v1/courses/{course_id}/lessons": everyone(OK, params=COURSE),
    "POST /api/v1/courses/{course_id}/lessons": staff_on_own_course(
        CREATED,
        params=COURSE,
        json=const({"title": "Extra", "lesson_type": "text", "unlock_at": "2020-01-01T00:00:00Z"}),
    ),
    "PATCH /api/v1/lessons/reorder": staff_on_own_course(OK, json=body(_reorder_body)),
    "GET /api/v1/lessons/{lesson_id}": everyone(OK, params=LESSON),
    "PATCH /api/v1/lessons/{lesson_id}": staff_on_own_course(
        OK, params=LESSON, json=const({"duration_minutes": 5, "unlock_after_days": 0})
    ),
    "DELETE /api/v1/lessons/{lesson_id}": staff_on_own_course(
        NO_CONTENT, params=fresh("lesson_id", _lesson), outsider=MISSING
    ),
    # enrollments: students enroll; an enrollment is its student's, its course's
    # instructor's and admins'
    "POST /api/v1/enrollments": R(
        UNAUTH,
        CREATED,
        CREATED,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        CREATED,
        CREATED,
        json=body(_fresh_course_body),
    ),
    "GET /api/v1/enrollments/my-courses": signed_in(OK),
    "GET /api/v1/enrollments/courses/{course_id}": staff_on_own_course(
        OK, params=COURSE, team=(OK, OK, OK)
    ),
    "GET /api/v1/enrollments/courses/{course_id}/stats": staff_on_own_course(
        OK, params=COURSE, team=(OK, OK, OK)
    ),
    "GET /api/v1/enrollments/{enrollment_id}": R(
        UNAUTH, OK, MISSING, MISSING, OK, OK, OK, OK, MISSING, params=ENROLLMENT
    ),
    "PUT /api/v1/enrollments/{enrollment_id}/lessons/{lesson_id}/progress": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        MISSING,
        params=PROGRESS,
        json=const({"time_spent_seconds": 30}),
    ),
    "POST /api/v1/enrollments/{enrollment_id}/lessons/{lesson_id}/complete": R(
        UNAUTH, OK, MISSING, MISSING, FORBID, FORBID, FORBID, FORBID, MISSING, params=PROGRESS
    ),
    "POST /api/v1/enrollments/{enrollment_id}/review": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        MISSING,
        params=ENROLLMENT,
        json=const({"rating": 5, "review": "Great"}),
    ),
    "PATCH /api/v1/enrollments/{enrollment_id}/review": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        MISSING,
        params=ENROLLMENT,
        json=const({"rating": 4}),
    ),
    # quizzes: published ones for anyone who sees the course; managing is the course's
    # instructor's and admins'
    "GET /api/v1/courses/{course_id}/quizzes": everyone(OK, params=COURSE),
    "POST /api/v1/courses/{course_id}/quizzes": staff_on_own_course(
        CREATED, params=COURSE, json=const({"title": "Another quiz"})
    ),
    "GET /api/v1/courses/{course_id}/quizzes/{quiz_id}": everyone(OK, params=COURSE_QUIZ),
    "PATCH /api/v1/courses/{course_id}/quizzes/{quiz_id}": staff_on_own_course(
        OK, params=COURSE_QUIZ, json=const({"description": "Updated"})
    ),
    "POST /api/v1/courses/{course_id}/quizzes/{quiz_id}/publish": manage_draft(
        OK, params=_course_with_draft_quiz
    ),
    "GET /api/v1/quizzes": everyone(OK),
    "POST /api/v1/quizzes": staff_on_own_course(
        CREATED,
        json=body(lambda ctx, _c: {"title": "Flat quiz", "course_id": ctx.w.course["id"]}),
    ),
    "GET /api/v1/quizzes/{quiz_id}": everyone(OK, params=QUIZ),
    "PATCH /api/v1/quizzes/{quiz_id}": staff_on_own_course(
        OK, params=QUIZ, json=const({"description": "Updated again"})
    ),
    "DELETE /api/v1/quizzes/{quiz_id}": manage_draft(
        NO_CONTENT, params=fresh("quiz_id", _quiz_with_question)
    ),
    "GET /api/v1/quizzes/{quiz_id}/questions": R(
        UNAUTH, OK, FORBID, FORBID, OK, OK, OK, FORBID, FORBID, params=QUIZ
    ),
    "GET /api/v1/quizzes/{quiz_id}/questions/manage": staff_on_own_course(OK, params=QUIZ),
    "POST /api/v1/quizzes/{quiz_id}/questions": manage_draft(
        CREATED,
        params=fresh("quiz_id", _quiz_with_question),
        json=const(
            {"question_text": "1 + 1 = 2", "question_type": "true_false", "correct_answer": "true"}
        ),
    ),
    "PATCH /api/v1/quizzes/{quiz_id}/questions/{question_id}": manage_draft(
        OK, params=_question_params, json=const({"question_text": "Reworded"})
    ),
    "DELETE /api/v1/quizzes/{quiz_id}/questions/{question_id}": manage_draft(
        NO_CONTENT, params=_question_params
    ),
    # attempts: the enrolled student's; reading and grading for the course's managers
    "POST /api/v1/quizzes/{quiz_id}/attempts": R(
        UNAUTH, OK, FORBID, FORBID, FORBID, FORBID, FORBID, FORBID, FORBID, params=QUIZ
    ),
    "GET /api/v1/quizzes/{quiz_id}/attempts/start": R(
        UNAUTH, OK, FORBID, FORBID, FORBID, FORBID, FORBID, FORBID, FORBID, params=QUIZ
    ),
    "GET /api/v1/quizzes/{quiz_id}/attempts/my-attempts": signed_in(OK, params=QUIZ),
    "GET /api/v1/quizzes/{quiz_id}/attempts": staff_on_own_course(
        OK, params=QUIZ, team=(OK, OK, OK)
    ),
    "GET /api/v1/quizzes/{quiz_id}/attempts/{attempt_id}": R(
        UNAUTH, OK, MISSING, MISSING, OK, OK, OK, OK, MISSING, params=_open_attempt_params
    ),
    "PUT /api/v1/quizzes/{quiz_id}/attempts/{attempt_id}/answers": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        params=_open_attempt_params,
        json=const({"answers": []}),
    ),
    "POST /api/v1/quizzes/{quiz_id}/attempts/{attempt_id}/submit": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        params=_open_attempt_params,
        json=const({"answers": []}),
    ),
    "POST /api/v1/quizzes/{quiz_id}/attempts/{attempt_id}/grade": staff_on_own_course(
        OK, params=_submitted_attempt_params, json=body(_grade_attempt_body), team=(OK, OK, MISSING)
    ),
    "GET /api/v1/attempts/{attempt_id}": R(
        UNAUTH, OK, MISSING, MISSING, OK, OK, OK, OK, MISSING, params=_open_attempt_params
    ),
    "PUT /api/v1/attempts/{attempt_id}/answers": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        params=_open_attempt_params,
        json=const({"answers": []}),
    ),
    "POST /api/v1/attempts/{attempt_id}/submit": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        params=_open_attempt_params,
        json=const({"answers": []}),
    ),
    # assignments: the student's own work; the course's managers list and grade
    "POST /api/v1/lessons/{lesson_id}/submissions": R(
        UNAUTH,
        OK,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        params=ASSIGNMENT,
        json=const({"text": "Second try"}),
    ),
    "GET /api/v1/lessons/{lesson_id}/submissions": staff_on_own_course(
        OK, params=ASSIGNMENT, team=(OK, OK, OK)
    ),
    "GET /api/v1/lessons/{lesson_id}/submissions/my": R(
        UNAUTH, OK, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING, params=ASSIGNMENT
    ),
    "GET /api/v1/submissions/my": signed_in(OK),
    "GET /api/v1/submissions/{submission_id}": R(
        UNAUTH, OK, MISSING, MISSING, OK, OK, OK, OK, MISSING, params=SUBMISSION
    ),
    # the student sees the submission but may not grade it; others do not see it
    "POST /api/v1/submissions/{submission_id}/grade": R(
        UNAUTH,
        FORBID,
        MISSING,
        MISSING,
        OK,
        OK,
        OK,
        OK,
        MISSING,
        params=SUBMISSION,
        json=const({"score": 90, "feedback": "Good"}),
    ),
    # payments: students pay; a payment or subscription is its payer's (and admins');
    # webhooks answer to the provider's signature only, never to a bearer token
    "POST /api/v1/payments/create-payment-intent": R(
        UNAUTH,
        CREATED,
        CREATED,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        CREATED,
        CREATED,
        json=body(_fresh_paid_course_body),
    ),
    "POST /api/v1/payments/create-subscription": R(
        UNAUTH,
        CREATED,
        CREATED,
        FORBID,
        FORBID,
        FORBID,
        FORBID,
        CREATED,
        CREATED,
        json=const({"plan": "monthly"}),
    ),
    "GET /api/v1/payments/my-payments": signed_in(OK),
    "GET /api/v1/payments/my-subscriptions": signed_in(OK),
    "GET /api/v1/payments/revenue/summary": admin_only(OK),
    "POST /api/v1/payments/subscriptions/{subscription_id}/cancel": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        params=fixed(subscription_id=lambda w: w.subscription["id"]),
    ),
    "POST /api/v1/payments/webhooks/stripe": everyone(BAD, json=STUDENT_UNSIGNED),
    "POST /api/v1/payments/webhooks/myfatoorah": everyone(BAD, json=STUDENT_UNSIGNED),
    "POST /api/v1/payments/webhooks/paymob": everyone(BAD, json=STUDENT_UNSIGNED),
    "GET /api/v1/payments/webhooks/paymob": everyone(BAD, query={"id": "1", "hmac": "0"}),
    "GET /api/v1/payments/{payment_id}": R(
        UNAUTH, OK, MISSING, MISSING, MISSING, OK, MISSING, MISSING, MISSING, params=PAYMENT
    ),
    "POST /api/v1/payments/{payment_id}/refund": admin_only(OK, params=PAYMENT),
    # analytics: one's own dashboard; a course's figures for its team and admins (an
    # assistant of some cohorts reads its cohorts' students' figures only);
    # an instructor's overview for that instructor and admins; the system for admins
    "GET /api/v1/analytics/my-progress": signed_in(OK),
    "GET /api/v1/analytics/my-dashboard": signed_in(OK),
    "GET /api/v1/analytics/student": signed_in(OK),
    "GET /api/v1/analytics/courses/{course_id}": staff_on_own_course(
        OK, params=COURSE, team=(OK, OK, OK)
    ),
    "GET /api/v1/analytics/courses/{course_id}/analytics": staff_on_own_course(
        OK, params=COURSE, team=(OK, OK, OK)
    ),
    "GET /api/v1/analytics/instructors/{instructor_id}/overview": staff_on_own_course(
        OK, params=fixed(instructor_id=lambda w: str(w.owner.id)), team=(FORBID, FORBID, FORBID)
    ),
    "GET /api/v1/analytics/instructor": R(UNAUTH, FORBID, FORBID, OK, OK, OK, OK, FORBID, FORBID),
    "GET /api/v1/analytics/system/overview": admin_only(OK),
    "GET /api/v1/analytics/system": admin_only(OK),
    # certificates: the student's, its course's instructor's and admins'; verification
    # is public
    "GET /api/v1/certificates/my-certificates": signed_in(OK),
    "GET /api/v1/certificates/verify/{certificate_number}": everyone(
        OK, params=fixed(certificate_number=lambda w: w.certificate["certificate_number"])
    ),
    "POST /api/v1/certificates/enrollments/{enrollment_id}/generate": R(
        UNAUTH,
        CREATED,
        MISSING,
        MISSING,
        CREATED,
        CREATED,
        MISSING,
        MISSING,
        MISSING,
        params=fresh("enrollment_id", _completed_enrollment),
    ),
    "POST /api/v1/certificates/generate": R(
        UNAUTH,
        CREATED,
        MISSING,
        MISSING,
        CREATED,
        CREATED,
        MISSING,
        MISSING,
        MISSING,
        json=body(_completed_enrollment_body),
    ),
    "GET /api/v1/certificates/{certificate_id}": R(
        UNAUTH, OK, MISSING, MISSING, OK, OK, MISSING, MISSING, MISSING, params=CERTIFICATE
    ),
    "GET /api/v1/certificates/{certificate_id}/download": R(
        UNAUTH, OK, MISSING, MISSING, OK, OK, MISSING, MISSING, MISSING, params=CERTIFICATE
    ),
    "POST /api/v1/certificates/{certificate_id}/revoke": R(
        UNAUTH,
        FORBID,
        MISSING,
        MISSING,
        OK,
        OK,
        MISSING,
        MISSING,
        MISSING,
        params=fresh("certificate_id", _certificate),
        json=const({"reason": "Issued by mistake"}),
    ),
    # outbound webhooks: admins only
    "GET /api/v1/webhooks/event-types": admin_only(OK),
    "POST /api/v1/webhooks/endpoints": admin_only(
        CREATED, json=const({"url": "https://hooks.example.com/crm"})
    ),
    "GET /api/v1/webhooks/endpoints": admin_only(OK),
    "GET /api/v1/webhooks/endpoints/{endpoint_id}": admin_only(OK, params=WEBHOOK_ENDPOINT),
    "PATCH /api/v1/webhooks/endpoints/{endpoint_id}": admin_only(
        OK, params=WEBHOOK_ENDPOINT, json=const({"description": "Changed"})
    ),
    "DELETE /api/v1/webhooks/endpoints/{endpoint_id}": admin_only(
        NO_CONTENT, params=WEBHOOK_ENDPOINT
    ),
    "POST /api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret": admin_only(
        OK, params=WEBHOOK_ENDPOINT
    ),
    "POST /api/v1/webhooks/endpoints/{endpoint_id}/ping": admin_only(
        ACCEPTED, params=WEBHOOK_ENDPOINT
    ),
    "GET /api/v1/webhooks/endpoints/{endpoint_id}/deliveries": admin_only(
        OK, params=WEBHOOK_ENDPOINT
    ),
    "POST /api/v1/webhooks/deliveries/{delivery_id}/redeliver": admin_only(
        ACCEPTED, params=fresh("delivery_id", _failed_webhook_delivery)
    ),
    # privacy: an export job is its account's and admins' (404 for anyone else); its
    # archive is the account's only (an admin who can see the job gets 403); erasure
    # is asked for oneself with the password, or done by an admin with a reason
    "GET /api/v1/data-exports/{export_id}": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        MISSING,
        OK,
        MISSING,
        MISSING,
        MISSING,
        params=_ready_export_params,
    ),
    "GET /api/v1/data-exports/{export_id}/download": R(
        UNAUTH,
        OK,
        MISSING,
        MISSING,
        MISSING,
        FORBID,
        MISSING,
        MISSING,
        MISSING,
        params=_ready_export_params,
    ),
    "POST /api/v1/me/data-export": signed_in(ACCEPTED),
    "POST /api/v1/admin/users/{user_id}/data-export": admin_only(ACCEPTED, params=SPARE_USER),
    "GET /api/v1/privacy/export-schemas": everyone(OK),
    "GET /api/v1/me/erasure": signed_in(OK),
    # (the world's admin is its only admin: it may not ask to be erased)
    "POST /api/v1/me/erasure": R(
        UNAUTH,
        ACCEPTED,
        ACCEPTED,
        ACCEPTED,
        ACCEPTED,
        CONFLICT,
        ACCEPTED,
        ACCEPTED,
        ACCEPTED,
        json=const({"password": PASSWORD}),
    ),
    "DELETE /api/v1/me/erasure": R(
        UNAUTH,
        NO_CONTENT,
        NO_CONTENT,
        NO_CONTENT,
        NO_CONTENT,
        MISSING,
        NO_CONTENT,
        NO_CONTENT,
        NO_CONTENT,
    ),
    "POST /api/v1/admin/users/{user_id}/erasure": admin_only(
        OK,
        params=fresh("user_id", _erasable_account),
        json=const({"reason": "Asked in writing", "immediate": True}),
    ),
    # schedules: an item's dates and overrides (its course's team), a person's calendar
    **_schedule_rows("quiz", "/api/v1/quizzes/{quiz_id}/schedule"),
    **_schedule_rows("assignment", "/api/v1/lessons/{lesson_id}/schedule"),
    "GET /api/v1/me/calendar": signed_in(OK),
    "GET /api/v1/me/calendar/feed": signed_in(OK),
    "POST /api/v1/me/calendar/feed/rotate": signed_in(OK),
    # the feed's address is its secret: whoever holds it reads it, signed in or not
    "GET /api/v1/calendar/{token}.ics": everyone(OK, params=_feed_params),
    # grades: the team reads the scheme and the gradebook (an assistant of some cohorts
    # its students only); editors change the scheme and override course grades; the
    # history is for those who teach the student; an enrollment's grades are its
    # student's and its teachers'
    "GET /api/v1/courses/{course_id}/grading-scheme": course_team(OK, params=COURSE),
    "PUT /api/v1/courses/{course_id}/grading-scheme": course_editors(
        OK,
        params=COURSE,
        json=const(
            {
                "categories": [
                    {"name": "Quizzes", "weight": "40", "item_type": "quiz", "drop_lowest": 1},
                    {"name": "Assignments", "weight": "60", "item_type": "assignment"},
                ]
            }
        ),
    ),
    "GET /api/v1/courses/{course_id}/gradebook": course_team(OK, params=COURSE),
    "PUT /api/v1/courses/{course_id}/gradebook/{student_id}/override": course_editors(
        OK, params=GRADEBOOK_STUDENT, json=const({"grade": "75", "reason": "Agreed"})
    ),
    "DELETE /api/v1/courses/{course_id}/gradebook/{student_id}/override": course_editors(
        NO_CONTENT, params=GRADEBOOK_STUDENT
    ),
    "GET /api/v1/courses/{course_id}/gradebook/{student_id}/history": R(
        UNAUTH, FORBID, FORBID, FORBID, OK, OK, OK, OK, MISSING, params=GRADEBOOK_STUDENT
    ),
    "GET /api/v1/enrollments/{enrollment_id}/grades": R(
        UNAUTH, OK, MISSING, MISSING, OK, OK, OK, OK, MISSING, params=ENROLLMENT
    ),
}


def route_table(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves (HEAD aside)."""
    found = []
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, str(route.path_format)))
    return found


async def _call(ctx: Ctx, method: str, path: str, rule: Rule, caller: str) -> httpx.Response:
    params = await rule.params(ctx, caller) if rule.params else {}
    url = path.format(**params)
    headers = ctx.w.headers(caller)
    kwargs: dict[str, Any] = {"headers": headers, "params": rule.query}
    if rule.json is not None:
        kwargs["json"] = await rule.json(ctx, caller)
    if rule.form is not None:
        kwargs["data"] = {**rule.form, "username": ctx.w.student.email}
    if rule.upload:
        kwargs["files"] = {"file": ("upload.pdf", pdf("matrix"), "application/pdf")}
    if rule.csv is not None:
        kwargs["content"] = rule.csv
        headers["Content-Type"] = "text/csv"
    return await ctx.client.request(method, f"http://testserver{url}", **kwargs)


def undecided(app: Any) -> tuple[list[str], list[str]]:
    """Routes without an entry, and entries without a route."""
    served = {f"{method} {path}" for method, path in route_table(app)}
    return sorted(served - MATRIX.keys()), sorted(MATRIX.keys() - served)


def test_a_new_route_without_an_entry_is_caught(settings: Any) -> None:
    from fastapi import APIRouter

    from lms.main import create_app

    application = create_app(settings, run_jobs=False)
    assert undecided(application) == ([], [])
    extra = APIRouter()
    extra.add_api_route("/api/v1/backdoor", lambda: {"open": True}, methods=["POST"])
    application.include_router(extra)
    assert undecided(application) == (["POST /api/v1/backdoor"], [])


async def test_every_route_answers_each_caller_as_the_table_says(
    app: Any, client: httpx.AsyncClient, world: World, db: Any, make_account: AccountFactory
) -> None:
    missing, stale = undecided(app)
    assert not missing, f"routes without an authorization decision in MATRIX: {missing}"
    assert not stale, f"MATRIX entries for no route: {stale}"
    # In the table's order, not the application's matching order: some calls change the
    # world that later rows read (a submission hands in the shared file, say).
    routes = [(key.split(" ", 1)[0], key.split(" ", 1)[1]) for key in MATRIX]

    ctx = Ctx(world=world, client=client, db=db, make_account=make_account)
    wrong = []
    checked = 0
    for method, path in routes:
        rule = MATRIX[f"{method} {path}"]
        got = []
        for caller in CALLERS:
            response = await _call(ctx, method, path, rule, caller)
            got.append(response.status_code)
            checked += 1
            if found := leaks(world, response):
                wrong.append(f"{method} {path} as {caller} shows {found}")
            if missing_headers := missing_security_headers(response):
                wrong.append(f"{method} {path} as {caller} lacks {missing_headers}")
        if tuple(got) != rule.expect:
            wrong.append(f"{method} {path}: expected {rule.expect}, got {tuple(got)}")
    MATRIX_STATS["routes"] = len(routes)
    MATRIX_STATS["calls"] = checked
    assert not wrong, "callers answered otherwise than the table says:\n" + "\n".join(wrong)


MATRIX_STATS: dict[str, int] = {}
