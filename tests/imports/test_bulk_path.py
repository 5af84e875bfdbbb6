"""The bulk path gives every row the outcome it gets one row at a time, and leaves the
same accounts, enrollments, seats, team and outbox: a file whose rows lean on each other
inside one chunk (a duplicate that renames, an external id handed from one account to
another), a cohort that fills up mid-chunk, a student moved to another cohort, a member
of the team, a deactivated account and an assistant."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.jobs import OutboxMessage
from lms.modules.courses.models import Cohort, CourseStaff
from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.imports import service
from lms.modules.imports.csvfile import Record
from lms.modules.imports.service import chunks
from lms.modules.imports.service.chunks import apply_chunk
from lms.modules.imports.service.rows import ImportContext, Refused, apply_row
from lms.modules.users.models import User
from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.courses import published_course
from tests.factories.teams import add_staff, create_cohort, enroll_by_staff

COLUMNS = ("email", "full_name", "role", "cohort", "external_id")


def records(student: Account, deactivated: Account, co: Account) -> list[Record]:
    rows = [
        ("a@example.com", "Amal", "student", "Morning", "S-1"),  # created
        ("b@example.com", "Badr", "student", "Morning", ""),  # created: Morning is full now
        ("c@example.com", "Chen", "student", "Morning", ""),  # refused: cohort_full
        ("A@EXAMPLE.COM", "Amal Renamed", "student", "", ""),  # updated: the name
        (student.email, "", "student", "Night", ""),  # updated: moved Evening -> Night
        ("new@example.com", "Nour", "student", "", "S-9"),  # created: old@'s account enrolled
        (deactivated.email, "", "student", "", ""),  # refused: deactivated
        (co.email, "", "student", "", ""),  # refused: on the team
        ("ta@example.com", "Tariq", "assistant", "", "T-1"),  # created: on the team
        ("not-an-email", "X", "student", "", ""),  # refused
        ("d@example.com", "", "student", "", ""),  # refused: no name for a new account
        ("e@example.com", "Eve", "student", "", "S-1"),  # updated: a's account, renamed
        ("a@example.com", "", "student", "", "S-2"),  # updated: a's external id -> S-2
        ("f@example.com", "Farid", "student", "Evening", "S-1"),  # created: S-1 is free now
        ("F@example.com", "Farid", "student", "Evening", "S-1"),  # unchanged
        ("ta@example.com", "", "student", "", ""),  # refused: on the team
    ]
    return [
        Record(line=index + 2, values=dict(zip(COLUMNS, row, strict=True)))
        for index, row in enumerate(rows)
    ]


async def _state(session: AsyncSession, course_id: uuid.UUID) -> dict[str, Any]:
    people = (
        await session.execute(
            select(User.email, User.full_name, User.external_id, User.password_hash.is_(None))
            .where(User.email.like("%@example.com"))
            .order_by(User.email)
        )
    ).all()
    enrolled = (
        await session.execute(
            select(User.email, Cohort.name, Enrollment.status, Enrollment.total_lessons_count)
            .join(User, User.id == Enrollment.student_id)
            .outerjoin(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Enrollment.course_id == course_id)
            .order_by(User.email)
        )
    ).all()
    progress = await session.scalar(
        select(func.count(LessonProgress.id))
        .join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
        .where(Enrollment.course_id == course_id)
    )
    seats = (
        await session.execute(
            select(Cohort.name, Cohort.member_count)
            .where(Cohort.course_id == course_id)
            .order_by(Cohort.name)
        )
    ).all()
    team = (
        await session.execute(
            select(User.email, CourseStaff.role)
            .join(User, User.id == CourseStaff.user_id)
            .where(CourseStaff.course_id == course_id)
            .order_by(User.email)
        )
    ).all()
    outbox = (
        await session.execute(
            select(OutboxMessage.task, func.count(OutboxMessage.id))
            .group_by(OutboxMessage.task)
            .order_by(OutboxMessage.task)
        )
    ).all()
    return {
        "people": [tuple(row) for row in people],
        "enrolled": [tuple(row) for row in enrolled],
        "progress": progress,
        "seats": [tuple(row) for row in seats],
        "team": [tuple(row) for row in team],
        "outbox": [tuple(row) for row in outbox],
    }


def _plain(outcome: str | Refused) -> str:
    return f"refused: {outcome}" if isinstance(outcome, Refused) else outcome


async def test_a_chunk_at_once_gives_the_rows_outcomes_and_state_one_by_one(
    app: Any,
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    make_account: AccountFactory,
    settings: Settings,
    db: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    course, _ = await published_course(client, instructor, lessons=2)
    course_id = uuid.UUID(course["id"])
    await create_cohort(client, instructor, course["id"], name="Morning", capacity=2)
    evening = await create_cohort(client, instructor, course["id"], name="Evening")
    await create_cohort(client, instructor, course["id"], name="Night")
    await enroll_by_staff(
        client, instructor, course["id"], user_id=student.id, cohort_id=evening["id"]
    )
    deactivated = await make_account("student")
    co = await make_account("instructor")
    await add_staff(client, instructor, course["id"], co.id, "co_instructor")
    ok(
        await client.patch(
            f"/users/{deactivated.id}",
            headers=(await make_account("admin")).headers,
            json={"is_active": False},
        )
    )
    old = await make_account("student", email="old@example.com", full_name="Old Name")
    await db.execute(update(User).where(User.id == old.id).values(external_id="S-9"))
    await db.commit()
    file = records(student, deactivated, co)

    async def run(one_by_one: bool) -> tuple[list[str], dict[str, Any]]:
        async with app.state.sessionmaker() as session:
            context = await service.import_context(
                session,
                settings=settings,
                principal=None,
                actor_id=instructor.id,
                course_id=course_id,
            )
            assert isinstance(context, ImportContext)
            if one_by_one:
                outcomes: list[str | Refused] = []
                for record in file:
                    try:
                        outcomes.append(await apply_row(session, context, record))
                    except Refused as exc:
                        outcomes.append(exc)
            else:
                outcomes = await apply_chunk(session, context, file)
            state = await _state(session, course_id)
            await session.rollback()
        return [_plain(outcome) for outcome in outcomes], state

    one_at_a_time: list[int] = []

    async def counted(session: AsyncSession, context: ImportContext, record: Record) -> str:
        one_at_a_time.append(record.line)
        return await apply_row(session, context, record)

    monkeypatch.setattr(chunks, "apply_row", counted)
    bulk, bulk_state = await run(one_by_one=False)
    monkeypatch.undo()
    # One by one: the first four rows (Morning filled up under them), the move to
    # another cohort and the assistant; every other row was written in bulk.
    assert one_at_a_time == [2, 3, 4, 5, 6, 10]
    single, single_state = await run(one_by_one=True)
    assert bulk == single
    assert bulk_state == single_state
    assert bulk == [
        "created",
        "created",
        "refused: The cohort is full.",
        "updated",
        "updated",
        "created",
        "refused: the account is deactivated",
        "refused: A member of the course's team cannot be its student.",
        "created",
        "refused: invalid email",
        "refused: full_name is required for a new account",
        "updated",
        "updated",
        "created",
        "unchanged",
        "refused: A member of the course's team cannot be its student.",
    ]
    people = {email: (name, external_id) for email, name, external_id, _ in bulk_state["people"]}
    assert people["a@example.com"] == ("Eve", "S-2")
    assert people["f@example.com"] == ("Farid", "S-1")
    assert people["old@example.com"] == ("Nour", "S-9")
    assert ("Morning", 2) in bulk_state["seats"] and ("Night", 1) in bulk_state["seats"]
    assert bulk_state["progress"] == 2 * len(bulk_state["enrolled"])
    assert ("ta@example.com", "assistant") in bulk_state["team"]
