"""The principal of each authenticated request (the loader the application installs),
and the cached copies of accounts' access state that loader keeps in the store."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session
from sqlalchemy.util import await_only

from lms.core.cache import Store
from lms.core.deps import Principal, principal_key
from lms.core.errors import ServiceUnavailable, Unauthorized
from lms.core.security import AccessClaims
from lms.core.session import STORE_INFO_KEY
from lms.modules.users import repository
from lms.modules.users.models import User

log = logging.getLogger("lms.users")

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


AccessState = tuple[bool, str, datetime | None, str | None]


def _encode_access(
    active: bool, role: str, valid_after: datetime | None, locale: str | None
) -> str:
    return json.dumps([active, role, valid_after.isoformat() if valid_after else None, locale])


def _decode_access(raw: str) -> AccessState:
    active, role, valid_after, *rest = json.loads(raw)  # copies from before locales: 3
    return (
        bool(active),
        str(role),
        datetime.fromisoformat(valid_after) if valid_after else None,
        rest[0] if rest else None,
    )


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
        active, role, valid_after, locale = _decode_access(cached)
    else:
        state = await repository.access_state(await open_session(), claims.user_id)
        if state is None:
            raise Unauthorized("The account is not active.", code="account_inactive")
        active, role, valid_after, locale = state
        if cached is None:
            try:
                await store.add(
                    principal_key(claims.user_id),
                    _encode_access(active, role, valid_after, locale),
                    PRINCIPAL_TTL_SECONDS,
                )
            except (RedisError, OSError):
                log.warning("principal not cached", exc_info=True)
    if not active:
        raise Unauthorized("The account is not active.", code="account_inactive")
    if valid_after is not None and claims.issued_at < valid_after:
        raise Unauthorized("The session has ended; log in again.", code="token_revoked")
    if claims.acting_admin_id is not None:
        await _check_acting_admin(await open_session(), claims)
    return Principal(id=claims.user_id, role=role, claims=claims, locale=locale)


async def _check_acting_admin(session: AsyncSession, claims: AccessClaims) -> None:
    """An "act as" token works while its admin is an active admin whose sessions have
    not ended since it was issued. Read from the database on every such request (never
    from the cached copy): deactivating the admin stops it at once. Only act-as
    requests pay for this statement."""
    assert claims.acting_admin_id is not None
    state = await repository.access_state(session, claims.acting_admin_id)
    if state is None:
        raise Unauthorized("The act-as session has ended.", code="act_as_ended")
    active, role, valid_after, _locale = state
    if (
        not active
        or role != "admin"
        or (valid_after is not None and claims.issued_at < valid_after)
    ):
        raise Unauthorized("The act-as session has ended.", code="act_as_ended")


def _note_access_change(target: User, _value: Any, _old: Any, _initiator: Any) -> None:
    if inspect(target).persistent:  # an existing account (a new one has no cached copy)
        session = object_session(target)
        if session is not None:
            session.info.setdefault(_CHANGES_KEY, set()).add(target.id)


# The locale rides along (the language of the account's responses), so a change to it
# expires the copy too.
for _attribute in (User.is_active, User.role, User.tokens_valid_after, User.locale):
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
