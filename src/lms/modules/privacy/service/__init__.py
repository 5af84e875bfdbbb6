"""The privacy module's use cases: exports (``exporting``) and erasures (``erasing``)."""

from lms.modules.privacy.service.erasing import (
    CannotEraseSelf,
    ErasureAlreadyScheduled,
    ErasureNotScheduled,
    cancel_own_erasure,
    carry_out_due_erasures,
    erase_account,
    erase_by_admin,
    own_erasure,
    request_own_erasure,
    sweep,
)
from lms.modules.privacy.service.erasing import to_read as erasure_read
from lms.modules.privacy.service.exporting import (
    EXPORT_TASK,
    AccountErased,
    ExportExpired,
    ExportInProgress,
    ExportNotFound,
    ExportNotReady,
    build_export,
    expire_exports,
    export_to_download,
    get_visible_export,
    request_export,
)
from lms.modules.privacy.service.exporting import to_read as export_read

__all__ = [
    "EXPORT_TASK",
    "AccountErased",
    "CannotEraseSelf",
    "ErasureAlreadyScheduled",
    "ErasureNotScheduled",
    "ExportExpired",
    "ExportInProgress",
    "ExportNotFound",
    "ExportNotReady",
    "build_export",
    "cancel_own_erasure",
    "carry_out_due_erasures",
    "erase_account",
    "erase_by_admin",
    "erasure_read",
    "expire_exports",
    "export_read",
    "export_to_download",
    "get_visible_export",
    "own_erasure",
    "request_export",
    "request_own_erasure",
    "sweep",
]
