"""Who reacts to what: every subscription of the application, in one place.

A module publishes domain events about its own changes (``lms.core.events``) and never
imports the modules that react to them; this file says which module reacts to which
event, question or SQL condition, in the order the subscribers run. The application
(``lms.main.create_app``) and the worker (``lms worker``, through ``load_modules``) both
call ``wire``. To follow a workflow across modules (a payment that enrolls, a last
lesson that issues a certificate), read it here from top to bottom.
"""

from __future__ import annotations

from lms.core import events


def wire(bus: events.EventBus = events.bus) -> None:
    """Subscribe every module's subscribers (once per bus)."""
    if bus.wired:
        return
    bus.wired = True
