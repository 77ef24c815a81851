"""A serving workload of requests of different lengths: `plan serve --lengths FILE`.

The file is a CSV with a header holding the columns `prompt_tokens` and `output_tokens` (others are ignored), one row
per request, in the order the requests are sent (all at once: a benchmark's dataset sent with no rate limit, as
`vllm bench serve --request-rate inf` does). Every count is a whole number >= 1.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from accelopt.errors import InputError
from accelopt.userio import path_kind

COLUMNS = ("prompt_tokens", "output_tokens")
FILE_FIX = ("give a CSV with a header line naming prompt_tokens and output_tokens, and one row per request of whole "
            "numbers >= 1, e.g. 'prompt_tokens,output_tokens' then '215,195'")


@dataclass(frozen=True)
class RequestLengths:
    """The prompt and output tokens of each request, in file order."""

    prompts: tuple[int, ...]
    outputs: tuple[int, ...]
    source: str = ""
    """The file read (its path as given), '' when built in code."""

    def __post_init__(self) -> None:
        if len(self.prompts) != len(self.outputs) or not self.prompts:
            raise InputError(f"request lengths: {len(self.prompts)} prompts and {len(self.outputs)} outputs",
                             "give one prompt and one output length per request, at least one request")
        if min(self.prompts) < 1 or min(self.outputs) < 1:
            raise InputError("request lengths: a prompt or output of fewer than 1 token", FILE_FIX)

    @property
    def requests(self) -> int:
        return len(self.prompts)

    @property
    def mean_prompt(self) -> float:
        return sum(self.prompts) / self.requests

    @property
    def mean_output(self) -> float:
        return sum(self.outputs) / self.requests


def _count(text: str, column: str, line: int, path: str) -> int:
    """A cell's whole number >= 1, or an InputError naming the file, line, column and value."""
    cell = text.strip()
    try:
        value = int(cell)
    except ValueError:
        raise InputError(f"--lengths {path}: line {line}, {column} {cell!r} is not a whole number",
                         f"write a whole number of tokens >= 1 there; {FILE_FIX}") from None
    if value < 1:
        raise InputError(f"--lengths {path}: line {line}, {column} {value} is not a positive number of tokens",
                         f"write a whole number of tokens >= 1 there (drop a request of no output); {FILE_FIX}")
    return value


def read_request_lengths(path: str | Path) -> RequestLengths:
    """The requests of a --lengths CSV; InputError naming the file and the fix for a missing file or column, a
    cell that is not a whole number >= 1, or a file of no requests."""
    name = str(path)
    p = Path(path)
    kind = path_kind(p, "--lengths file")
    if kind == "folder":  # was "no such file"
        raise InputError(f"--lengths {name} is a folder, not a CSV file", f"give the CSV file in it; {FILE_FIX}")
    if kind != "file":
        raise InputError(f"--lengths {name}: no such file", FILE_FIX)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"--lengths {name}: cannot be read as UTF-8 text ({e.__class__.__name__})", FILE_FIX) from e
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"--lengths {name}: no column {' or '.join(missing)} in its header line "
                         f"({', '.join(header) if header else 'empty'})", FILE_FIX)
    reader.fieldnames = header
    prompts: list[int] = []
    outputs: list[int] = []
    for row in reader:
        line = reader.line_num
        if all(not (v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        prompts.append(_count(row.get("prompt_tokens") or "", "prompt_tokens", line, name))
        outputs.append(_count(row.get("output_tokens") or "", "output_tokens", line, name))
    if not prompts:
        raise InputError(f"--lengths {name}: a header and no requests", FILE_FIX)
    return RequestLengths(tuple(prompts), tuple(outputs), name)
