"""CPU time per request of the read scenarios, and of quiz taking (start an attempt,
then submit it: both requests counted), with the application called in-process:
no uvicorn, no sockets to the client, no other server competing for the cores. The
application still talks to the seeded PostgreSQL and Redis. For comparing two builds of
the API on a step that moves its cost by a few percent, which the wrk runs cannot
resolve on a shared 2-core machine.

Needs what one run of ``run.sh`` leaves behind (the seeded database and the request
files in ``benchmarks/load/out``); the tokens are signed again with this script's key.

    python -m benchmarks.load.inprocess                        # my_courses lesson_content
    python -m benchmarks.load.inprocess my_courses --repeats 9
    PYTHONPATH=<other checkout>/src python -m benchmarks.load.inprocess   # another build

Sixteen concurrent callers, ``--requests`` per repeat after a warm-up; prints the
process CPU milliseconds per request of each repeat's best and the median.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from benchmarks.load.cpu import api_environment

HERE = Path(__file__).resolve().parent
READS = ["my_courses", "lesson_content", "me"]
SCENARIOS = [*READS, "quiz"]
CALLERS = 16


def requests_of(files: Path, scenario: str, settings: Any) -> list[tuple[str, str]]:
    """(path with query, re-signed token) for each GET line of the scenario's file."""
    from lms.core.security import create_access_token

    name = {"me": "my_courses", "quiz": "quiz.app"}.get(scenario, scenario)
    signed: dict[str, str] = {}
    requests = []
    for line in (files / f"{name}.tsv").read_text().splitlines()[:2000]:
        _method, path, token = line.split("\t")[:3]
        if token not in signed:
            claims = jwt.decode(token, options={"verify_signature": False})
            signed[token], _ = create_access_token(
                settings, user_id=uuid.UUID(claims["sub"]), role=claims["role"]
            )
        requests.append(("/api/v1/users/me" if scenario == "me" else path, signed[token]))
    return requests


async def measure(scenario: str, args: argparse.Namespace) -> None:
    from lms.core.config import Settings
    from lms.main import create_app

    settings = Settings()
    if args.without_conventions:
        # The same build without the headers HTTP's conventions add to each answer
        # (ETag, Location, Link, RateLimit): what they cost, measured in one build.
        from lms.core.routing import TransactionalRoute

        TransactionalRoute._conventions = lambda _self, _request, response: response  # type: ignore[method-assign]
    requests = itertools.cycle(requests_of(args.out, scenario, settings))
    app = create_app(settings)
    statuses: dict[int, int] = {}

    async def call(target: str, token: str, method: str = "GET", body: bytes = b"") -> bytes:
        path, _, query = target.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80), "state": {},
            "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode()),
                        (b"content-type", b"application/json")],
        }  # fmt: skip
        answer: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1
            elif message["type"] == "http.response.body":
                answer.append(message.get("body", b""))

        await app(scope, receive, send)
        return b"".join(answer)

    async def take_quiz(target: str, token: str) -> None:
        """Start (or resume) an attempt and submit it, answering every question as the
        wrk script does: two requests."""
        sheet = json.loads(await call(target, token, "POST"))
        answers = [
            {
                "question_id": question["id"],
                "answer": question["options"][0]
                if question["question_type"] == "multiple_choice"
                else "true",
            }
            for question in sheet.get("questions", [])
        ]
        submit = json.dumps({"answers": answers}).encode()
        await call(f"{target}/{sheet['id']}/submit", token, "POST", submit)

    async def run(count: int) -> None:
        async def caller() -> None:
            if scenario == "quiz":
                for _ in range(count // CALLERS // 2):
                    await take_quiz(*next(requests))
                return
            for _ in range(count // CALLERS):
                await call(*next(requests))

        await asyncio.gather(*(caller() for _ in range(CALLERS)))

    lifespan: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    lifespan_scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(lifespan_scope, lifespan.get, lifespan_send))
    await lifespan.put({"type": "lifespan.startup"})
    await started.wait()
    await run(args.requests // 4)  # warm-up
    costs = []
    for _ in range(args.repeats):
        before = time.process_time()
        await run(args.requests)
        costs.append((time.process_time() - before) * 1000 / args.requests)
    await lifespan.put({"type": "lifespan.shutdown"})
    await task
    print(
        f"{scenario:16} CPU ms/request: best {min(costs):.3f}  median "
        f"{statistics.median(costs):.3f}  ({args.repeats} x {args.requests}; "
        f"statuses {statuses})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=READS[:2], choices=SCENARIOS)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--without-conventions",
        action="store_true",
        help="leave out the ETag, Location, Link and RateLimit headers (lms.core.routing)",
    )
    parser.add_argument("--requests", type=int, default=3200)
    parser.add_argument("--db", default="lms_bench_load")
    parser.add_argument("--redis-db", default="6")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    if not (args.out / "manifest.json").exists():
        raise SystemExit(f"no {args.out}/manifest.json: run benchmarks/load/run.sh once first")
    os.environ.update(api_environment(args.db, args.redis_db, secrets.token_urlsafe(48)))
    for scenario in args.scenarios:
        asyncio.run(measure(scenario, args))


if __name__ == "__main__":
    main()
