"""Invitations: an account created for someone (enrolled by a course's staff, imported)
has no password; its owner sets one through a single-use link emailed here. The link's
token is a password-reset token that lives ``LMS_INVITATION_DAYS``: it is redeemed with
``POST /auth/reset-password``, and inviting again replaces it (the older link stops
working), so a resend never leaves two live links."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import get_settings
from lms.modules import emails, users
from lms.modules.auth import codes
from lms.modules.auth.service.reset_and_verification import PASSWORD_RESET

INVITATION_TASK = "auth.invitation"


async def queue_invitation(
    session: AsyncSession, *, user_id: uuid.UUID, course_title: str | None = None
) -> None:
    """Queue the invitation email in the caller's transaction (sent after commit; a
    rolled-back request or import chunk sends nothing)."""
    payload = {"user_id": str(user_id), "course_title": course_title}
    await jobs.enqueue(session, INVITATION_TASK, payload, sensitive=True)


async def queue_invitations(
    session: AsyncSession, *, user_ids: list[uuid.UUID], course_title: str | None = None
) -> None:
    """``queue_invitation`` for many new accounts at once (a bulk import), in one
    insert."""
    await jobs.enqueue_many(
        session,
        INVITATION_TASK,
        [{"user_id": str(user_id), "course_title": course_title} for user_id in user_ids],
        sensitive=True,
    )


@jobs.job(INVITATION_TASK)
async def send_invitation(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Email the invitation link to an account that still has no password (one that
    set a password meanwhile gets nothing)."""
    settings = get_settings()
    person = await users.get_user_summary(session, uuid.UUID(str(payload["user_id"])))
    if person is None or not person.is_active or not person.invited:
        return
    token = await codes.issue(
        session,
        settings=settings,
        user_id=person.id,
        purpose=PASSWORD_RESET,
        ttl=timedelta(days=settings.invitation_days),
    )
    await emails.queue_email(
        session,
        to=person.email,
        template="invitation",
        context={
            "full_name": person.full_name,
            "course_name": payload.get("course_title"),
            "token": token,
            "days": settings.invitation_days,
            "accept_url": f"{settings.public_base_url}/accept-invitation?token={token}",
        },
        sensitive=True,
    )
