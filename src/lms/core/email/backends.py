"""Email backends: ``console`` (log), ``file`` (.eml files in a folder) and ``smtp``."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib
import anyio

from lms.core.config import Settings

log = logging.getLogger("lms.email")


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None


def build_message(settings: Settings, email: OutgoingEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.email_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="lms.local")
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    return message


class EmailBackend(Protocol):
    async def send(self, email: OutgoingEmail) -> None: ...


class ConsoleBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, email: OutgoingEmail) -> None:
        log.info(
            "email (console backend)",
            extra={"to": email.to, "subject": email.subject, "body": email.text},
        )


class FileBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = Path(settings.email_file_dir)

    async def send(self, email: OutgoingEmail) -> None:
        message = build_message(self.settings, email)
        folder = anyio.Path(self.folder)
        await folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        target = folder / name
        tmp = folder / (name + ".tmp")
        await tmp.write_bytes(message.as_bytes())
        await tmp.rename(target)  # readers never see a half-written file


class SmtpBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, email: OutgoingEmail) -> None:
        s = self.settings
        await aiosmtplib.send(
            build_message(s, email),
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user,
            password=s.smtp_password,
            start_tls=s.smtp_starttls,
            use_tls=s.smtp_ssl,
            timeout=s.smtp_timeout_seconds,
        )


def create_email_backend(settings: Settings) -> EmailBackend:
    backends: dict[str, type[ConsoleBackend] | type[FileBackend] | type[SmtpBackend]] = {
        "console": ConsoleBackend,
        "file": FileBackend,
        "smtp": SmtpBackend,
    }
    return backends[settings.email_backend](settings)
