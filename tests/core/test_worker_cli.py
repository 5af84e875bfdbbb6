"""``lms worker``'s command line: a node name of its own unless one is given, so several
workers run side by side on one host."""

from __future__ import annotations

import os
from typing import Any

import pytest
from typer.testing import CliRunner

from lms import cli
from lms.core import celery_app
from lms.core.config import Settings, get_settings


class _Celery:
    def __init__(self) -> None:
        self.argv: list[str] = []

    def worker_main(self, argv: list[str]) -> None:
        self.argv = argv


@pytest.fixture
def celery(monkeypatch: pytest.MonkeyPatch) -> _Celery:
    fake = _Celery()
    settings: Settings = get_settings()
    monkeypatch.setattr(settings, "celery_broker_url", "amqp://guest:guest@127.0.0.1:5672//")
    monkeypatch.setattr(celery_app, "create_celery", lambda _settings: fake)
    return fake


def _run(*args: str) -> Any:
    result = CliRunner().invoke(cli.app, ["worker", *args])
    assert result.exit_code == 0, result.output
    return result


def test_a_worker_is_named_after_its_process_unless_told(celery: _Celery) -> None:
    _run("--no-beat")
    assert f"--hostname=lms-{os.getpid()}@%h" in celery.argv
    _run("--no-beat", "-n", "exams-1@%h")
    assert "--hostname=exams-1@%h" in celery.argv
    assert not any(arg.startswith("--hostname=lms-") for arg in celery.argv)
    _run("--no-beat", "--name", "exams-2@host")
    assert "--hostname=exams-2@host" in celery.argv


def test_the_worker_refuses_to_start_without_a_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "celery_broker_url", None)
    result = CliRunner().invoke(cli.app, ["worker"])
    assert result.exit_code == 2
