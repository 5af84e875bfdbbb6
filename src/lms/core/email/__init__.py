"""Email transport: build a MIME message and hand it to the configured backend."""

from lms.core.email.backends import EmailBackend, OutgoingEmail, create_email_backend

__all__ = ["EmailBackend", "OutgoingEmail", "create_email_backend"]
