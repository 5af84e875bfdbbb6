"""The CPU the HTTP conventions add to one answer (``TransactionalRoute._conventions``:
entity tag, ``Location``, ``Link``, ``RateLimit``), on the real answers of the read
scenarios: each is fetched once in-process, then the conventions are applied to it in
a loop, minus building the same request and response without them. Needs what
``run.sh`` leaves behind, like ``inprocess.py``.

    python -m benchmarks.load.conventions --db lms_bench_load --out benchmarks/load/out
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import timeit
from pathlib import Path
from typing import Any

from benchmarks.load.cpu import api_environment
from benchmarks.load.inprocess import HERE, requests_of


async def measure(args: argparse.Namespace) -> None:
    from starlette.requests import Request
    from starlette.responses import Response

    from lms.core.config import Settings
    from lms.main import create_app

    settings = Settings()
    app = create_app(settings)
    for scenario in ("my_courses", "lesson_content"):
        target, token = requests_of(args.out, scenario, settings)[0]
        path, _, query = target.partition("?")
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80), "state": {},
            "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        }  # fmt: skip
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any], into: list[bytes] = chunks) -> None:
            if message["type"] == "http.response.body":
                into.append(message.get("body", b""))

        await app(scope, receive, send)
        body = b"".join(chunks)
        route = scope["route"]

        def with_conventions(
            route: Any = route, body: bytes = body, scope: dict[str, Any] = scope
        ) -> None:
            request = Request(dict(scope, state={}))
            route._conventions(request, Response(body, media_type="application/json"))

        def without(body: bytes = body, scope: dict[str, Any] = scope) -> None:
            Request(dict(scope, state={}))
            Response(body, media_type="application/json")

        def best(call: Any) -> float:
            return min(timeit.repeat(call, number=args.number, repeat=args.repeats)) / args.number

        added = (best(with_conventions) - best(without)) * 1e6
        print(f"{scenario:16} answer {len(body)} B: conventions {added:.1f} µs per answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--db", default="lms_bench_load")
    parser.add_argument("--redis-db", default="6")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    if not (args.out / "manifest.json").exists():
        raise SystemExit(f"no {args.out}/manifest.json: run benchmarks/load/run.sh once first")
    os.environ.update(api_environment(args.db, args.redis_db, secrets.token_urlsafe(48)))
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
