"""A CPU profile whose activations outgrow the host was killed by the kernel's OOM killer without a word (exit 137:
`profile bert --batch-size 1000000` on a 23.5 GiB machine): the gradient/optimizer guard runs before the step, but
activations only show while it runs. The run's address space is now capped at its size plus the host's available
memory, so the allocation fails and the run exits 2 naming the options that sized it."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.measure import memory
from accelopt.measure.memory import HostHeadroom, host_memory_capped

SMALL = HostHeadroom(available_bytes=256 * 2**20, source="test", swap_on=False)

MODEL = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Wide(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 4)

    def forward(self, x):
        big = x.new_empty(x.shape[0], 2**28)  # (B, 2**28) fp32: 1 GiB a sample, far past the headroom
        return self.lin(x) + big[:, :4]


def build(batch_size: int = 2):
    def batches():
        for _ in range(2):
            yield torch.randn(batch_size, 8), torch.randint(0, 4, (batch_size,))
    return ModelBundle(name="wide", model=Wide(), batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=batch_size)
'''


def test_an_allocation_past_the_headroom_fails_inside_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(memory, "host_headroom", lambda: SMALL)
    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(RuntimeError, match="allocate"), host_memory_capped("cpu"):
        torch.empty(2**30, dtype=torch.uint8).fill_(1)
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # restored
    with host_memory_capped("cuda:0"):  # never on a GPU run: CUDA reserves address space far beyond memory
        assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_profile_names_the_batch_instead_of_being_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "wide.py").write_text(MODEL)
    monkeypatch.setattr(memory, "host_headroom", lambda: SMALL)
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    code, _, err = run_main(["profile", f"{tmp_path / 'wide.py'}:build", "--batch-size", "2", "--steps", "3",
                               "--warmup", "0", "--mode", "inference"], capsys)
    assert code == 2, err
    assert "--batch-size 2 does not fit in the memory of cpu" in err and "fix: use a smaller --batch-size" in err
