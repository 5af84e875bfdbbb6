"""Request and response models of the files API, and ``FileSummary``, the read model
other modules receive."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

FileType = Literal["video", "image", "document", "other"]


class FileRead(BaseModel):
    """A stored file's metadata. ``file_url`` is the API download path; the stored
    object's key is never shown."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    uploader_id: uuid.UUID
    filename: str
    original_filename: str
    file_url: str
    file_type: FileType
    mime_type: str
    file_size: int
    folder: str
    storage_provider: str
    is_public: bool
    lesson_id: uuid.UUID | None = None
    created_at: datetime


class FileFilters(BaseModel):
    uploader_id: uuid.UUID | None = None
    folder: str | None = None
    file_type: FileType | None = None
    lesson_id: uuid.UUID | None = None
    is_public: bool | None = None


class UploadForm(BaseModel):
    """The form fields beside the file, validated once the body has been read."""

    folder: str | None = None
    is_public: bool = False
    lesson_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class FileSummary:
    """A stored file as other modules see it (its storage key stays here)."""

    id: uuid.UUID
    uploader_id: uuid.UUID
    original_filename: str
    file_type: str
    mime_type: str
    file_size: int
    is_public: bool
    lesson_id: uuid.UUID | None
