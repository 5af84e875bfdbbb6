"""One row of a roster or users file: find or invite the account, then (roster) enroll
it or put it on the team. Each row runs in a savepoint, so a refused row leaves nothing
behind; its outcome is ``created``, ``updated``, ``unchanged`` or a refusal reason."""

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


async def _person(
    session: AsyncSession, context: ImportContext, record: Record, *, role: str
) -> tuple[users.UserSummary, str]:
    values = record.values
    email = values.get("email", "")
    if len(email) > 320 or not EMAIL.match(email):
        raise Refused("invalid email")
    external_id = values.get("external_id") or None
    if external_id is not None and len(external_id) > 255:
        raise Refused("external_id longer than 255 characters")
    full_name = values.get("full_name") or None
    if full_name is not None and len(full_name) > 255:
        raise Refused("full_name longer than 255 characters")
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


def _merge(first: str, second: str) -> str:
    for outcome in ("created", "updated"):
        if outcome in (first, second):
            return outcome
    return "unchanged"


async def apply_row(session: AsyncSession, context: ImportContext, record: Record) -> str:
    """The row's outcome; raises ``Refused`` (its changes rolled back) when refused."""
    try:
        async with session.begin_nested():
            return await _apply(session, context, record)
    except AppError as exc:
        raise Refused(exc.detail) from exc


async def _apply(session: AsyncSession, context: ImportContext, record: Record) -> str:
    role = (record.values.get("role") or "student").lower()
    course = context.course
    if course is None:
        if role not in USER_ROLES:
            raise Refused(f"unknown role {role!r} (student or instructor)")
        _person_found, outcome = await _person(session, context, record, role=role)
        return outcome
    if role not in ROSTER_ROLES:
        raise Refused(f"unknown role {role!r} (student, co_instructor or assistant)")
    cohort_name = record.values.get("cohort") or ""
    cohort_id = None
    if cohort_name:
        cohort_id = context.cohorts.get(cohort_name.casefold())
        if cohort_id is None:
            raise Refused(f"unknown cohort {cohort_name!r}")
        if role != "student":
            raise Refused("only a student is placed in a cohort by an import")
    person, outcome = await _person(session, context, record, role="student")
    if role == "student":
        enrolled = await enrollments.enroll_from_roster(
            session,
            settings=context.settings,
            course=course,
            person=person,
            cohort_id=cohort_id,
            enrolled_by=context.actor_id or person.id,
        )
    else:
        enrolled = await courses.put_on_team(
            session, course_id=course.id, user_id=person.id, role=role
        )
    return _merge(outcome, enrolled)
