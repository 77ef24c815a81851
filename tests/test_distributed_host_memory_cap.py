"""`profile --nproc` ranks ran without the host memory cap that the one-process profile has (distributed/ could
not import it from cli/): a rank whose batch outgrew the machine was left to the kernel's OOM killer ("killed by
signal 9"), possibly with other programs. The cap now lives in measure/memory.py and each rank takes its share
of the available memory: the allocation fails, and the run exits 2 naming --batch-size.

The model below asks, per batch, for an (untouched) buffer of the machine's whole RAM: Linux grants it lazily
(no page is touched, so nothing is used and nothing is killed), so without the cap the run finished; with it
the allocation is refused at once, as a batch that really filled the memory would be."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import run_main

MODEL = '''
import torch
from torch import nn

from accelopt.workload.userfile import ModelBundle


def _ram_bytes():
    for row in open("/proc/meminfo"):
        if row.startswith("MemTotal:"):
            return int(row.split()[1]) * 1024
    raise RuntimeError("no MemTotal")


class Greedy(nn.Module):
    def __init__(self, per_sample_bytes):
        super().__init__()
        self.lin = nn.Linear(32, 8)
        self.per_sample_bytes = per_sample_bytes

    def forward(self, x):
        big = x.new_empty(x.shape[0] * self.per_sample_bytes, dtype=torch.uint8)  # (B * per-sample,) bytes
        return self.lin(x) + big[:1].float()


def build(batch_size=8, seq_len=None):
    def batches():
        g = torch.Generator().manual_seed(0)
        for _ in range(4):
            yield torch.randn(batch_size, 32, generator=g), torch.randint(0, 8, (batch_size,), generator=g)
    # the machine's RAM less 1 MiB per batch of 8: above what is available, within what Linux grants lazily
    per_sample = (_ram_bytes() - 2**20) // 8
    return ModelBundle(name="greedy", model=Greedy(per_sample), batches=batches,
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the cap is Linux's RLIMIT_AS")
def test_a_rank_outgrowing_the_host_exits_2_naming_the_batch_size(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "greedy.py").write_text(MODEL)
    code, out, err = run_main(["profile", f"{tmp_path / 'greedy.py'}:build", "--nproc", "2", "--batch-size", "8",
                               "--steps", "3", "--warmup", "1", "--timeout-s", "120"], capsys)
    assert code == 2, out + err
    assert "Traceback" not in err and "does not fit in memory" in err, err
    assert "--batch-size" in err, err
