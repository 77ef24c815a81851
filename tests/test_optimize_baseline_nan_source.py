"""A baseline whose held-out quality is NaN names where the NaN sits: a held-out input, a target, or a weight
(utopt3, 2026-12-05). `optimize m.py:naneval` (one NaN in the first held-out batch's inputs) and `m.py:nanweights`
(one NaN in the first Linear's weight) both read only 'the baseline itself gives non-finite outputs or loss on ...'s
held-out batches; fix: fix the model or its data'."""

from __future__ import annotations

from pathlib import Path

import pytest

MODEL = (
    "import torch\nfrom torch import nn\nfrom accelopt.workload.userfile import ModelBundle\n"
    "def build(where='input'):\n"
    "    g = torch.Generator().manual_seed(0)\n"
    "    d = [(torch.randn(4, 3, generator=g), torch.randn(4, 2, generator=g)) for _ in range(2)]\n"
    "    h = [(torch.randn(4, 3, generator=g), torch.randn(4, 2, generator=g)) for _ in range(3)]\n"
    "    m = nn.Linear(3, 2)\n"
    "    if where == 'input':\n"
    "        h[1][0][2, 1] = float('nan')\n"
    "    elif where == 'target':\n"
    "        h[2][1][0, 0] = float('inf')\n"
    "    else:\n"
    "        with torch.no_grad():\n"
    "            m.weight[1, 2] = float('nan')\n"
    "    return ModelBundle(name='nanm', model=m, batches=lambda: iter(d), loss_fn=nn.functional.mse_loss,\n"
    "                       batch_size=4, eval_batches=lambda: iter(h), metric='loss')\n"
    "def input():\n    return build('input')\n"
    "def target():\n    return build('target')\n"
    "def weight():\n    return build('weight')\n")


@pytest.mark.parametrize("factory, problem, fix", [
    ("input", "held-out batch 2's input in0 holds 1 NaN/inf of its 12 values", "clean the held-out data"),
    ("target", "held-out batch 3's targets holds 1 NaN/inf of its 8 values", "clean the held-out data"),
    ("weight", "the model's weight holds 1 NaN/inf of its 6 values", "fix the model's weights"),
])
def test_the_nan_is_named_where_it_sits(tmp_path: Path, capsys: pytest.CaptureFixture[str], factory: str,
                                        problem: str, fix: str) -> None:
    from conftest import run_main

    f = tmp_path / "nanm.py"
    f.write_text(MODEL)
    code, out, err = run_main(["optimize", f"{f}:{factory}", "--only", "prune-unstructured", "--rounds", "3",
                               "--no-profile-bounds"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat, flat
    said, fixed = flat.split("fix:")
    assert problem in said, flat
    assert fix in fixed, flat
