"""Transactional emails: Jinja2 templates rendered and sent through the outbox, in the
recipient's language (English or Arabic, right-to-left).

Public surface: ``queue_email`` (write an email to the outbox in the caller's
transaction), ``queue_emails`` (many of one template in one insert), the names of the
templates (``Template``), the outbox task that sends them (``SEND_EMAIL_TASK``, whose
payload's ``to`` is the address), and ``use_recipient_lookup`` with its
``RecipientLookup`` (how the send job finds a recipient's locale and time zone;
installed by ``lms.wiring``)."""

from lms.modules.emails.service import (
    SEND_EMAIL_TASK,
    RecipientLookup,
    Template,
    queue_email,
    queue_emails,
    use_recipient_lookup,
)

__all__ = [
    "SEND_EMAIL_TASK",
    "RecipientLookup",
    "Template",
    "queue_email",
    "queue_emails",
    "use_recipient_lookup",
]
