"""`plan` builds each layout row it shows once (utcode, 2026-12-05): _run_search formatted the best rows three times
(search notes, `best`, and again inside best + front for the links, energy and overhead notes) and the Pareto front's
rows three times; the notes and the table now read the same rows, built once, and the output is unchanged."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from conftest import run_main


def test_each_shown_row_is_built_once(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.cli import plan

    built: Counter[int] = Counter()
    real = plan._fmt_row

    def counted(c: Any, i: int, modules: tuple[str, ...]) -> Any:
        built[i] += 1
        return real(c, i, modules)

    monkeypatch.setattr(plan, "_fmt_row", counted)
    code, out, _ = run_main(["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--tokens",
                             "1e12", "--top", "3", "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and len(d["best"]) == 3 and d["pareto_front"]
    shown = len(d["best"]) + len(d["pareto_front"])
    assert sum(built.values()) == shown, built  # 3 x that before
