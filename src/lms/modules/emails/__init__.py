"""Transactional emails: Jinja2 templates rendered and sent through the outbox.

Public surface: ``queue_email`` (write an email to the outbox in the caller's
transaction), the names of the templates (``Template``) and the outbox task that
sends them (``SEND_EMAIL_TASK``, whose payload's ``to`` is the address)."""

from lms.modules.emails.service import SEND_EMAIL_TASK, Template, queue_email

__all__ = ["SEND_EMAIL_TASK", "Template", "queue_email"]
