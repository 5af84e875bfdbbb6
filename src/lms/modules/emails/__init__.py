"""Transactional emails: Jinja2 templates rendered and sent through the outbox.

Public surface: ``queue_email`` (write an email to the outbox in the caller's
transaction) and the names of the templates (``Template``)."""

from lms.modules.emails.service import Template, queue_email

__all__ = ["Template", "queue_email"]
