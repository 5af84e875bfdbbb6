""" "Act as": an admin's short-lived token for another account (RFC 8693 ``act``
claim), and the audit entry of every request made with one."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lms.core.actor import RequestActor
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict
from lms.core.security import create_access_token
from lms.core.session import commit
from lms.modules import users
from lms.modules.audit import repository
from lms.modules.audit.schemas import ActAsToken
from lms.modules.audit.service import record, who

log = logging.getLogger(__name__)


class ActAsTargetAdmin(Conflict):
    code = "act_as_target_admin"
    detail = "Admins cannot be acted as."


class ActAsTargetInactive(Conflict):
    code = "act_as_target_inactive"
    detail = "Only an active account can be acted as."


async def start_act_as(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    user_id: uuid.UUID,
    reason: str,
) -> ActAsToken:
    """A short-lived access token for ``user_id`` carrying ``act: {"sub": admin}``, for
    an active account that is not an admin's (404 for no account, 409 otherwise).
    Recorded as ``act_as.started`` with the reason."""
    account = await users.get_account_or_raise(session, user_id)
    if account.role == "admin":
        raise ActAsTargetAdmin()
    if not account.is_active:
        raise ActAsTargetInactive()
    token, claims = create_access_token(
        settings,
        user_id=account.id,
        role=account.role,
        acting_admin_id=principal.id,
        minutes=settings.act_as_minutes,
    )
    await record(
        session,
        action="act_as.started",
        target_type="user",
        target_id=account.id,
        after={"reason": reason, "expires_at": claims.expires_at.isoformat()},
    )
    return ActAsToken(
        access_token=token,
        expires_at=claims.expires_at,
        expires_in=settings.act_as_minutes * 60,
        user_id=account.id,
        admin_id=principal.id,
    )


ActingRequestRecorder = Callable[[RequestActor, str, str, int], Awaitable[None]]


def acting_request_recorder(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> ActingRequestRecorder:
    """What the request middleware calls before it answers a request made with an "act
    as" token: one entry (``act_as.request``: method, route template, status), committed
    on its own, so reads and refused requests are recorded too."""

    async def record_request(actor: RequestActor, method: str, route: str, status: int) -> None:
        async with sessionmaker() as session:
            await repository.append(
                session,
                {
                    "occurred_at": utcnow(),
                    **who(actor),
                    "action": "act_as.request",
                    "target_type": "user",
                    "target_id": actor.acting_for_id,
                    "course_id": None,
                    "change": {"request": {"method": method, "route": route, "status": status}},
                },
            )
            await commit(session)

    return record_request
