"""An open-loop load generator for exam day: students arrive on a schedule whatever the
server's latency (a slow server shows as latency, never as fewer students), and each one
starts the quiz, thinks, saves, thinks, saves, thinks and submits.

HTTP/1.1 over asyncio streams with keep-alive connections, written for a small CPU cost:
requests are bytes built once per student, responses are parsed just enough to read the
status and the body. A student takes a connection from a shared pool of at most
``connections`` for each request; the wait for one counts in the request's latency, from
the moment the step was due.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send one request; the status, the body and whether the connection stays open."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, keep = 0, True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lowered = name.lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"connection" and value.strip().lower() == b"close":
                keep = False
        body = await self.reader.readexactly(length) if length else b""
        return status, body, keep

    def close(self) -> None:
        self.writer.close()


# uvicorn closes a keep-alive connection idle for 5 s (``--timeout-keep-alive``); a
# browser does not reuse one that old, and neither does the pool.
IDLE_SECONDS = 4.0


class Pool:
    """At most ``size`` keep-alive connections to one server, opened when needed."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[Connection, float]] = []
        self.slots = asyncio.Semaphore(size)
        self.opened = 0

    def _reusable(self) -> Connection | None:
        now = time.monotonic()
        while self.idle:
            connection, since = self.idle.pop()
            if now - since < IDLE_SECONDS:
                return connection
            connection.close()
        return None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        async with self.slots:
            connection = self._reusable()
            if connection is None:
                reader, writer = await asyncio.open_connection(self.host, self.port, limit=2**20)
                connection = Connection(reader, writer)
                self.opened += 1
            try:
                status, body, keep = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
            if keep:
                self.idle.append((connection, time.monotonic()))
            else:
                connection.close()
            return status, body

    def close(self) -> None:
        for connection, _since in self.idle:
            connection.close()


def http_request(method: str, path: str, token: str, body: Any = None) -> bytes:
    payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: exam\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    lateness: list[float] = field(default_factory=list)  # how late a step was sent

    def record(self, step: str, status: int, seconds: float) -> None:
        self.latencies.setdefault(step, []).append(seconds)
        self.statuses.setdefault(step, Counter())[status] += 1

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())


@dataclass(frozen=True)
class Plan:
    """Who arrives when (seconds from the start), and what each student does."""

    arrivals: list[float]
    steps: tuple[str, ...]  # "start", then "save"/"submit" in order
    think_seconds: float
    # Students open the quiz's page at a random moment of this many seconds before the
    # arrival window (signed in and waiting, as on exam day); 0: they do not.
    lobby_seconds: float = 0.0


def uniform_arrivals(students: int, over_seconds: float, seed: int = 7) -> list[float]:
    """``students`` arrival times spread at random, uniformly, over the window."""
    rng = random.Random(seed)
    return sorted(rng.uniform(0, over_seconds) for _ in range(students))


async def run(
    plan: Plan,
    *,
    host: str,
    port: int,
    connections: int,
    quiz_id: str,
    tokens: list[str],
    answers: dict[str, str],
) -> tuple[Results, float, float]:
    """Drive the plan; the results, the wall time and the generator's own CPU seconds."""
    pool = Pool(host, port, connections)
    results = Results()
    loop = asyncio.get_running_loop()
    started_at = loop.time() + 0.5 + plan.lobby_seconds  # time to schedule everyone first
    lobby = random.Random(11)
    base = f"/api/v1/quizzes/{quiz_id}/attempts"

    async def step(name: str, due: float, request: bytes) -> tuple[int, bytes] | None:
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        results.lateness.append(max(0.0, loop.time() - due))
        try:
            status, body = await pool.exchange(request)
        except (OSError, asyncio.IncompleteReadError) as exc:
            results.failures[f"{name}: {type(exc).__name__}"] += 1
            return None
        results.record(name, status, loop.time() - due)
        return status, body

    async def student(arrival: float, token: str) -> None:
        if plan.lobby_seconds:
            due = started_at - lobby.uniform(0, plan.lobby_seconds)
            page = http_request("GET", f"/api/v1/quizzes/{quiz_id}", token)
            if await step("open", due, page) is None:
                return
        answered = await step("start", started_at + arrival, http_request("POST", base, token))
        if answered is None or answered[0] not in (200, 201):
            return
        sheet = json.loads(answered[1])
        attempt = sheet["id"]
        ids = [q["id"] for q in sheet["questions"]]
        saves = [name for name in plan.steps[1:] if name == "save"]
        chunk = max(1, len(ids) // (len(saves) + 1))
        at = loop.time()
        for index, name in enumerate(plan.steps[1:]):
            batch = ids[index * chunk : (index + 1) * chunk]
            if name == "submit":
                batch = ids[index * chunk :]
            body = {"answers": [{"question_id": q, "answer": answers[q]} for q in batch]}
            path = f"{base}/{attempt}/{'answers' if name == 'save' else 'submit'}"
            method = "PUT" if name == "save" else "POST"
            answered = await step(
                name, at + plan.think_seconds, http_request(method, path, token, body)
            )
            if answered is None or answered[0] != 200:
                return
            at = loop.time()

    cpu_before, wall_before = time.process_time(), time.perf_counter()
    await asyncio.gather(
        *(student(arrival, token) for arrival, token in zip(plan.arrivals, tokens, strict=False))
    )
    wall = time.perf_counter() - wall_before
    cpu = time.process_time() - cpu_before
    pool.close()
    return results, wall, cpu
