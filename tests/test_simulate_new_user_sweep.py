"""What a new user's models and files showed `simulate` getting wrong (one test per finding, each failed before it).

- A train-step workload's fused attention backward (FlashAttention on CPU: dO, q, k, v) was mapped as the forward's
  two GEMMs from the wrong tensors: 2 x 4704 MACs simulated where torch's sdpa_backward_flop_count says 5 x 4704."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

ATTENTION = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Att(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(32, 96)

    def forward(self, x):  # x (B, S, 32): 4 heads of 8
        q, k, v = (t.reshape(3, 7, 4, 8).transpose(1, 2) for t in self.qkv(x).chunk(3, -1))
        return nn.functional.scaled_dot_product_attention(q, k, v).mean((1, 2, 3))


def build():
    x = torch.randn(3, 7, 32)
    return ModelBundle(name="att", model=Att(), batches=lambda: iter([(x, torch.zeros(3))]),
                       loss_fn=nn.functional.mse_loss, batch_size=3)
'''


def test_a_fused_attention_backward_simulates_its_five_gemms(tmp_path: Path) -> None:
    """Every attention op's simulated MACs = its captured FLOPs / 2: forward 2 x B*H*S*S*D = 2 x 3*4*7*7*8 = 9408,
    backward (recomputed QK^T, dP, dV, dQ, dK) 5 x 4704 = 23520, as torch's FlopCounterMode counts them."""
    from accelopt.simulate.layers import from_workload
    from accelopt.workload.capture import capture_workload
    from accelopt.workload.userfile import load_user_factory

    path = tmp_path / "att.py"
    path.write_text(ATTENTION)
    w = capture_workload(load_user_factory(f"{path}:build"), mode="train")
    layers, _ = from_workload(w)
    captured = {phase: sum(o.flops for o in w.ops if o.kind == "attention" and o.phase == phase) / 2
                for phase in ("forward", "backward")}
    assert captured == {"forward": 9408, "backward": 23520}
    assert sum(x.macs for x in layers if x.kind == "attention") == 9408 + 23520  # was 2 x 9408
