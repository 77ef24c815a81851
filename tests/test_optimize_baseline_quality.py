"""The baseline's quality that cannot be a reference stops the run before any technique is measured, naming what
made it so (the model's outputs, its training loss, or the user's metric)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_a_metric_returning_nan_on_the_baseline_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A callable metric returning NaN on finite outputs stopped with 'the baseline itself gives non-finite outputs
    or loss', sending the user to their model and data: the metric is what returned it, so the message says so."""
    from conftest import run_main

    f = tmp_path / "nanmetric.py"
    f.write_text(
        "import torch\nfrom torch import nn\nfrom accelopt.workload.userfile import ModelBundle\n"
        "def build():\n"
        "    d = [(torch.ones(4, 3), torch.zeros(4, dtype=torch.long))]\n"
        "    return ModelBundle(name='nanm', model=nn.Linear(3, 2), batches=lambda: iter(d),\n"
        "                       loss_fn=nn.functional.cross_entropy, batch_size=4, eval_batches=lambda: iter(d),\n"
        "                       metric=lambda out, y: float('nan'), higher_is_better=True)\n")
    code, out, err = run_main(["optimize", f"{f}:build", "--only", "prune-unstructured", "--rounds", "3",
                               "--no-profile-bounds"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat
    assert "metric" in flat.split("fix:")[0] and "nan" in flat.split("fix:")[0], flat
    assert "the metric" in flat.split("fix:")[1], flat
