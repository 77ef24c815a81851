"""JSON output shared by every command's `--json`."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from pathlib import Path
from typing import Any


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, enums, paths, tuples and non-finite floats into plain JSON values; a command's typed
    result (accelopt.report.schema) into its versioned JSON document."""
    from accelopt.report import schema

    if schema.is_result(obj):
        return schema.dump(schema.kind_of(obj), obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), indent=2, sort_keys=False)


_EMITTED: list[bool] = []  # one entry per document printed to stdout in this process (emitted())


def emit(obj: Any) -> None:
    """Print one JSON document to stdout (nothing else may go to stdout under --json), flushed at once: stdout to a
    file is block-buffered, and a process that then hung on its way out (a Ctrl-C'd run's CUDA or compile-worker
    teardown) until a kill lost a document already printed (`timeout -s INT 120 accelopt optimize ... --json >
    out.json` on an H200, 2026-12-04, wrote nothing)."""
    print(dumps(obj), flush=True)
    _EMITTED.append(True)


def emitted() -> int:
    """How many --json documents this process printed: an error after a command's own document (a result printed,
    then exit 2) adds no second one (cli.commands' error document)."""
    return len(_EMITTED)
