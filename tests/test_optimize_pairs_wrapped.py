"""optimize's combinations pair only techniques that can run one after the other: bf16 (our autocast wrapper) is not
paired before an onnx-* variant, which exports the user's fp32 module and refuses a wrapped one. A user trial
(uttrial, 2026-12-05) on a CPU LSTM language model: the run's only two combinations were bf16+onnx-int8 and
bf16+onnx-fp32, both listed as not-applicable ('the model runs under autocast bfloat16 ... measure onnx-int8 on its
own'), so the --combinations slots measured nothing."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import all_techniques  # noqa: E402
from accelopt.optimize.results import Quality, VariantResult  # noqa: E402
from accelopt.optimize.runner import RunOptions, _Run  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    batch = [(torch.randn(4, 8), torch.randint(0, 3, (4,)))]
    return ModelBundle(name="tiny", model=nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)),
                       batches=lambda: iter(batch), loss_fn=nn.functional.cross_entropy, batch_size=4)


def _measured(name: str, speedup: float) -> VariantResult:
    return VariantResult(name=name, techniques=[name], family="", status="measured", speedup=speedup,
                         quality=Quality(metric="loss", value=1.0, within_tolerance=True))


def test_bf16_is_not_paired_before_an_onnx_export() -> None:
    known = all_techniques()
    singles = [(known[n](), _measured(n, s)) for n, s in
               (("bf16", 1.02), ("onnx-fp32", 1.7), ("onnx-int8", 2.0), ("prune-unstructured", 1.01))]
    run = _Run(_bundle(), RunOptions(profile_bounds=False))
    pairs = [[t.name for t in p] for p in run.pairs(singles)]
    assert not any(p[0] == "bf16" and p[1].startswith("onnx") for p in pairs), pairs
    assert ["bf16", "prune-unstructured"] in pairs  # a pair that runs is still measured
