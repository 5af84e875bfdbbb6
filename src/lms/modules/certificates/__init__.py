"""Certificates: issued once per completed enrollment (a PDF with a QR code), verifiable
by number in public, revocable by the course's instructor or an admin.

Public surface: the events it publishes (``CertificateIssued``, ``CertificateRevoked``);
its subscriber to ``enrollments.EnrollmentCompleted``
(``queue_certificate``, for ``lms/wiring.py``); ``routers`` for the application.

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.certificates.events import CertificateIssued, CertificateRevoked
from lms.modules.certificates.privacy import PERSONAL_DATA
from lms.modules.certificates.router import routers
from lms.modules.certificates.service import queue_certificate

__all__ = [
    "PERSONAL_DATA",
    "CertificateIssued",
    "CertificateRevoked",
    "queue_certificate",
    "routers",
]
