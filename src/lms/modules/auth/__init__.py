"""Authentication: registration, login (with MFA), token rotation, logout, password
reset, email verification and MFA enrolment, over the accounts of the users module.

Public surface: ``routers`` for the application factory, and ``queue_invitation``: the
single-use link that lets an account created for someone (staff enrollment, a roster
import) choose its password (``queue_invitations``: many at once)."""

from lms.modules.auth.router import router as _router
from lms.modules.auth.service.invitations import queue_invitation, queue_invitations

routers = [_router]

__all__ = ["queue_invitation", "queue_invitations", "routers"]
