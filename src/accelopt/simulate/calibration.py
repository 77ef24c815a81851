"""A design's own op-size curve for `plan infer`, measured on its cycle-level simulator (`simulate export`).

`plan infer` times a GEMM/conv of F FLOP at peak x eff(F), eff(F) = matmul_eff_max x F / (F + matmul_half_flop)
(predict/inference.py). For a catalog device the curve comes from its inference family, fitted on published runs
of large GPUs; a design written by `simulate export` has no published run, but it has its simulator, which is its
measurement. The rule, declared here before any fit was made:

- the LADDER (ladder_layers): square GEMMs n x n x n with n = side x 2^j, j = -3..3, side = the larger of the
  array's rows and cols (rounded, at least 1): from an eighth of the array to eight times it, so small ops that
  fill a fraction of the array and large ones that fold many times are both measured; and the conv layers of the
  four stages of He et al. 2016, Table 1 at a 224x224 input (56x56x64, 28x28x128, 14x14x256, 7x7x512): a 3x3 conv
  keeping the channels (padding 1) and a 1x1 conv to 4x the channels, batch 1. 15 shapes in all.
- each is simulated with unlimited DRAM bandwidth and no DRAM latency (SCALE-Sim's CALC mode, `simulate run
  --unlimited-bandwidth`): its compute time (fill, drain, folds, reloads). The DRAM side is not fitted: `plan
  infer`'s roofline memory term at the design's bandwidth stands for it, with the two figures the simulator
  itself uses (design_facts: memory_eff 1, op_overhead_s = the design's dram_latency_s).
- matmul_eff_max and matmul_half_flop are the point of the grid of curve_grid with the least mean |log(predicted
  / simulated)| compute time over the ladder (predict.inference_validation.fit_compute_curve, fit_runtime's
  objective). Nothing else is fitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelopt.errors import InputError
from accelopt.simulate.design import Design
from accelopt.simulate.engine import simulate
from accelopt.simulate.layers import Layer, from_conv, from_gemm
from accelopt.workload.types import Conv, Gemm

LADDER_GEMM_STEPS = tuple(range(-3, 4))
"""Square GEMM sides as powers of two of the array's larger side."""
LADDER_CONV_STAGES = ((56, 64), (28, 128), (14, 256), (7, 512))
"""(output side, channels) of the four bottleneck stages of ResNet at 224x224 (He et al. 2016, Table 1)."""
EFF_MAX_GRID = tuple(round(0.05 + 0.01 * i, 2) for i in range(96))
"""matmul_eff_max values tried: 0.05 .. 1.00, step 0.01."""
HALF_FLOP_STEPS = tuple(range(-6, 13))
"""matmul_half_flop values tried: 0 and 2 x MACs x (rows + cols) x 2^j for these j. One fold of a systolic array
spends about 2R + C cycles filling and draining (Samajdar et al. 2020, SCALE-Sim, 2R + C + T - 2 cycles a fold), so
an op of some 2 x MACs x (R + C) FLOP is where its efficiency halves; the grid spans 2^-6 .. 2^12 of that."""


@dataclass(frozen=True, kw_only=True)
class LadderTimes:
    """The ladder's shapes and their simulated compute times on one design."""

    design: str
    names: tuple[str, ...]
    flops: tuple[float, ...]
    """FLOP of each shape (2 per MAC)."""
    compute_s: tuple[float, ...]
    """Simulated time of each shape with unlimited DRAM bandwidth, seconds."""
    peak_flop_per_s: float
    """The design's peak (2 x MACs x clock), FLOP/s (OP/s for integer dtypes)."""


def ladder_layers(design: Design) -> list[Layer]:
    """The 15 shapes of the declared ladder (module docstring) for `design`."""
    side = max(design.rows, design.cols)
    layers = []
    for j in LADDER_GEMM_STEPS:
        n = max(1, round(side * 2.0**j))
        layers.append(from_gemm(f"gemm {n}x{n}x{n}", Gemm(m=n, n=n, k=n)))
    for hw, c in LADDER_CONV_STAGES:
        layers.append(from_conv(f"conv3x3 {hw}x{hw}x{c}", Conv(n=1, c_in=c, h_in=hw, w_in=hw, c_out=c, kh=3, kw=3,
                                                                padding=1)))
        layers.append(from_conv(f"conv1x1 {hw}x{hw}x{c}->{4 * c}", Conv(n=1, c_in=c, h_in=hw, w_in=hw, c_out=4 * c,
                                                                         kh=1, kw=1)))
    return layers


def simulate_ladder(design: Design) -> LadderTimes:
    """The ladder simulated on `design` with unlimited DRAM bandwidth and no DRAM latency; a shape the design
    cannot run (a row-stationary array whose scratchpads hold no filter row, an array too large for the
    simulator's layer bound) is an InputError naming the design and the shape."""
    calc = design.with_(dram_bandwidth_byte_per_s=math.inf, dram_latency_s=0.0)
    try:
        layers = ladder_layers(design)
        result = simulate(calc, layers)
    except InputError as e:
        raise InputError(f"design {design.name!r}: its calibration ladder (simulate/calibration.py: square GEMMs "
                         f"around its {design.rows}x{design.cols} array and ResNet stage convs) cannot be simulated: "
                         f"{e.problem}",
                         f"{e.fix}; or export it without the fitted curve (--no-calibration: `plan infer` then "
                         "labels its latency uncalibrated)") from None
    return LadderTimes(design=design.name, names=tuple(x.name for x in layers),
                       flops=tuple(2.0 * x.macs for x in layers),
                       compute_s=tuple(float(t) for t in result.cols["latency_s"]),
                       peak_flop_per_s=design.peak_op_per_s)


def curve_grid(design: Design) -> dict[str, list[float]]:
    """The declared fit grid (EFF_MAX_GRID, HALF_FLOP_STEPS) for `design`."""
    scale = 2.0 * design.macs * (design.rows + design.cols)
    return {"matmul_eff_max": list(EFF_MAX_GRID),
            "matmul_half_flop": [0.0, *(scale * 2.0**j for j in HALF_FLOP_STEPS)]}


def design_facts(design: Design) -> dict[str, tuple[float, str]]:
    """The curve values the simulator sets rather than the fit: key -> (value, source)."""
    where = "simulate/memory.py stalls()"
    latency = (f"design {design.name}'s dram_latency_s, which the simulator exposes once per layer ({where})"
               if design.dram_latency_s > 0 else
               f"0 s: design {design.name} models no DRAM latency and the simulator charges no other per-layer cost "
               f"({where})")
    return {"memory_eff": (1.0, f"the simulator moves DRAM bytes at design {design.name}'s full "
                                f"dram_bandwidth_byte_per_s, overlapped with compute ({where})"),
            "op_overhead_s": (float(design.dram_latency_s), latency)}


def fit_source(ladder: LadderTimes, mean_abs_log_error: float) -> str:
    """The citation of the fitted values: what they were fitted on and how well."""
    return (f"fitted by `accelopt simulate export` on {len(ladder.names)} shapes of design {ladder.design} "
            "simulated cycle by cycle with unlimited DRAM bandwidth (simulate/calibration.py ladder: square GEMMs "
            f"and ResNet stage convs), mean |log error| {mean_abs_log_error:.3f}")
