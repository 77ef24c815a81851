"""`profile --nproc N --json` on a device with no spec (a CPU, no --probed / --catalog-device): the document had
prediction null and prediction_left_out '' while the console said why (utleftplan, 2026-12-05; utdist2's leftover).
The reason is now in the result, so the JSON, the page and the console say the same. The ranks are faked at the
launcher (launch_job), as tests/test_distributed_review.py does; no torchrun is started."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

WHY = "no catalog entry for this device; pass --probed SPEC.toml or --catalog-device NAME"


def _fake_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed import run as run_mod
    from accelopt.distributed.launch import RawRun

    def rank(r: int) -> dict[str, Any]:
        return {"rank": r, "world_size": 2, "host": "h", "step_times_s": [0.001] * 3, "losses": [2.3, 2.2, 2.1],
                "comm": {"comm_s": 0.0, "overlapped_s": 0.0, "compute_s": 0.001, "profiled_step_s": 0.001},
                "peak_memory_bytes": 1.0, "memory_source": "test", "threads": 1}

    monkeypatch.setattr(run_mod, "launch_job", lambda job, launch: RawRun(ranks=[rank(r) for r in range(
        launch.nproc)], out_dir=Path(".")))


def test_json_says_why_the_prediction_is_left_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _fake_launch(monkeypatch)
    page = tmp_path / "run.html"
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "3", "--json",
                               "--html", str(page)], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["prediction"] is None
    assert doc["prediction_left_out"] == WHY
    assert WHY in page.read_text()
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "3"], capsys)
    assert code == 0, err
    assert f"plan's prediction: left out ({WHY})" in " ".join(out.split())
