"""The certificates module's personal data: the person's certificates and their PDFs
(which show the name).

Erasure keeps the certificate rows: a certificate number still verifies as valid (an
employer may hold a copy), and the public verification withholds the name. The PDFs
are deleted from storage."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import get_settings
from lms.core.privacy import (
    ExportFile,
    PersonalDataHandler,
    document_schema,
    export_rows,
    rows_schema,
)
from lms.core.storage import get_storage
from lms.modules.certificates.models import Certificate


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "certificates": await export_rows(
            session, Certificate, Certificate.student_id == account_id
        )
    }


async def export_files(session: AsyncSession, account_id: uuid.UUID) -> list[ExportFile]:
    rows = await session.execute(
        select(Certificate.certificate_number, Certificate.storage_provider, Certificate.pdf_path)
        .where(Certificate.student_id == account_id, Certificate.pdf_path.is_not(None))
        .order_by(Certificate.issued_at)
    )
    return [
        ExportFile(path=f"certificates/{number}.pdf", storage_provider=provider, key=key)
        for number, provider, key in rows
        if key is not None
    ]


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    settings = get_settings()
    certificates = await session.scalars(
        select(Certificate).where(
            Certificate.student_id == account_id, Certificate.pdf_path.is_not(None)
        )
    )
    for certificate in certificates:
        assert certificate.pdf_path is not None
        await get_storage(settings, certificate.storage_provider).delete(certificate.pdf_path)
        certificate.pdf_path = None
    await session.flush()


PERSONAL_DATA = PersonalDataHandler(
    module="certificates",
    tables=("certificates",),
    export=export_personal_data,
    erase=erase_personal_data,
    files=export_files,
    schema=document_schema(
        "certificates",
        "Your certificates (number, course, dates, revocation); the PDFs are in the "
        "archive's certificates folder.",
        {"certificates": rows_schema(Certificate)},
    ),
    kept="Certificate rows: the number still verifies as valid, with the name withheld; "
    "the PDFs are deleted.",
)
