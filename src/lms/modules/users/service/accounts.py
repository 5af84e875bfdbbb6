"""Accounts: creating them, reading them (as read models for other modules), and their
management by their owner or an admin."""

from __future__ import annotations

import uuid

from sqlalchemy import Subquery, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict, NotFound, RuleViolation
from lms.core.security import hash_password
from lms.modules.users import repository
from lms.modules.users.events import (
    UserActivated,
    UserCreated,
    UserDeactivated,
    UserRoleChanged,
)
from lms.modules.users.models import User
from lms.modules.users.schemas import (
    Account,
    ProfileUpdate,
    UserAdminUpdate,
    UserCreate,
    UserFilters,
    UserSummary,
)


class EmailTaken(Conflict):
    code = "email_taken"
    detail = "An account with this email already exists."


class UserNotFound(NotFound):
    code = "user_not_found"
    detail = "No user with this id."


# The identity map holds a clean object only weakly: once the caller has the read model,
# nothing would keep the user alive. Every account handed out keeps its user in the
# session's info for the session's life, so the by-id functions that follow (record the
# login, change the MFA state, set a password) find it there without a statement, as
# when callers held the object itself. Sessions live for one request or one job.
_HELD_USERS = "users.held"


def account_of(session: AsyncSession, user: User) -> Account:
    """``user`` as an ``Account``, kept loaded in ``session`` (see above)."""
    session.info.setdefault(_HELD_USERS, {})[user.id] = user
    return Account(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        is_active=user.is_active,
        mfa_enabled=user.mfa_enabled,
        mfa_method=user.mfa_method,
        totp_secret_encrypted=user.totp_secret_encrypted,
        totp_last_step=user.totp_last_step,
        email_verified_at=user.email_verified_at,
        tokens_valid_after=user.tokens_valid_after,
        last_login_at=user.last_login_at,
        profile_metadata=user.profile_metadata,
        created_at=user.created_at,
        updated_at=user.updated_at,
        time_zone=user.time_zone,
        locale=user.locale,
    )


def summary_of(user: User) -> UserSummary:
    return UserSummary(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        is_active=user.is_active,
        invited=user.password_hash is None,
        locale=user.locale,
        time_zone=user.time_zone,
        erased=user.erased_at is not None,
    )


# Reading. By id, a user already loaded in the session comes from its identity map
# without a statement.


async def get_user_or_raise(session: AsyncSession, user_id: uuid.UUID) -> User:
    """The user (an ORM object, for this module only), or ``UserNotFound``."""
    user = await repository.get(session, user_id)
    if user is None:
        raise UserNotFound()
    return user


async def get_account(session: AsyncSession, user_id: uuid.UUID) -> Account | None:
    """The account with this id, or None."""
    user = await repository.get(session, user_id)
    return account_of(session, user) if user is not None else None


async def get_account_or_raise(session: AsyncSession, user_id: uuid.UUID) -> Account:
    """The account with this id, or ``UserNotFound``."""
    return account_of(session, await get_user_or_raise(session, user_id))


async def find_account_by_email(session: AsyncSession, email: str) -> Account | None:
    """The account using ``email`` (compared without case), or None."""
    user = await repository.get_by_email(session, email)
    return account_of(session, user) if user is not None else None


async def recipient_preferences(session: AsyncSession, email: str) -> tuple[str | None, str] | None:
    """The locale and time zone of the account using ``email`` (for the emails written
    to it), or None."""
    user = await repository.get_by_email(session, email)
    return (user.locale, user.time_zone) if user is not None else None


async def get_user_summary(session: AsyncSession, user_id: uuid.UUID) -> UserSummary | None:
    """Who the user with this id is, or None."""
    user = await repository.get(session, user_id)
    return summary_of(user) if user is not None else None


async def get_user_summary_or_raise(session: AsyncSession, user_id: uuid.UUID) -> UserSummary:
    """Who the user with this id is, or ``UserNotFound``."""
    return summary_of(await get_user_or_raise(session, user_id))


async def get_user_summaries(
    session: AsyncSession, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, UserSummary]:
    """Users by id in one query (for modules that show names beside their rows); ids
    without a user are left out."""
    return {user.id: summary_of(user) for user in await repository.get_many(session, user_ids)}


async def get_active_admins(session: AsyncSession) -> list[UserSummary]:
    """Every active admin (whom the system writes to about operations)."""
    return [summary_of(user) for user in await repository.active_admins(session)]


async def list_users(
    session: AsyncSession, *, filters: UserFilters, offset: int, limit: int
) -> tuple[list[User], int]:
    return await repository.page(session, filters, offset=offset, limit=limit)


# Writing


