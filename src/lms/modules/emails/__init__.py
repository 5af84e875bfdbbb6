"""Transactional emails: Jinja2 templates rendered and sent through the outbox.

Public surface: ``queue_email`` (write an email to the outbox in the caller's
transaction), ``queue_emails`` (many of one template in one insert) and the names of
the templates (``Template``)."""

from lms.modules.emails.service import Template, queue_email, queue_emails

__all__ = ["Template", "queue_email", "queue_emails"]
