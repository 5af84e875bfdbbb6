"""A chunk of rows at once: the outcome of every row is the one ``apply_row`` would give
it, row after row, in a handful of statements instead of some twenty a row.

How: the accounts every row of the chunk could match (by external id or email), their
enrollments in the course and the course's team are read in one query each. The rows
are then decided in file order against that picture, which each decision updates (a
row that invites an account makes the next row with that email find it). What they
decide is written together: the new accounts in one insert, the profile changes in one
statement, the invitations in one insert, and (roster) the cohort seats, enrollments,
progress rows and enrolled emails through ``enrollments.enroll_many_from_roster``.

The rare rows whose effect is not that simple (a student moved to another cohort, a
co-instructor or assistant put on the team) go through ``apply_row``: what is decided
so far is written first, and the picture is read again after the row. What another
transaction changed meanwhile (an email taken, a student enrolled, a cohort filled)
rolls the written batch back to its savepoint and its rows go through ``apply_row``
one by one, where each such case has its own answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.errors import AppError
from lms.modules import auth, courses, enrollments, users
from lms.modules.imports.csvfile import Record
from lms.modules.imports.service.rows import (
    ImportContext,
    Refused,
    Row,
    apply_row,
    checked,
    merge,
)

Outcome = str | Refused
STAFF_OF_COURSE = "A member of the course's team cannot be its student."
ONE_BY_ONE: Literal["one by one"] = "one by one"


@dataclass
class _Account:
    id: uuid.UUID
    email: str
    full_name: str
    external_id: str | None
    is_active: bool
    role: str


@dataclass
class _Picture:
    """What the database holds for the chunk's rows, as the decisions so far change it."""

    accounts: dict[uuid.UUID, _Account] = field(default_factory=dict)
    by_email: dict[str, uuid.UUID] = field(default_factory=dict)
    by_external_id: dict[str, uuid.UUID] = field(default_factory=dict)
    places: dict[uuid.UUID, enrollments.RosterPlace] = field(default_factory=dict)
    team: frozenset[uuid.UUID] = frozenset()

    def add(self, account: _Account) -> None:
        self.accounts[account.id] = account
        self.by_email[account.email.lower()] = account.id
        if account.external_id is not None:
            self.by_external_id[account.external_id] = account.id


@dataclass
class _Batch:
    """What the rows decided so far and not yet written, and their outcomes."""

    invitees: dict[uuid.UUID, _Account] = field(default_factory=dict)
    profiles: dict[uuid.UUID, _Account] = field(default_factory=dict)
    students: list[enrollments.RosterStudent] = field(default_factory=list)
    # (index of the row in the chunk, its record, its outcome)
    rows: list[tuple[int, Record, str]] = field(default_factory=list)


class _Raced(Exception):
    """Another transaction changed what the batch was decided on."""


async def _picture(session: AsyncSession, context: ImportContext, rows: list[Row]) -> _Picture:
    picture = _Picture()
    found = await users.find_imported_accounts(
        session,
        emails=sorted({row.email.lower() for row in rows}),
        external_ids=sorted({row.external_id for row in rows if row.external_id}),
    )
    for account in found:
        picture.add(
            _Account(
                id=account.id,
                email=account.email,
                full_name=account.full_name,
                external_id=account.external_id,
                is_active=account.is_active,
                role=account.role,
            )
        )
    if context.course is not None:
        picture.places = await enrollments.roster_places(
            session, course_id=context.course.id, student_ids=list(picture.accounts)
        )
        picture.team = await courses.team_user_ids(session, context.course.id)
    return picture


