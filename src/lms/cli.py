"""Command line: serve, worker, db upgrade, create-admin, seed-demo, import roster|users."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from lms.core.config import get_settings

# prometheus_client's multiprocess directory (see lms.core.metrics): read when it is
# first imported, so set here before anything imports it.
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

app = typer.Typer(help="LMS backend command line.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

log = logging.getLogger("lms.cli")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations up to REVISION (default: the latest)."""
    from lms.core.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database upgraded to {revision}")


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    from lms.core.migrate import check

    check(get_settings().database_url)
    typer.echo("models and migrations agree")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    migrate: Annotated[
        bool | None, typer.Option(help="Run migrations first (default: on SQLite only).")
    ] = None,
    proxy_headers: bool = False,
    forwarded_allow_ips: str = "127.0.0.1",
) -> None:
    """Run the API with uvicorn."""
    import uvicorn

    settings = get_settings()
    if migrate is None:
        migrate = settings.is_sqlite
    if migrate:
        from lms.core.migrate import upgrade

        upgrade(settings.database_url)
    if settings.metrics_enabled and workers > 1 and not os.environ.get(METRICS_DIR_ENV):
        # Set before any worker imports prometheus_client: each writes its samples there.
        os.environ[METRICS_DIR_ENV] = tempfile.mkdtemp(prefix="lms-metrics-")
    if os.environ.get(METRICS_DIR_ENV):
        from lms.core.metrics import prepare_multiprocess_directory

        prepare_multiprocess_directory(os.environ[METRICS_DIR_ENV])
    if workers > 1 and (not settings.redis_url or not settings.celery_broker_url):
        typer.secho(
            "warning: several workers need LMS_REDIS_URL (shared cache, denylist, rate "
            "limits) and LMS_CELERY_BROKER_URL (jobs); the in-process defaults are per worker",
            fg=typer.colors.YELLOW,
            err=True,
        )
    uvicorn.run(
        "lms.main:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command()
def worker(
    concurrency: int = 2,
    beat: Annotated[bool, typer.Option(help="Also run the periodic scheduler.")] = True,
    loglevel: str = "INFO",
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            "-n",
            help="The worker's node name (Celery's -n; %h is the host name). Default "
            "lms-<pid>@%h: unique, so several workers can run on one host.",
        ),
    ] = None,
) -> None:
    """Run a Celery worker (and beat) that delivers the outbox and runs periodic jobs."""
    settings = get_settings()
    if not settings.celery_broker_url:
        typer.secho(
            "LMS_CELERY_BROKER_URL is not set: the API process delivers jobs itself.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=2)
    from lms.core.celery_app import create_celery
    from lms.main import load_modules

    load_modules()
    celery = create_celery(settings)
    # Celery's default node name (celery@host) is the same for every worker of a host:
    # a second one then fails to take its control queue on RabbitMQ (RESOURCE_LOCKED)
    # and stops, and the workers' remote control mixes them up.
    node = name or f"lms-{os.getpid()}@%h"
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        f"--hostname={node}",
    ]
    if beat:
        argv.append("--beat")
        argv.append("--schedule=/tmp/lms-celerybeat-schedule")
    celery.worker_main(argv)


def _run(factory: Callable[[Any], Awaitable[None]]) -> None:
    from lms.core.cache import create_store
    from lms.core.engine import create_engine
    from lms.core.session import create_sessionmaker
    from lms.main import load_modules

    load_modules()
    settings = get_settings()

    async def main() -> None:
        engine = create_engine(settings)
        store = create_store(settings)
        try:
            await factory(create_sessionmaker(engine, store=store))
        finally:
            await store.close()
            await engine.dispose()

    asyncio.run(main())


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    full_name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an admin account (prompts for what is not given as an option)."""
    from lms.core.session import commit
    from lms.modules import users

    settings = get_settings()
    data = users.UserCreate(email=email, password=password, full_name=full_name, role="admin")

    async def create(sessionmaker: Any) -> None:
        async with sessionmaker() as session:
            account = await users.create_user(
                session,
                settings=settings,
                email=str(data.email),
                password=data.password,
                full_name=data.full_name,
                role=data.role,
                is_active=data.is_active,
            )
            await commit(session)
            typer.echo(f"admin created: {account.email} ({account.id})")

    _run(create)


@app.command("seed-demo")
def seed_demo() -> None:
    """Load demo accounts and a small published catalogue (idempotent)."""
    from lms.demo import seed

    settings = get_settings()
    if settings.is_sqlite:
        from lms.core.migrate import upgrade

        upgrade(settings.database_url)
    _run(lambda sessionmaker: seed(sessionmaker, settings))


import_app = typer.Typer(help="Import rosters and accounts from CSV files.", no_args_is_help=True)
app.add_typer(import_app, name="import")


def _import_file(path: Any, course: str | None, dry_run: bool) -> None:
    from pathlib import Path

    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from lms.main import load_modules

    load_modules()
    settings = get_settings()
    file = Path(path)
    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a file")
    size = file.stat().st_size
    if size > settings.import_max_mb * 1024 * 1024:
        raise typer.BadParameter(f"{file} is larger than {settings.import_max_mb} MB")

    async def run(sessionmaker: Any) -> None:
        from lms.modules import imports

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
        ) as progress:
            task = progress.add_task("dry run" if dry_run else "importing", total=size)
            summary = await imports.run_file(
                sessionmaker,
                settings,
                path=file,
                course_slug=course,
                dry_run=dry_run,
                progress=lambda read: progress.advance(task, read),
            )
        verb = "would be" if dry_run else "were"
        typer.echo(
            f"{summary.total} rows: {summary.created} {verb} created, {summary.updated} "
            f"updated, {summary.unchanged} unchanged, {summary.failed} refused"
        )
        for line, reason in summary.errors[:20]:
            typer.echo(f"  line {line}: {reason}")

    _run(run)


@import_app.command("roster")
def import_roster(
    file: Annotated[
        str, typer.Argument(help="The CSV file: email, full_name, role, cohort, external_id")
    ],
    course: Annotated[str, typer.Option(help="The course's slug")],
    dry_run: Annotated[bool, typer.Option(help="Show what would change; write nothing")] = False,
) -> None:
    """Enroll a roster into a course (new accounts are invited)."""
    _import_file(file, course, dry_run)


@import_app.command("users")
def import_users(
    file: Annotated[str, typer.Argument(help="The CSV file: email, full_name, role, external_id")],
    dry_run: Annotated[bool, typer.Option(help="Show what would change; write nothing")] = False,
) -> None:
    """Create or update accounts without a course (new accounts are invited)."""
    _import_file(file, None, dry_run)
