"""Run history: every results command writes one JSON file per run.

Location: $ACCELOPT_HOME (default ~/.accelopt) /history/<UTC timestamp>-<command>.json, holding
{id, command, argv, time, versions, host, result}; `result` is exactly what the command emits
with --json. ACCELOPT_NO_HISTORY=1 turns recording off. Failing to write warns on stderr and
never loses the result (it was printed already, or is printed next).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from accelopt.errors import InputError, unknown_name
from accelopt.paths import accelopt_home

SCHEMA = 1
_NO = ("", "0", "false", "no")


def history_dir() -> Path:
    return accelopt_home() / "history"


def enabled() -> bool:
    return os.environ.get("ACCELOPT_NO_HISTORY", "").strip().lower() in _NO


def versions() -> dict[str, str | None]:
    """accelopt, Python and torch versions; torch's from the loaded module, else from package metadata
    (so recording a run never imports torch)."""
    from importlib import metadata

    import accelopt

    torch_mod = sys.modules.get("torch")
    torch_v: str | None = getattr(torch_mod, "__version__", None) if torch_mod is not None else None
    if not torch_v:
        try:
            torch_v = metadata.version("torch")
        except metadata.PackageNotFoundError:
            torch_v = None
    return {"accelopt": accelopt.__version__, "python": platform.python_version(),
            "torch": str(torch_v) if torch_v else None}


def host() -> dict[str, str]:
    return {"name": platform.node(), "platform": platform.platform(), "machine": platform.machine()}


def _new_id(command: str, now: _dt.datetime, folder: Path) -> str:
    """'20261126T220034.123Z-plan-serve'; sorts by time; a suffix keeps two runs in one millisecond apart."""
    stamp = now.strftime("%Y%m%dT%H%M%S") + f".{now.microsecond // 1000:03d}Z"
    base = f"{stamp}-{command.replace(' ', '-')}"
    run_id, n = base, 2
    while (folder / f"{run_id}.json").exists():
        run_id, n = f"{base}-{n}", n + 1
    return run_id


def make_record(command: str, argv: list[str], result: Any, run_id: str, now: _dt.datetime) -> dict[str, Any]:
    from accelopt.report.jsonout import to_jsonable

    return {"schema": SCHEMA, "id": run_id, "command": command, "argv": list(argv),
            "time": now.isoformat(timespec="seconds"), "versions": versions(), "host": host(),
            "result": to_jsonable(result)}


def record(command: str, argv: list[str], result: Any) -> Path | None:
    """Write one run; returns its path, or None when disabled or the write failed (warned on stderr)."""
    if not enabled():
        return None
    folder = history_dir()
    now = _dt.datetime.now(_dt.timezone.utc)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        run_id = _new_id(command, now, folder)
        path = folder / f"{run_id}.json"
        text = json.dumps(make_record(command, argv, result, run_id, now), indent=1)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)  # a reader never sees half a file
    except (OSError, TypeError, ValueError) as e:
        print(f"warning: run not saved to history ({folder}): {e}; set ACCELOPT_HOME to a writable folder "
              "or ACCELOPT_NO_HISTORY=1", file=sys.stderr)
        return None
    return path


def run_ids() -> list[str]:
    """All recorded run ids, oldest first (ids start with the UTC time)."""
    folder = history_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json"))


def load(run_id: str) -> dict[str, Any]:
    """A recorded run by id, unique id prefix, or 'latest'; unknown -> error naming the closest ids."""
    ids = run_ids()
    if not ids:
        raise InputError(f"no runs recorded in {history_dir()}",
                         "run a command such as `accelopt plan ...` first (and leave ACCELOPT_NO_HISTORY unset)")
    if run_id == "latest":
        run_id = ids[-1]
    matches = [i for i in ids if i == run_id] or [i for i in ids if i.startswith(run_id)]
    if len(matches) > 1:
        raise InputError(f"run id {run_id!r} matches {len(matches)} runs",
                         "give more of the id: " + ", ".join(matches[-5:]))
    if not matches:
        raise unknown_name("run id", run_id, ids)
    path = history_dir() / f"{matches[0]}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"history file {path} cannot be read: {e}", "delete it or restore it from a backup") from e
    if not isinstance(data, dict) or "result" not in data or "command" not in data:
        raise InputError(f"history file {path} is not an accelopt run record", "delete it")
    return data


def list_runs(limit: int | None = None) -> list[dict[str, Any]]:
    """The newest `limit` runs (all when None), newest first; unreadable files are skipped with a warning."""
    ids = run_ids()
    chosen = ids[::-1] if limit is None else ids[::-1][:limit]
    out = []
    for i in chosen:
        try:
            out.append(load(i))
        except InputError as e:
            print(f"warning: skipped {i}: {e.problem}", file=sys.stderr)
    return out
