"""CPU time per quiz-taking request with the application called in-process: no uvicorn,
no sockets to the client, nothing else competing for the process. The application still
talks to PostgreSQL and Redis. For comparing two builds of the quiz path by a few
percent, which a wall-clock run on a shared 2-core machine cannot resolve.

    python -m benchmarks.exam.inprocess                    # 1,200 students, 16 at a time
    python -m benchmarks.exam.inprocess --profile out.prof # + cProfile of the measured part
    PYTHONPATH=<other checkout>/src python -m benchmarks.exam.inprocess   # another build
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/exam.cg \
        .venv/bin/python -m benchmarks.exam.inprocess --instructions /tmp/exam.cg \
        --students 500 --group 300          # instructions, not time: for a busy machine

Seeds its own database (``--db``, dropped and recreated) with ``benchmarks.exam.seed``;
each student starts the quiz, saves twice and submits. A warm-up (200 students) runs
first. Prints the process CPU milliseconds per request of each step, and overall.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import glob
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from benchmarks.exam.run import ROOT, environment, prepare_database, tokens_for

CALLERS = 16


class Client:
    """Calls an ASGI application directly, as uvicorn would, one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, bytes]:
        payload = b"" if body is None else orjson.dumps(body)
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80), "state": {},
            "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode()),
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode())],
        }  # fmt: skip
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


class Instructions:
    """Instructions this process executes between ``start`` and ``stop``, counted by
    valgrind's callgrind (the process must run under it, with ``--instr-atstart=no`` and
    ``--callgrind-out-file=<out>``): a count that other work on the machine does not
    move, unlike CPU time on a shared machine."""

    def __init__(self, out: str) -> None:
        self.out = out

    def _control(self, *arguments: str) -> None:
        subprocess.run(["callgrind_control", *arguments, str(os.getpid())], check=True,
                       capture_output=True)  # fmt: skip

    def start(self) -> None:
        self._control("--zero")
        self._control("--instr=on")

    def stop(self) -> float:
        self._control("--instr=off")
        before = set(glob.glob(f"{self.out}.*"))
        self._control("--dump")
        for _ in range(100):
            new = set(glob.glob(f"{self.out}.*")) - before
            if new:
                text = Path(new.pop()).read_text()
                return float(text.split("\ntotals:")[1].split()[0])
            time.sleep(0.1)
        raise SystemExit("callgrind wrote no dump: run under valgrind --tool=callgrind")


def steps_of(quiz_id: str, answers: dict[str, str]) -> list[tuple[str, Any]]:
    """The four steps of a student, each a function of (token, state) -> request."""
    base = f"/api/v1/quizzes/{quiz_id}/attempts"

    def answered(ids: list[str]) -> dict[str, Any]:
        return {"answers": [{"question_id": q, "answer": answers[q]} for q in ids]}

    def third(state: dict[str, Any], part: int) -> list[str]:
        ids = state["ids"]
        size = len(ids) // 3
        return ids[part * size : (part + 1) * size] if part < 2 else ids[2 * size :]

    def write(method: str, action: str, part: int) -> Any:
        return lambda state: (
            method,
            f"{base}/{state['id']}/{action}",
            answered(third(state, part)),
        )

    return [
        ("start", lambda state: ("POST", base, None)),
        ("save", write("PUT", "answers", 0)),
        ("save", write("PUT", "answers", 1)),
        ("submit", write("POST", "submit", 2)),
    ]


async def measure(args: argparse.Namespace, manifest: dict[str, Any], tokens: list[str]) -> None:
    from lms.core.config import Settings
    from lms.main import create_app

    app = create_app(Settings(), tune_gc=True)  # as `lms serve` runs it
    client = Client(app)
    lifespan: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, lifespan.get,
            lifespan_send)
    )  # fmt: skip
    await lifespan.put({"type": "lifespan.startup"})
    await started.wait()

    steps = steps_of(manifest["quiz_id"], manifest["answers"])

    async def phase(step: Any, group: list[tuple[str, dict[str, Any]]]) -> dict[int, int]:
        """One step for every student of the group, ``CALLERS`` at a time."""
        queue = list(group)
        statuses: dict[int, int] = {}

        async def caller() -> None:
            while queue:
                token, state = queue.pop()
                method, path, body = step(state)
                status, payload = await client.call(method, path, token, body)
                statuses[status] = statuses.get(status, 0) + 1
                if "id" not in state and status in (200, 201):
                    sheet = orjson.loads(payload)
                    state.update(id=sheet["id"], ids=[q["id"] for q in sheet["questions"]])

        await asyncio.gather(*(caller() for _ in range(CALLERS)))
        return statuses

    warm: list[tuple[str, dict[str, Any]]] = [(token, {}) for token in tokens[:200]]
    for _name, step in steps:
        await phase(step, warm)
    measured: list[tuple[str, dict[str, Any]]] = [(token, {}) for token in tokens[200:]]
    groups = [measured[i : i + args.group] for i in range(0, len(measured), args.group)]
    costs: list[list[float]] = [[] for _ in steps]
    statuses: list[dict[int, int]] = [{} for _ in steps]
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    for group in groups:
        for index, (_name, step) in enumerate(steps):
            counter = Instructions(args.instructions) if args.instructions else None
            before = time.process_time()
            if counter:
                counter.start()
            for status, count in (await phase(step, group)).items():
                statuses[index][status] = statuses[index].get(status, 0) + count
            if counter:
                costs[index].append(counter.stop() / len(group) / 1e6)
            else:
                costs[index].append((time.process_time() - before) * 1000 / len(group))
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    await lifespan.put({"type": "lifespan.shutdown"})
    await task
    unit = "million instructions" if args.instructions else "CPU ms"
    print(f"{len(measured)} students in {len(groups)} groups, {CALLERS} at a time; "
          f"{unit} per request of each step: best group, median group")  # fmt: skip
    best = []
    for (name, _step), values, counted in zip(steps, costs, statuses, strict=True):
        best.append(min(values))
        print(f"  {name:7} best {min(values):.3f}  median {statistics.median(values):.3f}  "
              f"statuses {counted}")  # fmt: skip
    print(f"  mean of the four steps: best {sum(best) / len(best):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2_600)
    parser.add_argument("--group", type=int, default=300, help="students per measured group")
    parser.add_argument("--db", default="lms_bench_exam_inprocess")
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--profile", help="write a cProfile of the measured wave here")
    parser.add_argument(
        "--instructions",
        metavar="CALLGRIND_OUT",
        help="count instructions instead of CPU time, under valgrind --tool=callgrind "
        "--instr-atstart=no --callgrind-out-file=CALLGRIND_OUT",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    env = environment(args.db, args.redis_db, secret)
    src = Path(os.environ.get("PYTHONPATH", str(ROOT / "src")).split(":")[0])
    manifest_path = args.out / "inprocess.manifest.json"
    prepare_database(sys.executable, src, args.db, args.redis_db, env, args.students, manifest_path)
    manifest = json.loads(manifest_path.read_text())
    os.environ.update(env)
    tokens = tokens_for(manifest["students"], secret)
    import uvloop

    uvloop.run(measure(args, manifest, tokens))


if __name__ == "__main__":
    main()