async def create_user(
    session: AsyncSession,
    *,
    settings: Settings,
    email: str,
    password: str,
    full_name: str,
    role: str = "student",
    is_active: bool = True,
) -> Account:
    """A new account (``EmailTaken`` if the address is in use, whatever its case)."""
    if await repository.get_by_email(session, email) is not None:
        raise EmailTaken()
    user = User(
        email=email.lower(),
        password_hash=await hash_password(password, settings.bcrypt_rounds),
        full_name=full_name,
        role=role,
        is_active=is_active,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # two registrations raced for one email
        raise EmailTaken() from exc
    await events.publish(
        session,
        UserCreated(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=user.role,
            is_active=user.is_active,
        ),
    )
    return account_of(session, user)


async def find_by_external_id(session: AsyncSession, external_id: str) -> UserSummary | None:
    """The account with this id in the school's information system, or None."""
    user = await session.scalar(select(User).where(User.external_id == external_id))
    return summary_of(user) if user is not None else None


async def update_imported_profile(
    session: AsyncSession, *, user_id: uuid.UUID, full_name: str | None, external_id: str | None
) -> bool:
    """Set the name and the external id an import gives (empty values leave the field
    alone); True when something changed."""
    user = await get_user_or_raise(session, user_id)
    changed = False
    if full_name and user.full_name != full_name:
        user.full_name = full_name
        changed = True
    if external_id and user.external_id != external_id:
        user.external_id = external_id
        changed = True
    if changed:
        await session.flush()
    return changed


async def invite_user(
    session: AsyncSession,
    *,
    email: str,
    full_name: str,
    role: str = "student",
    external_id: str | None = None,
) -> tuple[UserSummary, bool]:
    """The account using ``email`` (compared without case), or a new invited one: active,
    without a password until its owner sets one through an invitation link. The flag
    says whether the account was created now."""
    existing = await repository.get_by_email(session, email)
    if existing is not None:
        return summary_of(existing), False
    user = User(
        email=email.lower(),
        password_hash=None,
        full_name=full_name,
        role=role,
        is_active=True,
        external_id=external_id,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # invited by another request at the same moment
        raced = await repository.get_by_email(session, email)
        if raced is None:
            raise
        return summary_of(raced), False
    return summary_of(user), True


async def admin_create_user(
    session: AsyncSession, *, settings: Settings, data: UserCreate
) -> Account:
    """An account with any role, as an admin asked for it."""
    return await create_user(
        session,
        settings=settings,
        email=str(data.email),
        password=data.password,
        full_name=data.full_name,
        role=data.role,
        is_active=data.is_active,
    )


def end_sessions(user: User) -> None:
    """Every access token issued until now stops working."""
    user.tokens_valid_after = utcnow()


async def admin_update_user(
    session: AsyncSession, *, actor: Principal, user_id: uuid.UUID, data: UserAdminUpdate
) -> User:
    user = await get_user_or_raise(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if user.id == actor.id and (
        changes.get("is_active") is False or changes.get("role", "admin") != "admin"
    ):
        raise RuleViolation("Admins cannot deactivate or demote themselves.", code="self_lockout")
    if user.erased_at is not None and changes:
        raise Conflict("This account was erased; it cannot change.", code="account_erased")
    deactivating = user.is_active and changes.get("is_active") is False
    activating = not user.is_active and changes.get("is_active") is True
    role_before = user.role
    for field in ("full_name", "role", "is_active", "profile_metadata", "time_zone"):
        if field in changes and changes[field] is not None:
            setattr(user, field, changes[field])
    if "locale" in changes:
        user.locale = changes["locale"]
    if changes.get("is_active") is False or "role" in changes:
        end_sessions(user)
    await session.flush()
    if deactivating:
        await events.publish(
            session, UserDeactivated(user_id=user.id, email=user.email, role=user.role)
        )
    if activating:
        await events.publish(session, UserActivated(user_id=user.id, role=user.role))
    if user.role != role_before:
        await events.publish(
            session,
            UserRoleChanged(user_id=user.id, role_before=role_before, role_after=user.role),
        )
    return user


async def update_profile(session: AsyncSession, *, user_id: uuid.UUID, data: ProfileUpdate) -> User:
    user = await get_user_or_raise(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("full_name"):
        user.full_name = changes["full_name"]
    if "profile_metadata" in changes:
        user.profile_metadata = changes["profile_metadata"]
    if changes.get("time_zone"):
        user.time_zone = changes["time_zone"]
    if "locale" in changes:
        user.locale = changes["locale"]
    await session.flush()
    return user


def user_names() -> Subquery:
    """Who each account is, as a selectable for another module's statement (a list of
    people, such as the gradebook's rows, joined on ``user_id``): ``user_id`` (UUID),
    ``full_name`` (text), ``email`` (text)."""
    return repository.user_names()
