"""The exam-day benchmark's harness, end to end at a small scale: a seeded database, a
real ``lms serve`` with two workers on PostgreSQL and Redis, the open-loop generator.
The figures of the full runs are in benchmarks/README.md ("Exam day")."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IS_POSTGRES, REDIS_URL
from tests.integration.conftest import require

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_exam_harness_runs_every_step_of_every_student(tmp_path: Path) -> None:
    require("PostgreSQL", IS_POSTGRES, "LMS_TEST_DATABASE_URL is not PostgreSQL")
    require("Redis", REDIS_URL is not None, "LMS_TEST_REDIS_URL is not set")
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.exam.run", "smoke", "--db", "lms_test_exam_smoke",
         "--redis-db", "13", "--port", str(_free_port()), "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((tmp_path / "current.smoke.json").read_text())
    steps = report["steps"]
    assert steps["open"]["statuses"] == {"200": 40}
    assert steps["start"]["statuses"] == {"201": 40}
    assert steps["save"]["statuses"] == {"200": 80}
    assert steps["submit"]["statuses"] == {"200": 40}
    assert report["failures"] == {}
    assert report["api_cpu_ms_per_request"] > 0
