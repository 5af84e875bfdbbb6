"""Users: accounts, roles, profiles. Other modules call these functions, never the tables."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.util import await_only

from lms.core.cache import Store
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal, principal_key
from lms.core.errors import Conflict, NotFound, RuleViolation, ServiceUnavailable, Unauthorized
from lms.core.security import AccessClaims, hash_password, verify_password
from lms.core.session import STORE_INFO_KEY
from lms.modules.users import repository

# Other modules name the account type through this module (``users.User``); the table
# itself stays private to the users module.
from lms.modules.users.models import User
from lms.modules.users.schemas import (
    PasswordChange,
    ProfileUpdate,
    UserAdminUpdate,
    UserCreate,
    UserFilters,
)

log = logging.getLogger("lms.users")


class EmailTaken(Conflict):
    code = "email_taken"
    detail = "An account with this email already exists."


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await repository.get(session, user_id)


async def get_user_or_raise(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFound("No user with this id.", code="user_not_found")
    return user


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await repository.get_by_email(session, email)


async def verify_credentials(session: AsyncSession, *, email: str, password: str) -> User | None:
    """The active user with this email and password, else None. An unknown email costs
    the same bcrypt time as a wrong password, so timing does not reveal accounts."""
    user = await repository.get_by_email(session, email)
    ok = await verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.is_active:
        return None
    return user


async def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is this user's current password."""
    return await verify_password(password, user.password_hash)


