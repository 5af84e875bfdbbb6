"""HTTP of the courses module: the catalogue, courses and lessons (``catalogue``); the
course's team and cohorts (``team``)."""

from lms.modules.courses.router.catalogue import courses_router, lessons_router
from lms.modules.courses.router.team import team_router

# Included by the application one by one: each level of router nesting is matched again
# on every request.
routers = [courses_router, team_router, lessons_router]

__all__ = ["routers"]
