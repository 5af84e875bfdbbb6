"""Authentication: registration, login (with MFA), token rotation, logout, password
reset, email verification and MFA enrolment, over the accounts of the users module.

Public surface: ``routers`` for the application factory (``/auth``, and an admin's
``/admin/users/{id}/mfa/disable``), and ``queue_invitation``: the single-use link that
lets an account created for someone (staff enrollment, a roster import) choose its
password (``queue_invitations``: many at once); ``confirm_identity``:
the password, or a current second-factor code when MFA is on, before an irreversible
step; ``PERSONAL_DATA``: how it exports and erases an account's tokens and codes."""

from lms.modules.auth.privacy import PERSONAL_DATA
from lms.modules.auth.router import admin_router as _admin_router
from lms.modules.auth.router import router as _router
from lms.modules.auth.service.invitations import queue_invitation, queue_invitations
from lms.modules.auth.service.mfa import confirm_identity

routers = [_router, _admin_router]

__all__ = ["PERSONAL_DATA", "confirm_identity", "queue_invitation", "queue_invitations", "routers"]
