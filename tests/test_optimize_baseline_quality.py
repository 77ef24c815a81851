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


def _f16_file(tmp_path: Path, optimizer: str) -> Path:
    f = tmp_path / f"f16_{optimizer}.py"
    f.write_text(
        "import torch\nfrom torch import nn\nfrom accelopt.workload.userfile import ModelBundle\n"
        "def build():\n"
        "    torch.manual_seed(0)\n"
        "    g = torch.Generator().manual_seed(0)\n"
        "    d = [(torch.randn(8, 4, generator=g).half(), torch.randint(0, 3, (8,), generator=g)) for _ in range(2)]\n"
        "    h = [(torch.randn(8, 4, generator=g).half(), torch.randint(0, 3, (8,), generator=g))]\n"
        "    m = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).half()\n"
        f"    opt = {optimizer}\n"
        "    return ModelBundle(name='f16', model=m, batches=lambda: iter(d), make_optimizer=opt,\n"
        "                       loss_fn=lambda o, y: nn.functional.cross_entropy(o.float(), y), batch_size=8,\n"
        "                       eval_batches=lambda: iter(h), metric='accuracy')\n")
    return f


def test_float16_weights_an_optimizer_makes_nan_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A float16 model in --mode train (its inference outputs finite) stopped with 'the baseline itself gives
    non-finite outputs or loss ... fix the model or its data': one AdamW step (eps 1e-8, 0 in float16) had made its
    weights NaN. The message names the training steps and the float16 weights, and the fix the way out."""
    from conftest import run_main

    f = _f16_file(tmp_path, "lambda ps: torch.optim.AdamW(ps, lr=1e-3)")
    code, out, err = run_main(["optimize", f"{f}:build", "--mode", "train", "--only", "fused-optimizer",
                               "--rounds", "3", "--no-profile-bounds"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat, flat
    problem, fix = flat.split("fix:")
    assert "training loss became non-finite" in problem and "float16 weights" in problem, flat
    assert "--dtype fp16" in fix and "eps" in fix, flat
