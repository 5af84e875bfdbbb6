"""Roster and users imports: ``rows`` (what one row does), ``chunks`` (a chunk of rows
at once, each with the outcome it gets one by one), ``running`` (dry runs, jobs and the
chunked worker loop)."""

from lms.modules.imports.service.running import (
    ImportFileInvalid,
    ImportJobNotFound,
    get_visible_job,
    import_context,
    limited,
    plan_import,
    run_import,
    run_job,
    start_import,
)

__all__ = [
    "ImportFileInvalid",
    "ImportJobNotFound",
    "get_visible_job",
    "import_context",
    "limited",
    "plan_import",
    "run_import",
    "run_job",
    "start_import",
]
