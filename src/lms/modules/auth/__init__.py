"""Authentication: registration, login (with MFA), token rotation, logout, password
reset, email verification and MFA enrolment, over the accounts of the users module.

Public surface: ``routers`` for the application factory; no other module needs
anything of authentication."""

from lms.modules.auth.router import router as _router

routers = [_router]

__all__ = ["routers"]
