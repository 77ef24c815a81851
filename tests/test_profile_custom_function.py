"""A custom torch.autograd.Function's own work on the roofline (ut5prof): its forward and backward events (named as
the class and the class + 'Backward') share one row 'unattributed: custom autograd.Function NAME', verdict
'unmodeled' at roof 'outside aten', so the time it spends outside aten ops (numpy here, which neither the capture nor
FlopCounterMode sees) is not read as 'overhead-bound, no work' and charged to host overhead; the work table says that
the FLOPs per step may then be a lower bound."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from conftest import ProfilerEventStub
from torch import nn
from torch.utils.flop_counter import register_flop_formula

from accelopt.measure.profiler import profile_step
from accelopt.measure.roofline import CUSTOM_FUNCTION_ROW, Ceilings, _attribute, custom_function_rows
from accelopt.report.profile_view import compute_rows, roofline_caption
from accelopt.workload.capture import capture_workload
from accelopt.workload.userfile import ModelBundle

ROOFS = Ceilings(peak_flop_per_s=1e10, memory_bandwidth_byte_per_s=1e10, dtype="fp32", source="test",
                 is_measured=False)  # given: no in-process roof measurement


class NumpyTanh(torch.autograd.Function):
    """tanh in numpy, forward and backward: work that no aten op does."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        y = np.tanh(x.detach().numpy())
        for _ in range(30):  # enough work outside aten to be timed
            y = np.tanh(y)
        ctx.save_for_backward(torch.from_numpy(y.copy()))
        return torch.from_numpy(y.copy())

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return torch.from_numpy(g.detach().numpy() * (1.0 - y.numpy() ** 2))


class WithNumpy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(64, 128), nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(NumpyTanh.apply(self.a(x)))


def _bundle() -> ModelBundle:
    torch.manual_seed(0)

    def batches() -> Any:
        while True:
            yield torch.randn(16, 64), torch.randn(16, 4)
    return ModelBundle(name="with-numpy", model=WithNumpy(), batches=batches, loss_fn=nn.functional.mse_loss,
                       batch_size=16)




def test_forward_and_backward_events_of_a_function_share_its_row() -> None:
    renames = custom_function_rows()
    assert renames["NumpyTanh"] == renames["NumpyTanhBackward"] == CUSTOM_FUNCTION_ROW + "NumpyTanh"
    fwd = ProfilerEventStub("NumpyTanh", 300.0)
    mm = ProfilerEventStub("aten::mm", 50.0, fwd)  # an aten op the Function calls keeps its own row
    bwd = ProfilerEventStub("NumpyTanhBackward", 200.0)
    times, calls = _attribute([fwd, mm, bwd], {"aten::mm"}, on_gpu=False, renames=renames)
    row = CUSTOM_FUNCTION_ROW + "NumpyTanh"
    assert times == {row: pytest.approx(500e-6), "aten::mm": pytest.approx(50e-6)}
    assert calls == {row: 2, "aten::mm": 1}


def test_profile_puts_the_functions_own_time_on_its_row() -> None:
    r = profile_step(_bundle(), steps=3, warmup=1, breakdown_steps=3, profiler_steps=2)
    rows = {row.op: row for row in r.roofline}
    row = rows[CUSTOM_FUNCTION_ROW + "NumpyTanh"]
    assert "NumpyTanh" not in rows and "NumpyTanhBackward" not in rows  # was 'overhead-bound, no work' each
    assert row.verdict == "unmodeled" and row.roof == "outside aten" and row.flops == 0
    assert row.time_s > 0 and row.calls_per_step == 2  # one forward and one backward event per step
    flops_how = dict((label, how) for label, _, how in compute_rows(r))["FLOPs per step"]
    assert "a lower bound if a custom autograd.Function works outside aten ops" in flops_how
    assert "NumpyTanh" in flops_how
    assert "outside aten: a custom autograd.Function's own time" in roofline_caption(r)


@torch.library.custom_op("accelopt_ut5prof::np_tanh", mutates_args=())
def np_tanh(x: torch.Tensor) -> torch.Tensor:
    """A torch.library custom op doing its work in numpy, with a FLOP formula registered."""
    return torch.from_numpy(np.tanh(x.detach().numpy()).copy())


@np_tanh.register_fake
def _np_tanh_fake(x: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(x)


def _np_tanh_setup(ctx: Any, inputs: Any, output: torch.Tensor) -> None:
    ctx.save_for_backward(output)


def _np_tanh_backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
    (y,) = ctx.saved_tensors
    return g * (1 - y * y)


np_tanh.register_autograd(_np_tanh_backward, setup_context=_np_tanh_setup)
TANH_FLOPS_PER_ELEMENT = 10  # the registered formula's own figure (any will do: the test checks it is carried)


@register_flop_formula(torch.ops.accelopt_ut5prof.np_tanh)
def _np_tanh_flops(x_shape: Any, *args: Any, **kwargs: Any) -> int:
    return TANH_FLOPS_PER_ELEMENT * math.prod(x_shape)


class WithCustomOp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(64, 128), nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(np_tanh(self.a(x)))


def test_a_registered_custom_ops_flops_land_on_its_timed_row() -> None:
    """capture named every op 'aten.*': the custom op's registered FLOPs went to a row 'aten::np_tanh' that the
    profiler never timed (dropped), and its timed row 'accelopt_ut5prof::np_tanh' read 0 FLOPs, overhead-bound."""
    b = _bundle()
    b.model = WithCustomOp()
    w = capture_workload(b, mode="inference")
    assert [o.name for o in w.ops if "np_tanh" in o.name] == ["accelopt_ut5prof.np_tanh"]
    r = profile_step(b, mode="inference", steps=3, warmup=0, breakdown_steps=3, profiler_steps=2, workload=w,
                     ceilings=ROOFS)
    rows = {row.op: row for row in r.roofline}
    assert rows["accelopt_ut5prof::np_tanh"].flops == TANH_FLOPS_PER_ELEMENT * 16 * 128  # batch 16 x 128 features
    assert "aten::np_tanh" not in rows
    # torch.library's autograd wrapper around the op is no custom Function of the user's: the op's row holds its work
    assert not [op for op in rows if op.startswith(CUSTOM_FUNCTION_ROW)]
