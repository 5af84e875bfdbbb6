"""Users: the caller's own profile, and account management for admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from lms.core.deps import (
    AdminPrincipal,
    CurrentPrincipal,
    NotActingAs,
    SessionDep,
    SettingsDep,
)
from lms.core.errors import problem_responses
from lms.core.pagination import Page, Pagination, page_of
from lms.core.routing import TransactionalRoute, creates, read_only
from lms.modules.users import service
from lms.modules.users.schemas import (
    ActingAs,
    MyAccountRead,
    PasswordChange,
    ProfileUpdate,
    Role,
    UserAdminUpdate,
    UserCreate,
    UserFilters,
    UserRead,
)

router = APIRouter(
    prefix="/users", tags=["users"], route_class=TransactionalRoute, responses=problem_responses()
)


async def _filters(
    role: Role | None = None,
    is_active: bool | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> UserFilters:
    return UserFilters(role=role, is_active=is_active, search=search)


@router.get("/me", response_model=MyAccountRead)
@read_only
async def get_my_profile(principal: CurrentPrincipal, session: SessionDep) -> MyAccountRead:
    """The caller's own account. With an "act as" token, `acting_as` names the admin
    and when the token expires."""
    user = await service.get_user_or_raise(session, principal.id)
    read = MyAccountRead.model_validate(user)
    if principal.acting_admin_id is not None:
        read.acting_as = ActingAs(
            admin_id=principal.acting_admin_id, expires_at=principal.claims.expires_at
        )
    return read


@router.patch("/me", response_model=UserRead)
async def update_my_profile(
    data: ProfileUpdate, principal: CurrentPrincipal, session: SessionDep
) -> UserRead:
    """Change your own name or profile metadata (never your role or status)."""
    user = await service.update_profile(session, user_id=principal.id, data=data)
    return UserRead.model_validate(user)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, dependencies=[NotActingAs])
async def change_my_password(
    data: PasswordChange, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> None:
    """Change your password; every other session ends."""
    await service.change_password(session, settings=settings, user_id=principal.id, data=data)


@router.get("", response_model=Page[UserRead])
async def list_users(
    _admin: AdminPrincipal,
    session: SessionDep,
    pagination: Pagination,
    filters: Annotated[UserFilters, Depends(_filters)],
) -> Page[UserRead]:
    """All users, filtered by role, status or a search over email and name (admin)."""
    users, total = await service.list_users(
        session, filters=filters, offset=pagination.offset, limit=pagination.page_size
    )
    return page_of([UserRead.model_validate(u) for u in users], total, pagination)


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
@creates("/users/{id}")
async def create_user(
    data: UserCreate, _admin: AdminPrincipal, session: SessionDep, settings: SettingsDep
) -> UserRead:
    """Create an account with any role (admin)."""
    user = await service.admin_create_user(session, settings=settings, data=data)
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead)
async def get_user(user_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep) -> UserRead:
    """One account by id (admin)."""
    return UserRead.model_validate(await service.get_user_or_raise(session, user_id))


@router.patch("/{user_id}", response_model=UserRead)
async def update_user(
    user_id: uuid.UUID, data: UserAdminUpdate, admin: AdminPrincipal, session: SessionDep
) -> UserRead:
    """Change a user's role, status, name or metadata (admin). Deactivating a user ends
    their sessions at once."""
    user = await service.admin_update_user(session, actor=admin, user_id=user_id, data=data)
    return UserRead.model_validate(user)
