"""The Babel extractor of the project's Python files (``babel.cfg``): gettext markers
(``_``, ``N_``, ``gettext``…) as Babel's own Python extractor finds them, plus the
problem texts (``lms.core.problem_codes.problem_messages``), which are written as plain
strings where errors are raised and translated when the problem is answered."""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python

from lms.core.problem_codes import problem_messages


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[tuple[Any, ...]]:
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)  # type: ignore[arg-type]
    for line, text in problem_messages(source.decode("utf-8")):
        yield line, "", text, ["problem detail"]
