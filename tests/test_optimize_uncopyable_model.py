"""A model that copy.deepcopy refuses (an attribute holding a lock or an open file) in `optimize` (utopt5, 2026-12-05).

`profile` runs such a model as it is; optimize copies it for the baseline and for each technique, and read "model
'locked' raised TypeError when copied (copy.deepcopy) for the baseline: cannot pickle '_thread.lock' object" with the
fix "check that model(*inputs), loss_fn(output, targets) ... run ... (shapes, dtypes, devices)", which sends the user
to their shapes. Now the error names the attribute and says why optimize copies, and the fix how to make it copyable;
refused before anything is measured.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from accelopt.errors import InputError
from accelopt.workload.userfile import ModelBundle


class _Holds(nn.Module):
    def __init__(self, held: Any) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.fc.held = held  # on a submodule: the error names its path

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


def _bundle(held: Any) -> ModelBundle:
    def batches() -> Any:
        g = torch.Generator().manual_seed(0)
        for _ in range(2):
            yield torch.randn(8, 4, generator=g), torch.randint(0, 3, (8,), generator=g)

    return ModelBundle(name="holds", model=_Holds(held), batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=8)


@pytest.mark.parametrize("kind", ["lock", "file"])
def test_an_uncopyable_attribute_is_named_with_the_fix(kind: str, tmp_path: Path) -> None:
    from accelopt.optimize.runner import RunOptions, run_optimize

    with (tmp_path / "log.txt").open("w") as f:
        held, type_name = (threading.Lock(), "_thread.lock") if kind == "lock" else (f, "_io.TextIOWrapper")
        with pytest.raises(InputError) as e:
            run_optimize(_bundle(held), RunOptions(only=["bf16"], profile_bounds=False, rounds=3))
    assert f"model 'holds' cannot be copied with copy.deepcopy (attribute 'held' of module fc, a {type_name})" \
        in e.value.problem
    assert "its own copy of the model" in e.value.problem
    assert e.value.fix.startswith("make the model deep-copyable") and "shapes" not in e.value.fix


def test_the_cli_says_it_before_measuring(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_main

    src = tmp_path / "locked.py"
    src.write_text("import threading\nimport torch\nfrom torch import nn\n"
                   "from accelopt.workload.userfile import ModelBundle\n\n"
                   "def build():\n"
                   "    m = nn.Linear(4, 3)\n"
                   "    m.lock = threading.Lock()\n"
                   "    def batches():\n"
                   "        yield torch.randn(8, 4), torch.randint(0, 3, (8,))\n"
                   "    return ModelBundle(name='locked', model=m, batches=batches,\n"
                   "                       loss_fn=nn.functional.cross_entropy, batch_size=8)\n")
    code, out, err = run_main(["optimize", f"{src}:build", "--only", "bf16", "--no-profile-bounds"], capsys)
    assert code == 2 and out == "", err
    assert "(attribute 'lock' of the model, a _thread.lock)" in err and "fix: make the model deep-copyable" in err
    assert "measuring the baseline" not in err
