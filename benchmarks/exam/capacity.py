"""What an exam of N students needs, from a measured run of ``benchmarks.exam.run``.

    python -m benchmarks.exam.capacity benchmarks/exam/out/current.takers.json

The exam's shape is the benchmark's: every student arrives within the same minute and
starts, saves twice and submits (four requests); the peak request rate is then
``4 * N / 60`` per second, held for about a minute. The measured CPU milliseconds per
request of the API workers, PostgreSQL and Redis turn that rate into cores, each kept
at ``--utilisation`` of a core (headroom for bursts inside the minute). Redis runs
commands on one thread: past one core of work it must be split (the denylist and the
rate limits on one instance, the response cache on another) or clustered.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

STUDENTS = (10_000, 100_000, 1_000_000)
REQUESTS_PER_STUDENT = 4


def plan(report: dict[str, float], students: int, utilisation: float) -> dict[str, float]:
    rate = REQUESTS_PER_STUDENT * students / 60
    cores = {
        part: rate * report[f"{part}_cpu_ms_per_request"] / 1000 / utilisation
        for part in ("api", "postgres", "redis")
    }
    return {"rate": rate, **cores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="a <build>.takers.json of benchmarks.exam.run")
    parser.add_argument("--utilisation", type=float, default=0.6)
    args = parser.parse_args()
    report = json.loads(args.report.read_text())
    measured = ", ".join(
        f"{name} {report[f'{part}_cpu_ms_per_request']}"
        for name, part in (("API", "api"), ("PostgreSQL", "postgres"), ("Redis", "redis"))
    )
    print(f"From {args.report} (CPU ms per request: {measured}); "
          f"cores at {args.utilisation:.0%} busy.\n")  # fmt: skip
    print("| students in one minute | peak requests/s | API cores | API hosts (8 cores) "
          "| PostgreSQL cores | Redis cores |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|")
    for students in STUDENTS:
        need = plan(report, students, args.utilisation)
        hosts = math.ceil(need["api"] / 8)
        print(f"| {students:,} | {need['rate']:,.0f} | {need['api']:.1f} | {hosts} | "
              f"{need['postgres']:.1f} | {need['redis']:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
