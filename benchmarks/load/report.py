"""Turn the wrk results of one benchmark run into a table (printed, and saved as
report.md beside the results)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCENARIOS = [
    ("catalogue", "read", "GET /courses?page=N (anonymous)"),
    ("course_detail", "read", "GET /courses/{id} + GET /courses/{id}/lessons (anonymous)"),
    ("my_courses", "read", "GET /enrollments/my-courses (student)"),
    ("lesson_content", "read", "GET /lessons/{id} (enrolled student)"),
    ("progress_update", "write", "PUT /enrollments/{id}/lessons/{id}/progress"),
    ("lesson_complete", "write", "POST /enrollments/{id}/lessons/{id}/complete"),
    ("quiz", "write", "POST /quizzes/{id}/attempts + POST .../{attempt}/submit"),
    ("login", "bcrypt", "POST /auth/login"),
]
TARGET = {"read": 0.5, "write": 0.4}
LABELS = {"app": "after", "baseline": "before"}


def load(results: Path, scenario: str, target: str) -> dict[str, float] | None:
    path = results / f"{scenario}.{target}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    seconds = data["duration_us"] / 1e6
    errors = (
        data["non2xx"]
        + data["connect_errors"]
        + data["read_errors"]
        + data["write_errors"]
        + data["timeouts"]
    )
    return {
        "rps": data["requests"] / seconds,
        "p50": data["p50_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "errors": errors,
        "requests": data["requests"],
    }


def merge(results: Path, scenario: str, target: str) -> None:
    """Add up the rounds of one scenario on one server: requests and errors summed,
    rates over the summed time, latency percentiles the worst round's (wrk does not
    keep the histograms)."""
    rounds = [
        json.loads(p.read_text()) for p in sorted(results.glob(f"{scenario}.{target}.*.json"))
    ]
    merged = {key: sum(r[key] for r in rounds) for key in rounds[0]}
    for key in ("p50_us", "p90_us", "p99_us", "max_us"):
        merged[key] = max(r[key] for r in rounds)
    (results / f"{scenario}.{target}.json").write_text(json.dumps(merged))
    found = load(results, scenario, target)
    assert found is not None
    per_round = ", ".join(f"{r['requests'] / (r['duration_us'] / 1e6):.0f}" for r in rounds)
    print(
        f"  {scenario:<16} {target:<9} {found['rps']:8.0f} req/s  p50 {found['p50']:7.1f} ms"
        f"  p99 {found['p99']:7.1f} ms  errors {found['errors']}  (rounds: {per_round} req/s)"
    )


def main() -> None:
    if sys.argv[1] == "--merge":
        merge(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    results = Path(sys.argv[1])
    lines = [
        "| scenario | build | req/s | p50 ms | p99 ms | errors | floor req/s | ratio | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    verdicts = []
    for scenario, kind, _what in SCENARIOS:
        floor = load(results, scenario, "floor")
        for target in ("baseline", "app"):
            found = load(results, scenario, target)
            if found is None:
                continue
            if floor is not None and kind in TARGET:
                ratio = found["rps"] / floor["rps"]
                ok = ratio >= TARGET[kind] and found["errors"] == 0
                goal = f"≥ {TARGET[kind]} {'met' if ok else 'NOT met'}"
                if target == "app":
                    verdicts.append(ok)
                ratio_text, floor_text = f"{ratio:.2f}", f"{floor['rps']:.0f}"
            else:
                ratio_text, floor_text, goal = "-", "-", "reported only"
            lines.append(
                f"| {scenario} | {LABELS[target]} | {found['rps']:.0f} | {found['p50']:.1f} | "
                f"{found['p99']:.1f} | {found['errors']} | {floor_text} | {ratio_text} | {goal} |"
            )
        if floor is not None:
            lines.append(
                f"| {scenario} | floor | {floor['rps']:.0f} | {floor['p50']:.1f} | "
                f"{floor['p99']:.1f} | {floor['errors']} | | | |"
            )
    memory = results / "rss.json"
    if memory.exists():
        lines.append("")
        lines.append("Peak RSS per worker (VmHWM, MiB):")
        for server, values in json.loads(memory.read_text()).items():
            shown = ", ".join(f"{v / 1024:.0f}" for v in values)
            lines.append(f"- {LABELS.get(server, server)}: {shown}")
    text = "\n".join(lines)
    print(text)
    (results / "report.md").write_text(text + "\n")
    if verdicts:
        print(f"\n{sum(verdicts)}/{len(verdicts)} scenarios at or above their target")


if __name__ == "__main__":
    main()
