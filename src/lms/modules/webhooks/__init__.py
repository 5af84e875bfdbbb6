"""Outbound webhooks: signed messages (Standard Webhooks) to the endpoints admins
register, for the events of the catalogue (``catalogue.py``), delivered at least once
from the outbox.

It sits above every module whose events it carries and nothing imports it. Public
surface: its subscriber to every event of the catalogue (``record_event`` and the
classes, ``EVENT_CLASSES``, for ``lms/wiring.py``); ``openapi_webhooks`` (the OpenAPI
``webhooks`` section), ``routers`` and ``read_backlog`` (a gauge of ``/metrics``) for
the application; ``forget_subscriptions`` (read the subscriptions again, after tables
are emptied); the event it publishes (``WebhookEndpointChanged``).

``PERSONAL_DATA``: how it exports and erases what it holds about a person
(``lms.core.privacy``; registered in ``lms/wiring.py``).
"""

from lms.modules.webhooks.catalogue import EVENT_CLASSES, openapi_webhooks
from lms.modules.webhooks.events import WebhookEndpointChanged
from lms.modules.webhooks.privacy import PERSONAL_DATA
from lms.modules.webhooks.router import routers
from lms.modules.webhooks.service import forget_subscriptions, read_backlog, record_event

__all__ = [
    "EVENT_CLASSES",
    "PERSONAL_DATA",
    "WebhookEndpointChanged",
    "forget_subscriptions",
    "openapi_webhooks",
    "read_backlog",
    "record_event",
    "routers",
]
