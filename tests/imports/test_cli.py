"""``lms import roster|users``: the operator's command, against the same database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import httpx

from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.courses import published_course
from tests.factories.teams import create_cohort

COMMAND = "from lms.cli import app; app()"


async def _lms(*args: str) -> tuple[int, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = await anyio.run_process([sys.executable, "-c", COMMAND, *args], env=env, check=False)
    return result.returncode, (result.stdout + result.stderr).decode()


async def test_the_import_command_plans_then_imports(
    client: httpx.AsyncClient, instructor: Account, tmp_path: Path
) -> None:
    course, _ = await published_course(client, instructor, lessons=1)
    await create_cohort(client, instructor, course["id"], name="Morning")
    roster = tmp_path / "roster.csv"
    roster.write_bytes(
        "\ufeffemail,full_name,role,cohort\r\n"
        "hala@example.com,هالة,student,Morning\r\n"
        "bad-address,Bad,student,\r\n".encode()
    )
    code, output = await _lms(
        "import", "roster", str(roster), "--course", course["slug"], "--dry-run"
    )
    assert code == 0, output
    assert "2 rows: 1 would be created" in output and "1 refused" in output
    empty = ok(await client.get(f"/courses/{course['id']}/students", headers=instructor.headers))
    assert empty["total"] == 0

    code, output = await _lms("import", "roster", str(roster), "--course", course["slug"])
    assert code == 0, output
    assert "line 3: invalid email" in output
    roster_now = ok(
        await client.get(f"/courses/{course['id']}/students", headers=instructor.headers)
    )
    assert [(r["full_name"], r["cohort_name"]) for r in roster_now["items"]] == [
        ("هالة", "Morning")
    ]

    code, output = await _lms("import", "roster", str(roster), "--course", "no-such-course")
    assert code != 0
