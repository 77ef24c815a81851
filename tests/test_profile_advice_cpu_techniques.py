"""`accelopt profile` of a user ResNet on a CPU (utopt6) advised 'test it with accelopt optimize MODEL --only
compile,compile-max-autotune,cuda-graphs' for its host overhead, and, with a --catalog-device giving a bf16 peak,
'--only bf16,fp16' for its fp32 matmuls; optimize then reports cuda-graphs ('CUDA graphs ... exist only on NVIDIA
GPUs') and fp16 ('fp16 autocast targets GPU tensor cores') not applicable on that CPU. README: profile names 'the
optimize techniques that test each of its recommendations, only those that apply to the model profiled'. The GPU-only
ones are now offered only for a step run on a CUDA device."""

from __future__ import annotations

import pytest

from accelopt.measure.diagnose import GPU_ONLY_TECHNIQUES, Facts, diagnose_facts
from accelopt.measure.roofline import RooflineRow


def _row(op: str, time_s: float, verdict: str, kinds: tuple[str, ...], t_roof: float) -> RooflineRow:
    return RooflineRow(op=op, calls_per_step=1, time_s=time_s, flops=0.0, bytes=0.0, intensity_flop_per_byte=None,
                       attained_flop_per_s=0.0, attained_byte_per_s=0.0, roofline_time_s=t_roof,
                       efficiency=t_roof / time_s, verdict=verdict, kinds=kinds, dtypes=("fp32",))


def _facts(device: str) -> Facts:
    rows = [_row("aten::mm", 0.5, "compute-bound", ("matmul",), t_roof=0.05),  # slow matmuls: bf16 advice
            _row("aten::add_", 0.3, "overhead-bound", (), t_roof=0.0)]  # host overhead: compile advice
    phases = {"data_wait": 0.0, "h2d_copy": 0.0, "forward": 0.4, "backward": 0.4, "optimizer": 0.0}
    return Facts(phase_s=phases, rows=rows, profiled_step_s=1.0, dtype="fp32", device=device, train=True,
                 peak_ratio_bf16=4.0, peak_ratio_source="test spec")


def _named(device: str) -> dict[str, tuple[str, ...]]:
    return {r.category: r.techniques for r in diagnose_facts(_facts(device)).recommendations if r.techniques}


@pytest.mark.parametrize("device", ["cpu", "mps"])
def test_off_cuda_profile_does_not_offer_gpu_only_techniques(device: str) -> None:
    named = _named(device)
    assert named, "the facts should give recommendations naming techniques"
    offered = {t for ts in named.values() for t in ts}
    assert not offered & set(GPU_ONLY_TECHNIQUES), named
    assert "bf16" in offered and "compile" in offered  # the ones that apply there are still named


def test_on_cuda_the_gpu_only_techniques_are_still_offered() -> None:
    offered = {t for ts in _named("cuda:0").values() for t in ts}
    assert {"fp16", "cuda-graphs", "bf16", "compile"} <= offered


def test_every_gpu_only_technique_refuses_a_cpu_target() -> None:
    """The list matches what optimize says: each of its techniques is not applicable on a CPU."""
    import torch
    from torch import nn

    from accelopt.optimize.base import Target, get_technique
    from accelopt.workload.userfile import ModelBundle

    bundle = ModelBundle(name="m", model=nn.Linear(4, 2),
                         batches=lambda: iter([(torch.zeros(2, 4), torch.zeros(2, dtype=torch.long))]),
                         loss_fn=nn.functional.cross_entropy, batch_size=2)
    for name in GPU_ONLY_TECHNIQUES:
        why = get_technique(name).not_applicable(bundle, Target(device="cpu", mode="inference"))
        assert why and ("GPU" in why or "CUDA" in why), (name, why)
