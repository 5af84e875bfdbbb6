"""The auth module's personal data: refresh tokens and one-time codes (password reset,
email verification, MFA, recovery codes).

Export lists them without their hashes. Erasure deletes them all: no session of the
person can be refreshed and no code they were sent can be used. Nothing is kept."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import PersonalDataHandler, document_schema, export_rows, rows_schema
from lms.modules.auth.models import OneTimeCode, RefreshToken

TOKEN_SECRETS = ("token_jti",)
CODE_SECRETS = ("code_hash",)


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "refresh_tokens": await export_rows(
            session, RefreshToken, RefreshToken.user_id == account_id, omit=TOKEN_SECRETS
        ),
        "one_time_codes": await export_rows(
            session, OneTimeCode, OneTimeCode.user_id == account_id, omit=CODE_SECRETS
        ),
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(
        delete(RefreshToken)
        .where(RefreshToken.user_id == account_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(OneTimeCode)
        .where(OneTimeCode.user_id == account_id)
        .execution_options(synchronize_session=False)
    )


PERSONAL_DATA = PersonalDataHandler(
    module="auth",
    tables=("refresh_tokens", "one_time_codes"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "auth",
        "Sessions (refresh tokens) and one-time codes: when issued, used, revoked; never "
        "the token or code itself.",
        {
            "refresh_tokens": rows_schema(RefreshToken, omit=TOKEN_SECRETS),
            "one_time_codes": rows_schema(OneTimeCode, omit=CODE_SECRETS),
        },
    ),
)
