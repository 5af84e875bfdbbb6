"""Files: sample contents of each format the API knows, and uploads."""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any

import httpx

from tests.factories.api import Caller, ok


def png(size: int = 2048) -> bytes:
    """``size`` bytes that start as a PNG image does."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(max(0, size - 16))


def jpeg(size: int = 2048) -> bytes:
    """``size`` bytes that start as a JPEG (JFIF) image does."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(max(0, size - 11))


def pdf(text: str = "hello") -> bytes:
    """A small PDF-shaped document with ``text`` in its first comment."""
    return f"%PDF-1.4\n% {text}\n".encode() + os.urandom(512) + b"\n%%EOF\n"


def mp4(size: int = 4096) -> bytes:
    """``size`` bytes that start as an MP4 video does."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(max(0, size - 24))


def mov(size: int = 4096) -> bytes:
    """``size`` bytes that start as a QuickTime video does."""
    return b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + os.urandom(max(0, size - 20))


def avi(size: int = 4096) -> bytes:
    """``size`` bytes that start as an AVI video does."""
    return b"RIFF" + (size - 8).to_bytes(4, "little") + b"AVI LIST" + os.urandom(size - 16)


def doc(size: int = 4096) -> bytes:
    """``size`` bytes that start as an old Word (OLE) document does."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(size - 8)


def docx() -> bytes:
    """A zip with the parts that make it a Word document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    """A zip that is no office document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "just a zip")
    return buffer.getvalue()


# Executables, which no upload may store.
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 2000
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 2000


async def upload(
    client: httpx.AsyncClient,
    account: Caller | None,
    name: str,
    content: bytes,
    *,
    mime: str = "application/octet-stream",
    **fields: Any,
) -> httpx.Response:
    """POST /files/upload the way a browser form does: fields first, then the file
    (anonymously when ``account`` is None); the API's answer, whatever it is."""
    data = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in fields.items()
    }
    return await client.post(
        "/files/upload",
        headers=account.headers if account else {},
        data=data,
        files={"file": (name, content, mime)},
    )


async def upload_file(
    client: httpx.AsyncClient,
    account: Caller,
    name: str,
    content: bytes,
    *,
    mime: str = "application/octet-stream",
    **fields: Any,
) -> dict[str, Any]:
    """A file ``account`` uploaded (private unless ``is_public=True``)."""
    return ok(await upload(client, account, name, content, mime=mime, **fields), 201)
