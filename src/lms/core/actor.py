"""Who is acting in the current request: the request-scoped context the audit log reads.

``RequestContextMiddleware`` (``lms.core.observability``) opens one ``RequestActor`` per
HTTP request, with its request id and client address; the principal dependencies
(``lms.core.deps``) fill in who the caller is once the token is read. A subscriber to a
domain event (which is called with the session only) reads it with ``current_actor``;
outside a request (a job, the CLI) there is none, and what happens is the system's doing.

Two ids, in the sense of RFC 8693 (token exchange, the ``act`` claim):

- ``actor_id``: the person who really made the request. With an "act as" token that is
  the **admin**, never the account acted as.
- ``acting_for_id``: with an "act as" token, the account the admin acts as (the token's
  ``sub``); None otherwise.

Filling it in costs an attribute write: no statement, no store round trip.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class RequestActor:
    """The acting parties of one request (mutable: filled in as the request proceeds)."""

    request_id: str | None
    client_address: str | None
    actor_id: uuid.UUID | None = None
    acting_for_id: uuid.UUID | None = None
    # When the act-as token of this request expires (None without one).
    act_as_expires_at: datetime | None = None

    @property
    def context(self) -> str:
        """``act_as`` with an act-as token, ``user`` for a signed-in caller, ``system``
        for anything else (an anonymous request such as a payment provider's callback)."""
        if self.acting_for_id is not None:
            return "act_as"
        return "user" if self.actor_id is not None else "system"


_current: ContextVar[RequestActor | None] = ContextVar("lms.request_actor", default=None)


def current_actor() -> RequestActor | None:
    """The acting parties of the current request; None outside a request."""
    return _current.get()


def begin_request(request_id: str | None, client_address: str | None) -> Token[RequestActor | None]:
    """Open the context of a request (the request middleware; ``end_request`` after)."""
    return _current.set(RequestActor(request_id=request_id, client_address=client_address))


def end_request(token: Token[RequestActor | None]) -> None:
    _current.reset(token)


def note_caller(
    user_id: uuid.UUID, acting_admin_id: uuid.UUID | None, expires_at: datetime
) -> None:
    """Record the caller of the current request once its token is verified."""
    actor = _current.get()
    if actor is None:
        return
    if acting_admin_id is None:
        actor.actor_id = user_id
    else:
        actor.actor_id = acting_admin_id
        actor.acting_for_id = user_id
        actor.act_as_expires_at = expires_at
