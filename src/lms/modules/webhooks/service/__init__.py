"""The webhooks service: endpoints (admins), the publishing subscriber, the delivery jobs."""

from lms.modules.webhooks.service.delivery import RETRY_TASK, read_backlog
from lms.modules.webhooks.service.endpoints import (
    DeliveryNotFound,
    EndpointNotFound,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    list_deliveries,
    list_endpoints,
    ping,
    redeliver,
    rotate_secret,
    update_endpoint,
)
from lms.modules.webhooks.service.subscriptions import (
    SEND_TASK,
    forget_subscriptions,
    record_event,
)

__all__ = [
    "RETRY_TASK",
    "SEND_TASK",
    "DeliveryNotFound",
    "EndpointNotFound",
    "create_endpoint",
    "delete_endpoint",
    "forget_subscriptions",
    "get_endpoint",
    "list_deliveries",
    "list_endpoints",
    "ping",
    "read_backlog",
    "record_event",
    "redeliver",
    "rotate_secret",
    "update_endpoint",
]
