"""An eval_batches() that yields nothing is refused before profile's pass (utopt3, 2026-12-05).

`optimize m.py:empty_eval` (eval_batches=lambda: iter([])) printed 'profiling the baseline ...' and 'measuring the
baseline ...' before 'eval_batches() ... yielded no held-out batch': the check of the first held-out batch, which
runs before anything is measured, let an empty set through to be named when the baseline was scored."""

from __future__ import annotations

from pathlib import Path

import pytest

MODEL = (
    "import torch\nfrom torch import nn\nfrom accelopt.workload.userfile import ModelBundle\n"
    "def build():\n"
    "    d = [(torch.ones(4, 3), torch.zeros(4, dtype=torch.long))]\n"
    "    return ModelBundle(name='empty', model=nn.Linear(3, 2), batches=lambda: iter(d),\n"
    "                       loss_fn=nn.functional.cross_entropy, batch_size=4, eval_batches=lambda: iter([]),\n"
    "                       metric='accuracy')\n")


def test_an_empty_held_out_set_stops_before_anything_is_measured(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_main

    f = tmp_path / "empty.py"
    f.write_text(MODEL)
    code, out, err = run_main(["optimize", f"{f}:build", "--only", "prune-unstructured", "--rounds", "3"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat, flat
    assert "eval_batches() of model 'empty' yielded no held-out batch" in flat, flat
    assert "profiling" not in flat and "measuring" not in flat, flat
