"""What the webhooks module tells other modules, published in the transaction of the
change (see ``lms.core.events``; the modules that react are listed in
``lms/wiring.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lms.core.events import Event


@dataclass(frozen=True, kw_only=True, slots=True)
class WebhookEndpointChanged(Event):
    """An admin created, changed, deleted an endpoint or rotated its secret
    (``change``: ``created``, ``updated``, ``deleted``, ``secret_rotated``). ``before``
    and ``after`` hold its URL, event types and state, never its secrets."""

    name: ClassVar[str] = "webhook.endpoint_changed.v1"
    endpoint_id: uuid.UUID
    change: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = field(default=None)
