"""Registration: a new student account, signed in at once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.modules import emails, users
from lms.modules.auth.schemas import AuthResponse
from lms.modules.auth.service.reset_and_verification import send_verification_email
from lms.modules.auth.service.tokens import issue_tokens


async def register(
    session: AsyncSession, *, settings: Settings, email: str, password: str, full_name: str
) -> AuthResponse:
    """Create a student account, queue the welcome and verification emails, sign in."""
    account = await users.create_user(
        session, settings=settings, email=email, password=password, full_name=full_name
    )
    await emails.queue_email(
        session, to=account.email, template="welcome", context={"full_name": account.full_name}
    )
    await send_verification_email(session, settings=settings, account=account)
    tokens = await issue_tokens(session, settings=settings, account=account)
    account = await users.record_login(session, user_id=account.id)
    return AuthResponse(**tokens.model_dump(), user=users.UserRead.model_validate(account))
