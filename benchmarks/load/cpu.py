"""CPU time per request, API against floor, one worker each: where the load benchmark's
throughput ratio comes from, measured in a way that other work on the machine barely
disturbs (the servers' own user + system time, not wall-clock throughput).

Needs what one run of ``run.sh`` leaves behind: the seeded database and the request files
in ``benchmarks/load/out``. The tokens in those files were signed by that run's server, so
they are signed again here with this script's own key (same users, same roles).

    python -m benchmarks.load.cpu                       # every read and write scenario
    python -m benchmarks.load.cpu lesson_content my_courses --seconds 8
    python -m benchmarks.load.cpu lesson_content --profile   # + py-spy speedscope files
    python -m benchmarks.load.cpu health me             # the API alone, for scale

The write scenarios replay the files run.sh used: the lessons are completed already, so
``lesson_complete`` measures the idempotent repeat, not the first completion.

For each scenario: 2 s of warm-up, then ``--seconds`` of wrk at ``--connections``, first
against the API, then against the floor; prints requests/s and milliseconds of server CPU
per request, and the floor's CPU per request over the API's (the ratio the throughput
would show if the machine did nothing else). Ends the servers it started.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
READS = ["my_courses", "lesson_content"]
WRITES = ["progress_update", "lesson_complete", "quiz"]
# API only, for scale: no work at all, and the sign-in plus one primary-key read.
REFERENCES = {"health": "/api/v1/health", "me": "/api/v1/users/me"}
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS  # utime + stime


def resign(source: Path, target: Path, secret: str) -> None:
    """Copy the request files with every token signed again by ``secret``."""
    from lms.core.config import Settings
    from lms.core.security import create_access_token

    settings = Settings(secret_key=secret, access_token_minutes=600)
    signed: dict[str, str] = {}
    target.mkdir(parents=True, exist_ok=True)
    for path in source.glob("*.tsv"):
        lines = []
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) > 2 and fields[2] != "-":
                old = fields[2]
                if old not in signed:
                    claims = jwt.decode(old, options={"verify_signature": False})
                    signed[old], _ = create_access_token(
                        settings, user_id=uuid.UUID(claims["sub"]), role=claims["role"]
                    )
                fields[2] = signed[old]
            lines.append("\t".join(fields))
        name = path.name.replace(".app.tsv", ".tsv") if ".app." in path.name else path.name
        (target / name).write_text("\n".join(lines) + "\n")
    tokens = sorted(set(signed.values()))
    for name, url in REFERENCES.items():
        lines = [f"GET\t{url}\t{token if name == 'me' else '-'}\t-" for token in tokens]
        (target / f"{name}.tsv").write_text("\n".join(lines) + "\n")


def api_environment(db: str, redis_db: str, secret: str) -> dict[str, str]:
    """The API's settings for a measurement on the seeded database: production mode, a
    fixed pool of 15 as in run.sh, rate limits out of the way."""
    return {
        "LMS_ENVIRONMENT": "production",
        "LMS_SECRET_KEY": secret,
        "LMS_LOG_LEVEL": "WARNING",
        "LMS_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}",
        "LMS_REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "LMS_CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "LMS_CELERY_QUEUE": os.environ.get("BENCH_QUEUE", "lms_bench_load"),
        "LMS_ENABLE_DOCS": "false",
        "LMS_EMAIL_BACKEND": "console",
        "LMS_AUTH_RATE_LIMIT_PER_MINUTE": "100000000",
        "LMS_ATTEMPT_RATE_LIMIT_PER_MINUTE": "100000000",
        "LMS_DATABASE_POOL_SIZE": "15",
        "LMS_DATABASE_MAX_OVERFLOW": "0",
    }


def wait_for(url: str) -> None:
    for _ in range(100):
        if subprocess.run(["curl", "-fs", "-o", "/dev/null", url]).returncode == 0:
            return
        time.sleep(0.3)
    raise SystemExit(f"server at {url} did not start")


def drive(port: int, scenario: str, files: Path, seconds: int, connections: int) -> int:
    """Runs wrk; returns the number of requests completed."""
    script = HERE / "lua" / ("quiz.lua" if scenario == "quiz" else "requests.lua")
    result = files / f"{scenario}.{port}.json"
    env = {**os.environ, "LUA_DIR": str(HERE / "lua"), "WRK_RESULT": str(result)}
    subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
         f"http://127.0.0.1:{port}", "--", str(files / f"{scenario}.tsv"), "2", "forward", "0"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    data = json.loads(result.read_text())
    errors = data["non2xx"] + data["timeouts"] + data["read_errors"] + data["connect_errors"]
    if errors:
        print(f"  ({errors} errors against port {port})")
    return int(data["requests"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=READS + WRITES)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--db", default="lms_bench_load")
    parser.add_argument("--redis-db", default="6")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--profile", action="store_true", help="py-spy speedscope per scenario")
    args = parser.parse_args()
    if not (args.out / "manifest.json").exists():
        raise SystemExit(f"no {args.out}/manifest.json: run benchmarks/load/run.sh once first")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    secret = secrets.token_urlsafe(48)
    files = args.out / "cpu"
    resign(args.out, files, secret)
    env = {
        **os.environ,
        **api_environment(args.db, args.redis_db, secret),
        "FLOOR_DSN": f"postgresql://postgres@127.0.0.1:5432/{args.db}",
        "FLOOR_POOL_SIZE": "15",  # the same fixed pool for both, as in run.sh
    }
    api_port, floor_port = free_port(), free_port()
    python = sys.executable
    servers = {
        "api": subprocess.Popen(
            [python, "-c", "from lms.cli import app; app()", "serve", "--host", "127.0.0.1",
             "--port", str(api_port), "--workers", "1"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
        "floor": subprocess.Popen(
            [python, "-m", "uvicorn", "benchmarks.load.floor:app", "--host", "127.0.0.1",
             "--port", str(floor_port), "--workers", "1", "--log-level", "warning",
             "--no-access-log"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    }  # fmt: skip
    ports = {"api": api_port, "floor": floor_port}
    try:
        wait_for(f"http://127.0.0.1:{api_port}/api/v1/health")
        wait_for(f"http://127.0.0.1:{floor_port}/api/v1/courses")
        print(f"one worker each, {args.connections} connections, {args.seconds} s per scenario")
        print(f"{'scenario':16} {'server':6} {'req/s':>7} {'CPU ms/req':>10}")
        for scenario in args.scenarios:
            cost = {}
            for name in ("api",) if scenario in REFERENCES else ("api", "floor"):
                pid, port = servers[name].pid, ports[name]
                drive(port, scenario, files, 2, args.connections)  # warm-up
                spy = None
                if args.profile and name == "api":
                    spy = subprocess.Popen(
                        ["py-spy", "record", "-p", str(pid), "-d", str(max(args.seconds - 1, 1)),
                         "-r", "200", "-f", "speedscope", "-o",
                         str(args.out / f"cpu.{scenario}.speedscope.json")],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                before, started = cpu_ms(pid), time.perf_counter()
                done = drive(port, scenario, files, args.seconds, args.connections)
                used, elapsed = cpu_ms(pid) - before, time.perf_counter() - started
                if spy is not None:
                    spy.wait()
                cost[name] = used / max(done, 1)
                print(f"{scenario:16} {name:6} {done / elapsed:7.0f} {cost[name]:10.3f}")
            if "floor" not in cost:
                continue
            ratio = cost["floor"] / cost["api"]
            print(f"{scenario:16} floor CPU / API CPU per request: {ratio:.2f}")
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
