"""profile's roofline pass times whole steps, the batch fetch included, so a user's batches() that makes its data with
torch ops had those ops as the model's: a GRU language model whose batches() draws token ids (torch.randint, then
slices them into inputs and targets, as examples/my_model.py draws images with torch.randn) read aten::randint as its
top op, 'overhead-bound', counted into 'host overhead' (83% of the step) beside the input pipeline's own share from
the breakdown pass (utopt6). The batch fetch and copy now run in a record_function range (roofline.INPUT_LABEL) that
the op attribution leaves out: the model's ops are the model's."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from accelopt.measure.profiler import profile_step
from accelopt.measure.roofline import INPUT_LABEL, Ceilings
from accelopt.workload.userfile import ModelBundle


def _bundle() -> ModelBundle:
    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(0)
        for _ in range(4):
            noise = torch.randn(256, 256, generator=g)
            order = torch.argsort(noise, dim=1)  # data-side work the model never does
            ids = order[:4, :9] % 16
            yield ids[:, :-1], ids[:, 1:]

    return ModelBundle(name="ids-lm", model=nn.Sequential(nn.Embedding(16, 8), nn.Linear(8, 16)), batches=batches,
                       loss_fn=lambda out, y: nn.functional.cross_entropy(out.reshape(-1, 16), y.reshape(-1)),
                       batch_size=4)


def test_ops_of_the_batch_fetch_are_not_roofline_rows() -> None:
    roofs = Ceilings(peak_flop_per_s=1e11, memory_bandwidth_byte_per_s=1e10, source="test", dtype="fp32",
                     is_measured=False)
    for mode in ("inference", "train"):
        r = profile_step(_bundle(), mode=mode, steps=3, warmup=1, ceilings=roofs)
        ops = {row.op for row in r.roofline}
        assert not {"aten::argsort", "aten::sort", "aten::randn", "aten::normal_", "aten::remainder"} & ops, (mode, ops)
        assert INPUT_LABEL not in ops
        assert {"aten::embedding", "aten::addmm"} & ops, ops  # the model's own ops are still there
