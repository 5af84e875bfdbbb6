from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate
from lms.modules.certificates.models import Certificate


async def get(session: AsyncSession, certificate_id: uuid.UUID) -> Certificate | None:
    return await session.get(Certificate, certificate_id)


async def get_by_number(session: AsyncSession, number: str) -> Certificate | None:
    result: Certificate | None = await session.scalar(
        select(Certificate).where(Certificate.certificate_number == number)
    )
    return result


async def get_by_enrollment(session: AsyncSession, enrollment_id: uuid.UUID) -> Certificate | None:
    result: Certificate | None = await session.scalar(
        select(Certificate).where(Certificate.enrollment_id == enrollment_id)
    )
    return result


async def page_for_student(
    session: AsyncSession, student_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Certificate], int]:
    statement = (
        select(Certificate)
        .where(Certificate.student_id == student_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id)
    )
    return await paginate(session, statement, offset=offset, limit=limit)
