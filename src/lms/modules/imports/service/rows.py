"""One row of a roster or users file: checked (``checked``: the refusals that need no
database), then its account found or invited and (roster) enrolled or put on the team.
``apply_row`` runs one row in a savepoint, so a refused row leaves nothing behind; its
outcome is ``created``, ``updated``, ``unchanged`` or a refusal reason. The bulk path
(``chunks``) gives every row the same outcome, a chunk at a time, and hands it the rows
it does not handle itself."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.errors import AppError
from lms.modules import auth, courses, enrollments, users
from lms.modules.imports.csvfile import Record

EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
# An address longer than this does not fit an account (and no mail system takes it).
MAX_EMAIL = 254
ROSTER_ROLES = ("student", "co_instructor", "assistant")
USER_ROLES = ("student", "instructor")


class Refused(Exception):
    """The row is refused; ``str(exc)`` says why."""


@dataclass(frozen=True)
class ImportContext:
    settings: Settings
    actor_id: uuid.UUID | None
    course: courses.CourseSummary | None
    cohorts: dict[str, uuid.UUID]


@dataclass(frozen=True)
class Row:
    """A row that passed the checks that need no database. ``role`` is the row's role
    (roster: on the course; users: the new account's); ``cohort_id`` a cohort of the
    course."""

    email: str
    full_name: str | None
    external_id: str | None
    role: str
    cohort_id: uuid.UUID | None


def checked(context: ImportContext, record: Record) -> Row:
    """The row's values, or ``Refused`` with the first reason (role, cohort, email,
    external id, name: the order the row would be refused in)."""
    values = record.values
    role = (values.get("role") or "student").lower()
    cohort_id = None
    if context.course is None:
        if role not in USER_ROLES:
            raise Refused(f"unknown role {role!r} (student or instructor)")
    else:
        if role not in ROSTER_ROLES:
            raise Refused(f"unknown role {role!r} (student, co_instructor or assistant)")
        cohort_name = values.get("cohort") or ""
        if cohort_name:
            cohort_id = context.cohorts.get(cohort_name.casefold())
            if cohort_id is None:
                raise Refused(f"unknown cohort {cohort_name!r}")
            if role != "student":
                raise Refused("only a student is placed in a cohort by an import")
    email = values.get("email", "")
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        raise Refused("invalid email")
    external_id = values.get("external_id") or None
    if external_id is not None and len(external_id) > 255:
        raise Refused("external_id longer than 255 characters")
    full_name = values.get("full_name") or None
    if full_name is not None and len(full_name) > 255:
        raise Refused("full_name longer than 255 characters")
    return Row(
        email=email, full_name=full_name, external_id=external_id, role=role, cohort_id=cohort_id
    )


async def _person(
    session: AsyncSession, context: ImportContext, row: Row, *, role: str
) -> tuple[users.UserSummary, str]:
    email, external_id, full_name = row.email, row.external_id, row.full_name
    found = await users.find_by_external_id(session, external_id) if external_id else None
    if found is None:
        account = await users.find_account_by_email(session, email)
        found = await users.get_user_summary(session, account.id) if account else None
    elif found.email.lower() != email.lower():
        other = await users.find_account_by_email(session, email)
        if other is not None:
            raise Refused("the email belongs to another account than the external_id")
    if found is None:
        if not full_name:
            raise Refused("full_name is required for a new account")
        person, created = await users.invite_user(
            session, email=email, full_name=full_name, role=role, external_id=external_id
        )
        if created:
            title = context.course.title if context.course else None
            await auth.queue_invitation(session, user_id=person.id, course_title=title)
            return person, "created"
        found = person
    if not found.is_active:
        raise Refused("the account is deactivated")
    changed = await users.update_imported_profile(
        session, user_id=found.id, full_name=full_name, external_id=external_id
    )
    return found, "updated" if changed else "unchanged"


def merge(first: str, second: str) -> str:
    """The outcome of a row whose account and enrollment had these outcomes."""
    for outcome in ("created", "updated"):
        if outcome in (first, second):
            return outcome
    return "unchanged"


async def apply_row(session: AsyncSession, context: ImportContext, record: Record) -> str:
    """The row's outcome; raises ``Refused`` (its changes rolled back) when refused."""
    row = checked(context, record)
    try:
        async with session.begin_nested():
            return await _apply(session, context, row)
    except AppError as exc:
        raise Refused(exc.detail) from exc


async def _apply(session: AsyncSession, context: ImportContext, row: Row) -> str:
    course = context.course
    if course is None:
        _person_found, outcome = await _person(session, context, row, role=row.role)
        return outcome
    person, outcome = await _person(session, context, row, role="student")
    if row.role == "student":
        enrolled = await enrollments.enroll_from_roster(
            session,
            settings=context.settings,
            course=course,
            person=person,
            cohort_id=row.cohort_id,
            enrolled_by=context.actor_id or person.id,
        )
    else:
        enrolled = await courses.put_on_team(
            session, course_id=course.id, user_id=person.id, role=row.role
        )
    return merge(outcome, enrolled)
