"""A quiz's schedule and overrides over HTTP: the schedules module's routes, under
``/quizzes/{quiz_id}/schedule``."""

from __future__ import annotations

import uuid

from lms.core.deps import CurrentPrincipal, SessionDep
from lms.modules import schedules
from lms.modules.quizzes import service
from lms.modules.quizzes.router.authoring import quizzes


async def _scheduled_quiz(
    quiz_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> schedules.ScheduledItem:
    return await service.scheduled_quiz(session, principal=principal, quiz_id=quiz_id)


schedules.add_schedule_routes(
    quizzes,
    path="/{quiz_id}/schedule",
    location="/quizzes/{quiz_id}/schedule",
    find_item=_scheduled_quiz,
    on_change=service.mark_scheduled,
    noun="quiz",
)
