"""`plan --model WORKLOAD.json` sizes a profiled step's weights, gradients and optimizer state (and so its gradient
all-reduce) as the step held them, measured after the real step `profile --save-workload` ran.

Bug fixed here: every workload was sized as mixed-precision Adam, 2 + 2 + 12 bytes per parameter, whatever it ran:
an fp32 step (timed at the fp32 peak) read its weights at half their bytes (81,930 B for a 40,965-parameter model
`profile` measured at 163,860 B) and its all-reduce at half its volume, and SGD's single momentum buffer as AdamW's
12 bytes per parameter."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.hardware.catalog import get_device  # noqa: E402
from accelopt.predict import comm  # noqa: E402
from accelopt.predict.calibration import calibration_for  # noqa: E402
from accelopt.predict.training import evaluate_workload  # noqa: E402
from accelopt.workload.capture import capture_workload  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle(make_optimizer: object) -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(8, 32), torch.randint(0, 4, (8,)))]
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 4))  # 2,372 parameters, fp32
    return ModelBundle(name="mlp-fp32", model=model, batches=lambda: iter(data),
                       loss_fn=nn.functional.cross_entropy, batch_size=8,
                       make_optimizer=make_optimizer)  # type: ignore[arg-type]


PARAMS = 32 * 64 + 64 + 64 * 4 + 4


def _sgd(params: object) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)  # type: ignore[arg-type]


def test_an_fp32_sgd_step_records_what_it_holds() -> None:
    wl = capture_workload(_bundle(_sgd))
    assert wl.meta["params"] == PARAMS
    assert wl.meta["param_bytes"] == 4 * PARAMS and wl.meta["grad_bytes"] == 4 * PARAMS
    assert wl.meta["optimizer_state_bytes"] == 4 * PARAMS  # one fp32 momentum buffer per parameter


def test_plan_sizes_the_step_as_measured() -> None:
    wl = capture_workload(_bundle(_sgd))
    spec = get_device("h100-sxm")
    dp, zero = np.array([1, 4]), np.array([0, 3])
    t = evaluate_workload(wl, spec, dp, zero).terms
    assert list(t["mem_weights_bytes"]) == [4 * PARAMS, PARAMS]  # ZeRO-3 on 4 devices: a quarter each
    assert list(t["mem_grads_bytes"]) == [4 * PARAMS, PARAMS]
    assert list(t["mem_optimizer_bytes"]) == [4 * PARAMS, PARAMS]  # was 12 B x params before ZeRO
    links = comm.Links.of(spec, calibration_for(spec), None)
    ring = comm.hier_allreduce_s(np.full(2, 4.0 * PARAMS), dp, np.ones_like(dp), links)  # fp32 gradients: 4 B each
    assert t["t_dp_comm_raw_s"][1] == pytest.approx(1.5 * ring[1], rel=1e-12)  # ZeRO-3: 1.5x the all-reduce



def test_adamw_state_is_two_fp32_moments() -> None:
    from accelopt.predict.training import workload_state_bytes

    wl = capture_workload(_bundle(None))  # None: AdamW
    w, g, o, note = workload_state_bytes(wl)
    assert (w, g) == (4 * PARAMS, 4 * PARAMS) and note is None
    assert 8 * PARAMS <= o <= 8 * PARAMS + 4 * 4  # exp_avg, exp_avg_sq (+ a 4-byte step count per tensor)


def test_a_workload_without_the_figures_says_the_default() -> None:
    """A workload saved before the figures were recorded (or written by hand) keeps mixed-precision Adam's 16 bytes
    per parameter, and the plan's notes say so."""
    from accelopt.predict.training import workload_state_bytes

    wl = capture_workload(_bundle(_sgd))
    old = replace(wl, meta={k: v for k, v in wl.meta.items()
                            if k not in ("param_bytes", "grad_bytes", "optimizer_state_bytes")})
    w, g, o, note = workload_state_bytes(old)
    assert (w, g, o) == (2 * PARAMS, 2 * PARAMS, 12 * PARAMS)
    assert note is not None and note.startswith("default used:") and "profile --save-workload" in note
