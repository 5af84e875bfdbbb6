"""Erasing an account's personal data (GDPR art. 17): the person asks, proving it is
them, and the erasure is carried out after ``LMS_ERASURE_COOL_OFF_DAYS`` unless they
cancel; an admin may erase at once, with a reason. Every module's handler runs, in the
order ``lms/wiring.py`` registered them (the users module last, so that the others can
still find the person's email and name); each is idempotent, so a run that failed half
way is simply run again."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs, privacy
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict, NotFound, RuleViolation
from lms.modules import auth, emails, users
from lms.modules.privacy import repository
from lms.modules.privacy.models import ErasureRequest
from lms.modules.privacy.schemas import ErasureRead
from lms.modules.privacy.service.exporting import AccountErased, expire_exports

log = logging.getLogger("lms.privacy")

SWEEP_JOB = "privacy.sweep"
DUE_PER_RUN = 20


class ErasureAlreadyScheduled(Conflict):
    code = "erasure_already_scheduled"
    detail = "An erasure of this account is already scheduled."


class ErasureNotScheduled(NotFound):
    code = "erasure_not_scheduled"
    detail = "No erasure of this account is scheduled."


class LastAdmin(Conflict):
    code = "last_admin"
    detail = "The only active admin cannot be erased; make another admin first."


class CannotEraseSelf(RuleViolation):
    code = "cannot_erase_self"
    detail = "Admins erase their own account through /me/erasure, not at once."


def to_read(request: ErasureRequest | None) -> ErasureRead:
    if request is None:
        return ErasureRead(state="none")
    return ErasureRead.model_validate(request)


async def erase_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Run every module's eraser for ``account_id`` in this transaction."""
    for handler in privacy.registry.handlers():
        await handler.erase(session, account_id)


async def _schedule(
    session: AsyncSession,
    *,
    settings: Settings,
    person: users.UserSummary,
    requested_by: Principal,
    reason: str | None,
) -> ErasureRequest:
    if await repository.scheduled_erasure(session, person.id) is not None:
        raise ErasureAlreadyScheduled()
    now = utcnow()
    request = ErasureRequest(
        id=uuid.uuid4(),
        account_id=person.id,
        requested_by_id=requested_by.id,
        state="scheduled",
        reason=reason,
        requested_at=now,
        due_at=now + timedelta(days=settings.erasure_cool_off_days),
    )
    session.add(request)
    await session.flush()
    await emails.queue_email(
        session,
        to=person.email,
        template="erasure_scheduled",
        context={"full_name": person.full_name, "due_date": f"{request.due_at:%Y-%m-%d}"},
    )
    return request


async def request_own_erasure(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    password: str | None,
    code: str | None,
) -> ErasureRequest:
    """Schedule the caller's erasure, proven by their password (or a current second
    factor code when MFA is on)."""
    person = await users.get_user_summary_or_raise(session, principal.id)
    if person.role == "admin" and [a.id for a in await users.get_active_admins(session)] == [
        person.id
    ]:
        raise LastAdmin()
    await auth.confirm_identity(
        session, settings=settings, user_id=principal.id, password=password, code=code
    )
    return await _schedule(
        session, settings=settings, person=person, requested_by=principal, reason=None
    )


async def cancel_own_erasure(session: AsyncSession, *, principal: Principal) -> None:
    request = await repository.scheduled_erasure(session, principal.id)
    if request is None:
        raise ErasureNotScheduled()
    request.state = "cancelled"
    request.cancelled_at = utcnow()
    await session.flush()


async def own_erasure(session: AsyncSession, *, principal: Principal) -> ErasureRequest | None:
    return await repository.latest_erasure(session, principal.id)


async def erase_by_admin(
    session: AsyncSession,
    *,
    settings: Settings,
    admin: Principal,
    user_id: uuid.UUID,
    reason: str,
    immediate: bool,
) -> ErasureRequest:
    """An admin's erasure of an account, with a reason: now, or after the cool-off."""
    person = await users.get_user_summary_or_raise(session, user_id)
    if person.erased:
        raise AccountErased()
    if person.id == admin.id:
        raise CannotEraseSelf()
    if not immediate:
        return await _schedule(
            session, settings=settings, person=person, requested_by=admin, reason=reason
        )
    now = utcnow()
    request = await repository.scheduled_erasure(session, person.id)
    if request is None:
        request = ErasureRequest(id=uuid.uuid4(), account_id=person.id, requested_at=now)
        session.add(request)
    request.requested_by_id = admin.id
    request.reason = reason
    request.due_at = now
    await erase_account(session, person.id)
    request.state = "completed"
    request.completed_at = utcnow()
    await session.flush()
    return request


async def carry_out_due_erasures(session: AsyncSession, *, limit: int = DUE_PER_RUN) -> int:
    """Erase the accounts whose cool-off is over; returns how many. Each in a savepoint:
    one that fails stays scheduled for the next run, the others go ahead."""
    done = 0
    for request in await repository.due_erasures(session, utcnow(), limit):
        try:
            async with session.begin_nested():
                await erase_account(session, request.account_id)
                request.state = "completed"
                request.completed_at = utcnow()
            done += 1
        except Exception:
            log.exception("erasure failed", extra={"erasure_id": str(request.id)})
    return done


@jobs.periodic(SWEEP_JOB, every_seconds=3600)
async def sweep(session: AsyncSession) -> None:
    """Hourly: carry out due erasures and delete expired export archives."""
    await carry_out_due_erasures(session)
    await expire_exports(session)
