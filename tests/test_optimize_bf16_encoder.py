"""bf16 autocast on a CPU over an eval-mode nn.TransformerEncoder given a padding mask. torch's fast-path guard asks
torch.is_autocast_enabled(), which reads CUDA's autocast only, so the encoder ran its fused fp32 kernel on bf16
activations and raised 'expected scalar type Float but found BFloat16' (pytorch/pytorch#132613): optimize's bf16
variant read as the model's own error ('model ... raised RuntimeError scoring bf16 ... check that model(*inputs)
... run on their own'). The fast path is now off inside CPU autocast for such models (workload.amp.autocast, which
the profiler and capture enter too)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from accelopt.optimize.base import Target, get_technique
from accelopt.workload.userfile import ModelBundle

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # conftest: the model is tiny

CPU = Target(mode="inference", device="cpu", budget_s=30)


class _PaddedEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(16, 32)
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2)
        self.cls = nn.Linear(32, 3)

    def forward(self, ids: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = self.enc(self.emb(ids), src_key_padding_mask=pad)  # (B, T, 32); pad: (B, T), True = padding
        return self.cls(h[:, 0])  # (B, 3)


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    ids = torch.randint(1, 16, (4, 10))
    pad = torch.arange(10)[None, :] >= torch.tensor([10, 7, 5, 3])[:, None]
    data = [((ids, pad), torch.tensor([0, 1, 2, 0]))]
    return ModelBundle(name="enc", model=_PaddedEncoder().eval(), batches=lambda: iter(data), batch_size=4,
                       loss_fn=nn.functional.cross_entropy, eval_batches=lambda: iter(data), metric="accuracy")


def test_bf16_variant_of_a_padded_encoder_runs_on_cpu() -> None:
    b = _bundle()
    (ids, pad), _ = next(b.batches())
    with torch.no_grad():
        want = b.model(ids, pad)
        v = get_technique("bf16").apply(b, CPU, {})
        got = v.forward(ids, pad)
    assert torch.isfinite(got).all() and (got.float() - want).abs().max() < 0.1  # bf16: 8 mantissa bits
    assert torch.backends.mha.get_fastpath_enabled()  # put back after each forward
    assert any("fast path off under CPU autocast" in n for n in v.notes), v.notes



def test_bf16_in_train_mode_does_not_speak_of_the_inference_fast_path() -> None:
    v = get_technique("bf16").apply(_bundle(), Target(mode="train", device="cpu", budget_s=30), {})
    assert not any("fast path" in n for n in v.notes), v.notes
