"""Operations for admins: the outbox of side effects (emails, jobs) and its failures.

Public surface: ``routers`` for the application; the event it publishes
(``OutboxMessageRetried``).
"""

from lms.modules.admin.events import OutboxMessageRetried
from lms.modules.admin.router import routers

__all__ = ["OutboxMessageRetried", "routers"]
