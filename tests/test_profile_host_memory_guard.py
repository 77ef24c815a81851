"""`profile` of a model whose training step cannot fit in the host's available memory is refused before the step
(exit 2, the memory it needs and has, the fix), not left to the kernel's OOM killer, which ends the process with
no message (and may take other programs with it). Checked with a reported MemAvailable small enough for a 3 MiB
model, so the test needs no large allocation."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import run_main_expect as _cli

from accelopt.errors import InfeasibleError
from accelopt.measure import memory

MODEL = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle

def build(batch_size: int = 8):
    model = nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 256))  # 787,712 fp32 params: 3.0 MiB
    x, y = torch.randn(batch_size, 512), torch.randn(batch_size, 256)
    return ModelBundle(name="[bold]mine", model=model, batches=lambda: iter([(x, y)] * 100),
                       loss_fn=nn.functional.mse_loss, batch_size=batch_size)
'''


def test_a_training_step_past_the_available_memory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mine.py"
    f.write_text(MODEL)
    monkeypatch.setattr(memory, "host_available_bytes", lambda meminfo=None: 4 * 2**20)  # 4 MiB available
    _, err = _cli(capsys, "profile", f"{f}:build", "--steps", "3", code=2)
    text = " ".join(err.split())
    # default AdamW: gradients (3.0 MiB) + exp_avg and exp_avg_sq (6.0 MiB) = 9.0 MiB > 4 MiB
    assert "training '[bold]mine' needs at least 9.01 MiB more memory" in text, text
    assert "AdamW state 6.01 MiB" in text and "4 MiB available (MemAvailable" in text
    assert "fix:" in text and "--mode inference" in text and "timing" not in text  # refused before any step


@pytest.mark.parametrize(("make", "states"), [
    (lambda p: torch.optim.SGD(p, lr=0.1), 0), (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), 1),
    (lambda p: torch.optim.RMSprop(p, momentum=0.9, centered=True), 3), (lambda p: torch.optim.Adam(p), 2),
    (lambda p: torch.optim.LBFGS(p), 0)])
def test_the_bound_counts_each_optimizers_documented_state(make: object, states: int) -> None:
    """The bound is what the step will add: one gradient per trainable parameter plus the optimizer's state
    (an optimizer it does not know adds nothing: the bound stays a lower bound); frozen parameters need neither."""
    model = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.Linear(256, 256))  # 2 x 257 KiB
    model[1].requires_grad_(False)
    trainable = (256 * 256 + 256) * 4.0
    opt = make(p for p in model.parameters() if p.requires_grad)  # type: ignore[operator]
    need = trainable * (1 + states)
    room = memory.HostHeadroom(available_bytes=need, source="test", swap_on=False)
    memory.check_training_fits_host(model, opt, "m", "fix", headroom=room)  # exactly enough: fine
    with pytest.raises(InfeasibleError):
        memory.check_training_fits_host(model, opt, "m", "fix", headroom=memory.HostHeadroom(
            available_bytes=need - 1, source="test", swap_on=False))


def test_mem_available_is_read_from_meminfo(tmp_path: Path) -> None:
    p = tmp_path / "meminfo"
    p.write_text("MemTotal:       24000000 kB\nMemFree:         1000 kB\nMemAvailable:   19954288 kB\n")
    assert memory.host_available_bytes(p) == 19954288 * 1024
    p.write_text("MemTotal:       24000000 kB\n")
    assert memory.host_available_bytes(p) is None
