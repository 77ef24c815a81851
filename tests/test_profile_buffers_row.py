"""`profile`'s memory table names the model's registered buffers (ut3misc, 2026-12-06; ut3prof's trial noted it):
'parameters' is model.parameters() only, so a BatchNorm's running statistics, a causal mask or a rotary cache held
with register_buffer were in the peak and in no row. A model with a 4 MiB mask (1024 x 1024 fp32) beside a
Linear(16, 4) read 'parameters 272 B' and nothing else for the 4 MiB. Now a 'buffers' row (console, JSON
memory.buffers_bytes, HTML) gives their bytes, each storage once."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.units import fmt_bytes

_BUFFERED = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)
        self.register_buffer("mask", torch.ones(1024, 1024))  # 4 MiB, fp32
        self.register_buffer("same_storage", self.mask[:8])  # a view of it: not counted again
        self.register_buffer("scale", torch.ones(4, dtype=torch.float64))  # 32 B

    def forward(self, x):
        return self.fc(x) * self.mask[0, :4] * self.scale.float()


def build() -> ModelBundle:
    def batches():
        g = torch.Generator().manual_seed(0)
        for _ in range(4):
            yield torch.randn(8, 16, generator=g), torch.randint(0, 4, (8,), generator=g)
    return ModelBundle(name="buffered", model=Net(), batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=8, make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1))
'''
BUFFER_BYTES = 1024 * 1024 * 4 + 4 * 8  # the mask once (its view shares the storage), the fp64 scale
PARAM_BYTES = (16 * 4 + 4) * 4


def test_the_memory_table_has_a_buffers_row(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: no buffers row anywhere, no memory.buffers_bytes in the JSON."""
    monkeypatch.setenv("COLUMNS", "250")
    model = tmp_path / "buffered.py"
    model.write_text(_BUFFERED)
    page = tmp_path / "p.html"
    code, out, err = run_main(["profile", f"{model}:build", "--steps", "3", "--html", str(page)], capsys)
    assert code == 0, err
    said = [line for line in out.splitlines() if "│" in line and line.split("│")[1].strip() == "buffers"]
    shown = fmt_bytes(BUFFER_BYTES, binary=True)
    assert shown.startswith("4") and shown.endswith(" MiB"), shown
    assert len(said) == 1 and said[0].split("│")[2].strip() == shown, said
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
    assert re.search(rf"\bbuffers\s+{re.escape(shown)}\s", text), text
    code, out, err = run_main(["profile", f"{model}:build", "--steps", "3", "--json"], capsys)
    assert code == 0, err
    memory = json.loads(out)["memory"]
    assert memory["buffers_bytes"] == BUFFER_BYTES
    assert memory["parameters_bytes"] == PARAM_BYTES
    assert "model.buffers()" in memory["methods"]["buffers"]


def test_a_record_from_before_shows_no_buffers_row() -> None:
    """A profile record of version 5 has no buffers figure: its table says nothing rather than '0 B'."""
    from accelopt.measure.memory import MemoryBreakdown
    from accelopt.report.profile_view import memory_rows

    class _R:
        mode = "train"
        memory = MemoryBreakdown(peak_bytes=1e6, baseline_bytes=1e5, parameters_bytes=10.0, gradients_bytes=10.0,
                                 optimizer_state_bytes=20.0, activations_bytes=5.0, peak_kind="cuda-allocator",
                                 methods={"parameters": "x"})

    assert [r[0].strip() for r in memory_rows(_R())][2:] == ["parameters", "gradients", "optimizer state",
                                                              "activations saved for backward"]
