"""What each accepted extension is: its MIME type, its kind, and the magic bytes its
content must start with, so a renamed executable is refused whatever it is called."""

from __future__ import annotations

import mimetypes
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

mimetypes.init()  # reads the system's MIME tables once, at import, not during a request

# Enough of the file's head to recognise every format below (a .docx names its parts in
# the zip's first local headers, well within this).
SNIFF_BYTES = 64 * 1024

_EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux / BSD
    b"MZ",  # Windows PE, DOS
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts
)


def _pdf(head: bytes) -> bool:
    # The header may follow a little junk (the PDF spec tolerates up to 1024 bytes).
    return b"%PDF-" in head[:1024]


def _png(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _iso_media(head: bytes) -> bool:
    """MP4 and QuickTime: an ISO base media ``ftyp`` box first."""
    return len(head) >= 12 and head[4:8] == b"ftyp"


def _quicktime(head: bytes) -> bool:
    # Older QuickTime files open with another top-level atom instead of ``ftyp``.
    return _iso_media(head) or (
        len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
    )


def _avi(head: bytes) -> bool:
    return head.startswith(b"RIFF") and head[8:12] == b"AVI "


def _ole2(head: bytes) -> bool:
    return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def _docx(head: bytes) -> bool:
    """A zip (``PK\\x03\\x04``) holding a Word document: the names of its first entries
    include the ``word/`` folder or the OOXML content-types part."""
    return head.startswith(b"PK\x03\x04") and (b"word/" in head or b"[Content_Types].xml" in head)


@dataclass(frozen=True)
class Format:
    mime_type: str
    kind: str
    matches: Callable[[bytes], bool]


FORMATS: dict[str, Format] = {
    "pdf": Format("application/pdf", "document", _pdf),
    "png": Format("image/png", "image", _png),
    "jpg": Format("image/jpeg", "image", _jpeg),
    "jpeg": Format("image/jpeg", "image", _jpeg),
    "mp4": Format("video/mp4", "video", _iso_media),
    "mov": Format("video/quicktime", "video", _quicktime),
    "avi": Format("video/x-msvideo", "video", _avi),
    "doc": Format("application/msword", "document", _ole2),
    "docx": Format(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "document",
        _docx,
    ),
}

INLINE_KINDS = ("video", "image")
INLINE_TYPES = ("application/pdf",)


def looks_executable(head: bytes) -> bool:
    return head.startswith(_EXECUTABLE_MAGIC)


def content_matches(extension: str, head: bytes) -> bool:
    """Whether the first bytes fit the extension. Extensions an operator allowed
    without a known signature are accepted unless the content is an executable."""
    known = FORMATS.get(extension)
    if known is None:
        return not looks_executable(head)
    return known.matches(head)


def mime_type_of(extension: str) -> str:
    known = FORMATS.get(extension)
    if known is not None:
        return known.mime_type
    guessed, _ = mimetypes.guess_type(f"file.{extension}", strict=False)
    return guessed or "application/octet-stream"


def kind_of(extension: str, mime_type: str) -> str:
    known = FORMATS.get(extension)
    if known is not None:
        return known.kind
    major = mime_type.split("/", 1)[0]
    if major in ("video", "image"):
        return major
    if major == "text":
        return "document"
    return "other"


def shows_inline(kind: str, mime_type: str) -> bool:
    return kind in INLINE_KINDS or mime_type in INLINE_TYPES


def display_name(raw: str | None) -> str:
    """The name a user gave the file, made safe to show and to put in a header: the
    last path segment only, NFC, without control or bidi-override characters, at most
    255 characters with the extension kept."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        return "file"
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        name = stem[: 255 - len(ext)] + ext if len(ext) <= 20 else name[:255]
    return name


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")