async def get_users(session: AsyncSession, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
    """Users by id in one query (for modules that show names beside their rows)."""
    return {user.id: user for user in await repository.get_many(session, user_ids)}


async def create_user(
    session: AsyncSession,
    *,
    settings: Settings,
    email: str,
    password: str,
    full_name: str,
    role: str = "student",
    is_active: bool = True,
) -> User:
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
    return user


async def admin_create_user(session: AsyncSession, *, settings: Settings, data: UserCreate) -> User:
    return await create_user(
        session,
        settings=settings,
        email=str(data.email),
        password=data.password,
        full_name=data.full_name,
        role=data.role,
        is_active=data.is_active,
    )


async def list_users(
    session: AsyncSession, *, filters: UserFilters, offset: int, limit: int
) -> tuple[list[User], int]:
    return await repository.page(session, filters, offset=offset, limit=limit)


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
    for field in ("full_name", "role", "is_active", "profile_metadata"):
        if field in changes and changes[field] is not None:
            setattr(user, field, changes[field])
    if changes.get("is_active") is False or "role" in changes:
        end_sessions(user)
    await session.flush()
    return user


async def update_profile(session: AsyncSession, *, user_id: uuid.UUID, data: ProfileUpdate) -> User:
    user = await get_user_or_raise(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("full_name"):
        user.full_name = changes["full_name"]
    if "profile_metadata" in changes:
        user.profile_metadata = changes["profile_metadata"]
    await session.flush()
    return user


async def set_password(
    session: AsyncSession, *, settings: Settings, user: User, new_password: str
) -> None:
    user.password_hash = await hash_password(new_password, settings.bcrypt_rounds)
    end_sessions(user)
    await session.flush()


async def change_password(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, data: PasswordChange
) -> User:
    user = await get_user_or_raise(session, user_id)
    if not await verify_password(data.current_password, user.password_hash):
        raise RuleViolation("The current password is wrong.", code="wrong_password")
    await set_password(session, settings=settings, user=user, new_password=data.new_password)
    return user


async def record_login(session: AsyncSession, user: User) -> None:
    user.last_login_at = utcnow()
    await session.flush()


async def mark_email_verified(session: AsyncSession, user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        await session.flush()


async def set_pending_totp_secret(
    session: AsyncSession, *, user: User, encrypted_secret: str | None
) -> None:
    """Keep (or drop) a TOTP secret awaiting confirmation; MFA stays as it is."""
    user.totp_secret_encrypted = encrypted_secret
    user.totp_last_step = None
    await session.flush()


async def enable_mfa(session: AsyncSession, *, user: User, method: str) -> None:
    if method not in ("email", "totp"):
        raise ValueError(f"unknown MFA method {method!r}")
    user.mfa_enabled = True
    user.mfa_method = method
    if method == "email":
        user.totp_secret_encrypted = None
        user.totp_last_step = None
    await session.flush()


async def disable_mfa(session: AsyncSession, *, user: User) -> None:
    user.mfa_enabled = False
    user.mfa_method = None
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    await session.flush()


async def claim_totp_step(session: AsyncSession, *, user: User, step: int) -> bool:
    """Accept TOTP time step ``step`` once: False if it or a later step was used."""
    claimed = await repository.claim_totp_step(session, user.id, step)
    if claimed:
        set_committed_value(user, "totp_last_step", step)
    return claimed


# Principals. Every authenticated request needs the account's access state (active,
# role, tokens valid after). The store keeps a copy for PRINCIPAL_TTL_SECONDS, read in
# the same round trip as the token denylist, so most requests skip the database here.
#
# A change must lock the account out at once, so the copy is never trusted across one:
# any change to is_active, role or tokens_valid_after (deactivation, role change,
# password change or reset) writes a marker over the copy *before* its transaction
# commits (a failed write aborts the commit). Under the marker every request reads the
# database; copies are only added where nothing is stored (SET NX), so a request that
# read the old state before the commit cannot put it back. The marker outlives any such
# request (it lasts as long as a copy would).

PRINCIPAL_TTL_SECONDS = 60
_STALE = ""  # the marker: read the database, store nothing
_CHANGES_KEY = "users.access_changes"


def _encode_access(active: bool, role: str, valid_after: datetime | None) -> str:
    return json.dumps([active, role, valid_after.isoformat() if valid_after else None])


def _decode_access(raw: str) -> tuple[bool, str, datetime | None]:
    active, role, valid_after = json.loads(raw)
    return bool(active), str(role), datetime.fromisoformat(valid_after) if valid_after else None


async def load_principal(
    open_session: Callable[[], Awaitable[AsyncSession]],
    store: Store,
    claims: AccessClaims,
    cached: str | None,
) -> Principal:
    """The principal loader the app installs: live user, active, token not superseded.
    ``cached`` is what the store holds at ``principal_key(user_id)``; only without it is
    the request's session opened."""
    if cached:
        active, role, valid_after = _decode_access(cached)
    else:
        state = await repository.access_state(await open_session(), claims.user_id)
        if state is None:
            raise Unauthorized("The account is not active.", code="account_inactive")
        active, role, valid_after = state
        if cached is None:
            try:
                await store.add(
                    principal_key(claims.user_id),
                    _encode_access(active, role, valid_after),
                    PRINCIPAL_TTL_SECONDS,
                )
            except (RedisError, OSError):
                log.warning("principal not cached", exc_info=True)
    if not active:
        raise Unauthorized("The account is not active.", code="account_inactive")
    if valid_after is not None and claims.issued_at < valid_after:
        raise Unauthorized("The session has ended; log in again.", code="token_revoked")
    return Principal(id=claims.user_id, role=role, claims=claims)


def _note_access_change(target: User, _value: Any, _old: Any, _initiator: Any) -> None:
    if inspect(target).persistent:  # an existing account (a new one has no cached copy)
        session = object_session(target)
        if session is not None:
            session.info.setdefault(_CHANGES_KEY, set()).add(target.id)


for _attribute in (User.is_active, User.role, User.tokens_valid_after):
    event.listen(_attribute, "set", _note_access_change)


async def _mark_stale(store: Store, user_ids: set[uuid.UUID]) -> None:
    for user_id in user_ids:
        await store.set(principal_key(user_id), _STALE, PRINCIPAL_TTL_SECONDS)


@event.listens_for(Session, "before_commit")
def _expire_cached_principals(session: Session) -> None:
    """Runs inside the commit of every session, before the database commits."""
    changed = session.info.pop(_CHANGES_KEY, None)
    if not changed:
        return
    store = session.info.get(STORE_INFO_KEY)
    if store is None:
        raise RuntimeError(
            "an account's access changed in a session without the store; create the "
            "session factory with create_sessionmaker(engine, store=...)"
        )
    try:
        await_only(_mark_stale(store, changed))
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable(
            "Account changes cannot be applied right now; retry shortly.",
            code="store_unavailable",
        ) from exc


@event.listens_for(Session, "after_rollback")
def _forget_access_changes(session: Session) -> None:
    session.info.pop(_CHANGES_KEY, None)
