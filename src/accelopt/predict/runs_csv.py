"""The published-runs CSV format shared by `validate --inference` and `validate --serving`: one row per published
figure under a header, and `# key = citation` comment lines naming each source key."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from accelopt.errors import InputError
from accelopt.userio import read_user_text


def read_runs_csv(path: Path | str | None, bundled: str, what: str,
                  required: tuple[str, ...]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(rows, sources) of `path`, or of the bundled predict/data/`bundled` when None. `what` names the file in
    messages ('serving runs file'); a missing `required` column is an InputError naming it."""
    if path is None:
        text = (resources.files("accelopt.predict") / "data" / bundled).read_text("utf-8")
        where = f"the bundled {what}"
    else:
        text = read_user_text(path, what, "pass a CSV in the bundled format")
        where = f"{what} {path}"
    sources = {k: v for k, _, v in (ln[1:].strip().partition(" = ") for ln in text.splitlines()
                                    if ln.startswith("#") and " = " in ln) if " " not in k}
    rows = list(csv.DictReader([ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]))
    if not rows:
        raise InputError(f"{where} holds no runs", "add a header line and one row per published figure")
    missing = [c for c in required if c not in rows[0]]
    if missing:
        raise InputError(f"{where} lacks the column(s) {', '.join(missing)}",
                         f"use the header of predict/data/{bundled}")
    return rows, sources
