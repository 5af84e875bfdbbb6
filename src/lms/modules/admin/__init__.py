"""Operations for admins: the outbox of side effects (emails, jobs) and its failures.

Public surface: ``routers`` for the application; nothing for other modules.
"""

from lms.modules.admin.router import routers

__all__ = ["routers"]
