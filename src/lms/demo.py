"""Demo data for a newcomer: accounts of each role (and, as modules land, a catalogue)."""

from __future__ import annotations

from typing import Any

import typer

from lms.core.config import Settings
from lms.core.db import commit

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105  (public demo accounts)
DEMO_USERS = [
    ("admin@demo.lms", "Demo Admin", "admin"),
    ("instructor@demo.lms", "Dana Instructor", "instructor"),
    ("student@demo.lms", "Sam Student", "student"),
    ("student2@demo.lms", "سارة الطالبة", "student"),
]


async def seed(sessionmaker: Any, settings: Settings) -> None:
    from lms.modules.users import service as users

    async with sessionmaker() as session:
        for email, name, role in DEMO_USERS:
            if await users.find_by_email(session, email) is None:
                await users.create_user(
                    session,
                    settings=settings,
                    email=email,
                    password=DEMO_PASSWORD,
                    full_name=name,
                    role=role,
                )
        await commit(session)
    typer.echo(f"demo accounts ready (password {DEMO_PASSWORD!r}):")
    for email, _name, role in DEMO_USERS:
        typer.echo(f"  {role:<10} {email}")
