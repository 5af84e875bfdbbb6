"""Tokens, request files and a parity check for the load benchmark.

1. Logs in (once per student used) through the API and keeps the access tokens.
2. Writes one request file per scenario (and per target for the scenarios that change
   data, so each target completes lessons nobody completed before).
3. Checks that the floor answers like the API: the same bytes for the reads, the same
   JSON shape (keys and value types) for the writes.

Usage: python prepare.py --manifest M --out DIR --api URL --floor URL [--target NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"
PROGRESS_BODY = '{"time_spent_seconds":30,"last_position_seconds":120,"completion_percentage":50}'
CHUNK = 128  # enrollments advanced together in the lesson-complete files


async def login_all(base: str, emails: list[str], password: str) -> dict[str, str]:
    tokens: dict[str, str] = {}
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(email: str) -> None:
            async with limit:
                response = await client.post(
                    f"{API}/auth/login", json={"email": email, "password": password}
                )
            if response.status_code != 200:
                raise SystemExit(f"login of {email} failed: {response.status_code} {response.text}")
            tokens[email] = response.json()["access_token"]

        await asyncio.gather(*(one(email) for email in emails))
    return tokens


def line(
    method: str, path: str, token: str | None = None, body: str | None = None, extra: str = ""
) -> str:
    fields = [method, API + path, token or "-", body or "-"]
    if extra:
        fields.append(extra)
    return "\t".join(fields)


def write(out: Path, name: str, lines: list[str]) -> None:
    (out / f"{name}.tsv").write_text("\n".join(lines) + "\n")


def build_files(
    manifest: dict[str, Any], tokens: dict[str, str], out: Path, targets: list[str]
) -> None:
    rng = random.Random(7)
    lessons = manifest["lessons"]
    quizzes = manifest["quizzes"]
    pages = (len(manifest["courses"]) + 19) // 20
    write(
        out,
        "catalogue",
        [line("GET", f"/courses?page={p}&page_size=20") for p in range(1, pages + 1)],
    )
    detail = []
    for course_id in manifest["courses"]:
        detail.append(line("GET", f"/courses/{course_id}"))
        detail.append(line("GET", f"/courses/{course_id}/lessons?page=1&page_size=20"))
    write(out, "course_detail", detail)

    readers = manifest["readers"]
    write(
        out,
        "my_courses",
        [
            line("GET", "/enrollments/my-courses?page=1&page_size=20", tokens[r["email"]])
            for r in readers
        ],
    )
    content, progress = [], []
    for reader in readers:
        token = tokens[reader["email"]]
        for enrollment in reader["enrollments"]:
            for lesson_id in lessons[enrollment["course_id"]][1:]:  # not the free preview
                content.append(line("GET", f"/lessons/{lesson_id}", token))
                progress.append(
                    line(
                        "PUT",
                        f"/enrollments/{enrollment['enrollment_id']}/lessons/{lesson_id}/progress",
                        token,
                        PROGRESS_BODY,
                    )
                )
    rng.shuffle(content)
    rng.shuffle(progress)
    write(out, "lesson_content", content)
    write(out, "progress_update", progress)

    for target in targets:
        pairs = []
        for student in manifest["pools"][target]:
            for enrollment in student["enrollments"]:
                pairs.append((tokens[student["email"]], student["id"], enrollment))
        rng.shuffle(pairs)
        complete = []
        # Enrollments advance together in chunks: concurrent requests touch different
        # enrollments, and every 20th request of a chunk completes a course.
        for start in range(0, len(pairs), CHUNK):
            chunk = pairs[start : start + CHUNK]
            for position in range(len(lessons[manifest["courses"][0]])):
                for token, _student, enrollment in chunk:
                    lesson_id = lessons[enrollment["course_id"]][position]
                    complete.append(
                        line(
                            "POST",
                            f"/enrollments/{enrollment['enrollment_id']}/lessons/{lesson_id}/complete",
                            token,
                        )
                    )
        write(out, f"lesson_complete.{target}", complete)
        write(
            out,
            f"quiz.{target}",
            [
                line("POST", f"/quizzes/{quizzes[e['course_id']]}/attempts", token, extra=student)
                for token, student, e in pairs
            ],
        )
    password = manifest["password"]
    write(
        out,
        "login",
        [
            line("POST", "/auth/login", body=json.dumps({"email": email, "password": password}))
            for email in manifest["login_emails"]
        ],
    )


def shape(value: Any) -> Any:
    """Keys and value types, recursively (lists: the shape of their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def same_shape(left: Any, right: Any) -> bool:
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(same_shape(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return not left or not right or same_shape(left[0], right[0])
    return left is None or right is None or left == right


async def parity(manifest: dict[str, Any], tokens: dict[str, str], api: str, floor: str) -> None:
    """The floor must answer like the API, or its figures mean nothing."""
    reader = manifest["readers"][0]
    token = {"Authorization": f"Bearer {tokens[reader['email']]}"}
    enrollment = reader["enrollments"][0]
    course_id = enrollment["course_id"]
    lesson_id = manifest["lessons"][course_id][5]
    reads = [
        ("GET", "/courses?page=2&page_size=20", None),
        ("GET", f"/courses/{course_id}", None),
        ("GET", f"/courses/{course_id}/lessons?page=1&page_size=20", None),
        ("GET", "/enrollments/my-courses?page=1&page_size=20", token),
        ("GET", f"/lessons/{lesson_id}", token),
    ]
    failures = []
    async with httpx.AsyncClient(timeout=30) as client:
        for method, path, headers in reads:
            answers = [
                await client.request(method, base + API + path, headers=headers)
                for base in (api, floor)
            ]
            if (
                any(a.status_code != 200 for a in answers)
                or answers[0].content != answers[1].content
            ):
                failures.append(
                    f"{method} {path}: bodies differ "
                    f"({answers[0].status_code} {len(answers[0].content)} B vs "
                    f"{answers[1].status_code} {len(answers[1].content)} B)"
                )
        progress_path = (
            f"/enrollments/{enrollment['enrollment_id']}/lessons/"
            f"{manifest['lessons'][course_id][6]}"
        )
        quiz_path = f"/quizzes/{manifest['quizzes'][course_id]}/attempts"
        shapes = []
        for base in (api, floor):
            answers = {}
            answers["progress"] = await client.put(
                base + API + progress_path + "/progress",
                headers={**token, "Content-Type": "application/json"},
                content=PROGRESS_BODY,
            )
            answers["complete"] = await client.post(
                base + API + progress_path + "/complete", headers=token
            )
            sheet = await client.post(base + API + quiz_path, headers=token)
            answers["quiz start"] = sheet
            if sheet.status_code in (200, 201):
                body = sheet.json()
                submit = {
                    "answers": [
                        {"question_id": q["id"], "answer": (q["options"] or ["true"])[0]}
                        for q in body["questions"]
                    ]
                }
                answers["quiz submit"] = await client.post(
                    f"{base}{API}{quiz_path}/{body['id']}/submit", headers=token, json=submit
                )
            shapes.append(answers)
        for name, api_answer in shapes[0].items():
            floor_answer = shapes[1].get(name)
            if (
                floor_answer is None
                or api_answer.status_code // 100 != 2
                or floor_answer.status_code // 100 != 2
            ):
                failures.append(
                    f"{name}: status {api_answer.status_code} vs "
                    f"{floor_answer.status_code if floor_answer else 'none'}"
                )
            elif not same_shape(shape(api_answer.json()), shape(floor_answer.json())):
                failures.append(
                    f"{name}: JSON shapes differ\n  api:   "
                    f"{shape(api_answer.json())}\n  floor: {shape(floor_answer.json())}"
                )
    if failures:
        print("The floor does not answer like the API:\n- " + "\n- ".join(failures))
        sys.exit(1)
    print(
        "parity: the floor answers the reads with the same bytes and the writes with "
        "the same JSON shape"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--floor", required=True)
    parser.add_argument("--target", action="append", default=[])
    args = parser.parse_args()
    manifest = json.loads(Path(args.manifest).read_text())
    out = Path(args.out)
    emails = [r["email"] for r in manifest["readers"]]
    for target in args.target:
        emails += [s["email"] for s in manifest["pools"][target]]
    started = time.perf_counter()
    tokens = asyncio.run(login_all(args.api, emails, manifest["password"]))
    print(f"logged in {len(tokens)} students in {time.perf_counter() - started:.1f} s")
    build_files(manifest, tokens, out, args.target)
    asyncio.run(parity(manifest, tokens, args.api, args.floor))


if __name__ == "__main__":
    main()
