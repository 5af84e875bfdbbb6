"""Certificates: the student's list, downloads, public verification, revocation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from lms.core.deps import CurrentPrincipal, SessionDep, SettingsDep
from lms.core.errors import problem_responses
from lms.core.pagination import Page, Pagination, page_of
from lms.core.routing import TransactionalRoute, creates
from lms.core.storage import content_disposition
from lms.modules.certificates import service
from lms.modules.certificates.schemas import (
    CertificateRead,
    CertificateVerification,
    GenerateRequest,
    RevokeRequest,
)

router = APIRouter(
    prefix="/certificates",
    tags=["certificates"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


async def _one(
    session: SessionDep, settings: SettingsDep, certificate: service.Certificate
) -> CertificateRead:
    return (await service.to_read(session, settings=settings, certificates=[certificate]))[0]


@router.get("/my-certificates", response_model=Page[CertificateRead])
async def my_certificates(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep, pagination: Pagination
) -> Page[CertificateRead]:
    """The caller's certificates, newest first."""
    rows, total = await service.list_my_certificates(
        session, principal=principal, offset=pagination.offset, limit=pagination.page_size
    )
    return page_of(
        await service.to_read(session, settings=settings, certificates=rows), total, pagination
    )


@router.get("/verify/{certificate_number}", response_model=CertificateVerification)
async def verify_certificate(
    certificate_number: str, session: SessionDep
) -> CertificateVerification:
    """Public, no sign-in: is this certificate number genuine, and is it still valid?
    Answers with the student's name and the course only."""
    return await service.verify(session, number=certificate_number[:50])


@router.post(
    "/enrollments/{enrollment_id}/generate",
    response_model=CertificateRead,
    status_code=status.HTTP_201_CREATED,
)
@creates("/certificates/{id}")
async def generate_for_enrollment(
    enrollment_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> CertificateRead:
    """Issue the certificate of a completed enrollment now (409 if it exists, 422 if the
    enrollment is not completed). For its student, the course's instructor or an admin."""
    certificate = await service.generate_for(
        session, settings=settings, principal=principal, enrollment_id=enrollment_id
    )
    return await _one(session, settings, certificate)


@router.post("/generate", response_model=CertificateRead, status_code=status.HTTP_201_CREATED)
@creates("/certificates/{id}")
async def generate(
    data: GenerateRequest, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> CertificateRead:
    """Same as `POST /certificates/enrollments/{enrollment_id}/generate`, the id in the body."""
    certificate = await service.generate_for(
        session, settings=settings, principal=principal, enrollment_id=data.enrollment_id
    )
    return await _one(session, settings, certificate)


@router.get("/{certificate_id}", response_model=CertificateRead)
async def get_certificate(
    certificate_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> CertificateRead:
    """One certificate, for its student, the course's instructor or an admin."""
    certificate = await service.get_visible_certificate(
        session, principal=principal, certificate_id=certificate_id
    )
    return await _one(session, settings, certificate)


@router.get(
    "/{certificate_id}/download",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The certificate PDF."},
        307: {"description": "Redirect to a short-lived storage URL (S3, Azure)."},
    },
)
async def download_certificate(
    certificate_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The certificate as a PDF (streamed, or a redirect to a short-lived storage URL)."""
    location = await service.pdf_of(
        session, settings=settings, principal=principal, certificate_id=certificate_id
    )
    url = await location.storage.url_for(
        location.key, filename=location.filename, content_type="application/pdf"
    )
    if url is not None:
        return RedirectResponse(url, status_code=status.HTTP_307_TEMPORARY_REDIRECT)
    return StreamingResponse(
        await location.storage.open_stream(location.key),
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(location.filename)},
    )


@router.post("/{certificate_id}/revoke", response_model=CertificateRead)
async def revoke_certificate(
    certificate_id: uuid.UUID,
    data: RevokeRequest,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> CertificateRead:
    """Revoke a certificate, keeping the reason (the course's instructor or an admin).
    A revoked certificate still verifies, as revoked."""
    certificate = await service.revoke(
        session, principal=principal, certificate_id=certificate_id, reason=data.reason
    )
    return await _one(session, settings, certificate)


routers = [router]