def _decide(
    context: ImportContext, picture: _Picture, batch: _Batch, row: Row
) -> str | Literal["one by one"]:
    """The row's outcome against the picture, which it updates (with the batch); raises
    ``Refused`` (changing nothing) or answers ``ONE_BY_ONE``."""
    course = context.course
    if course is not None and row.role != "student":
        return ONE_BY_ONE
    email = row.email.lower()
    account_id = picture.by_external_id.get(row.external_id) if row.external_id else None
    if account_id is None:
        account_id = picture.by_email.get(email)
    elif picture.accounts[account_id].email.lower() != email and email in picture.by_email:
        raise Refused("the email belongs to another account than the external_id")
    account = picture.accounts.get(account_id) if account_id is not None else None
    new = account is None
    if account is None:
        if not row.full_name:
            raise Refused("full_name is required for a new account")
        account = _Account(
            id=uuid.uuid4(),
            email=email,
            full_name=row.full_name,
            external_id=row.external_id,
            is_active=True,
            role=row.role if course is None else "student",
        )
        person = "created"
    else:
        if not account.is_active:
            raise Refused("the account is deactivated")
        name = row.full_name if row.full_name else account.full_name
        external_id = row.external_id if row.external_id else account.external_id
        person = "unchanged"
        if (name, external_id) != (account.full_name, account.external_id):
            person = "updated"
    enrolled = "unchanged"
    if course is not None:
        if account.id in picture.team:
            raise Refused(STAFF_OF_COURSE)
        place = picture.places.get(account.id)
        if place is None:
            enrolled = "created"
        elif row.cohort_id is not None and place.cohort_id != row.cohort_id:
            return ONE_BY_ONE
    # Decided: now the picture and the batch change.
    if new:
        picture.add(account)
        batch.invitees[account.id] = account
    elif person == "updated":
        if account.external_id is not None and row.external_id:
            picture.by_external_id.pop(account.external_id, None)
        account.full_name = row.full_name or account.full_name
        account.external_id = row.external_id or account.external_id
        picture.add(account)
        if account.id not in batch.invitees:
            batch.profiles[account.id] = account
    if enrolled == "created" and course is not None:
        picture.places[account.id] = enrollments.RosterPlace(row.cohort_id, "active")
        batch.students.append(
            enrollments.RosterStudent(
                id=account.id,
                email=account.email,
                full_name=account.full_name,
                cohort_id=row.cohort_id,
            )
        )
    return merge(person, enrolled)


async def _write(session: AsyncSession, context: ImportContext, batch: _Batch) -> None:
    """Write what the batch decided, in its own savepoint; ``_Raced`` (rolled back) when
    another transaction changed what it was decided on."""
    async with session.begin_nested():
        # Profiles first: an external id a row moved from one account to another is free
        # before a new account takes it.
        await users.update_imported_profiles(
            session,
            [(a.id, a.full_name, a.external_id) for a in batch.profiles.values()],
        )
        invitees = [
            users.Invitee(
                id=account.id,
                email=account.email,
                full_name=account.full_name,
                role=account.role,
                external_id=account.external_id,
            )
            for account in batch.invitees.values()
        ]
        if len(await users.invite_users(session, invitees)) != len(invitees):
            raise _Raced()
        await auth.queue_invitations(
            session,
            user_ids=list(batch.invitees),
            course_title=context.course.title if context.course else None,
        )
        if context.course is not None and not await enrollments.enroll_many_from_roster(
            session,
            settings=context.settings,
            course=context.course,
            students=batch.students,
            enrolled_by=context.actor_id,
        ):
            raise _Raced()


async def apply_chunk(
    session: AsyncSession, context: ImportContext, records: list[Record]
) -> list[Outcome]:
    """Each record's outcome (or ``Refused``), in order, with their changes made in the
    session (not committed)."""
    if not records:
        return []
    outcomes: list[Outcome | None] = [None] * len(records)
    rows: list[Row | None] = []
    for index, record in enumerate(records):
        try:
            rows.append(checked(context, record))
        except Refused as exc:
            rows.append(None)
            outcomes[index] = exc
    picture = await _picture(session, context, [row for row in rows if row is not None])
    batch = _Batch()

    async def write() -> bool:
        """Write the batch; False when its rows had to go one by one (the picture is
        then stale)."""
        nonlocal batch
        written, batch = batch, _Batch()
        if not written.rows:
            return True
        try:
            await _write(session, context, written)
        except (_Raced, AppError):  # one by one, each row gets its own answer
            for index, record, _outcome in written.rows:
                outcomes[index] = await _one(session, context, record)
            return False
        for index, _record, outcome in written.rows:
            outcomes[index] = outcome
        return True

    for index, (record, row) in enumerate(zip(records, rows, strict=True)):
        if row is None:
            continue
        try:
            decided = _decide(context, picture, batch, row)
        except Refused as exc:
            outcomes[index] = exc
            continue
        if decided != ONE_BY_ONE:
            batch.rows.append((index, record, decided))
            continue
        await write()
        outcomes[index] = await _one(session, context, record)
        rest = [r for r in rows[index + 1 :] if r is not None]
        picture = await _picture(session, context, rest)
    await write()
    return [outcome if outcome is not None else Refused("not imported") for outcome in outcomes]


async def _one(session: AsyncSession, context: ImportContext, record: Record) -> Outcome:
    try:
        return await apply_row(session, context, record)
    except Refused as exc:
        return exc
