"""What the users module tells other modules, published in the transaction of the
change (see ``lms.core.events``; the modules that react are listed in
``lms/wiring.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from lms.core.events import Event


@dataclass(frozen=True, kw_only=True, slots=True)
class UserCreated(Event):
    """An account was created (self-registration or by an admin)."""

    name: ClassVar[str] = "user.created.v1"
    user_id: uuid.UUID
    email: str
    full_name: str
    role: str
    is_active: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class UserDeactivated(Event):
    """An admin deactivated an active account: it can no longer sign in, and its
    tokens stopped working."""

    name: ClassVar[str] = "user.deactivated.v1"
    user_id: uuid.UUID
    email: str
    role: str


@dataclass(frozen=True, kw_only=True, slots=True)
class UserErased(Event):
    """An account's personal data was erased: the row that remains is anonymised, it
    can never sign in again and its email is free. Ids only."""

    name: ClassVar[str] = "user.erased.v1"
    user_id: uuid.UUID


@dataclass(frozen=True, kw_only=True, slots=True)
class UserActivated(Event):
    """An admin activated an inactive account again."""

    name: ClassVar[str] = "user.activated.v1"
    user_id: uuid.UUID
    role: str


@dataclass(frozen=True, kw_only=True, slots=True)
class UserRoleChanged(Event):
    """An admin changed an account's role (its sessions ended)."""

    name: ClassVar[str] = "user.role_changed.v1"
    user_id: uuid.UUID
    role_before: str
    role_after: str


@dataclass(frozen=True, kw_only=True, slots=True)
class UserMfaDisabled(Event):
    """The second factor of an account was turned off (``method_before`` says which it
    was: ``email`` or ``totp``): by the person, or by an admin for them, who gives a
    ``reason`` (None when the person did it) and whose change ended their sessions."""

    name: ClassVar[str] = "user.mfa_disabled.v1"
    user_id: uuid.UUID
    method_before: str | None
    reason: str | None = None
