"""plan serve --weight-dtype int8 --expert-weight-dtype bf16 (an MoE model whose attention is int8 weight-only and
whose routed experts stay 16-bit): the int8 weight-only read ratio of [serving.nvidia-ampere] (0.80, torchao's
int8wo / bf16 bandwidth) slowed every weight byte of the decode step, the bf16 experts' too, which run the 16-bit
kernels: Mixtral 8x7B at tp 2 read its decode weights 25% slower than at ratio 1 where only the int8 ~7% of them
should be. Now the experts on the dense path are read at the full efficiency, the int8 rest at the ratio (prefill,
decode, and the expert-parallel path); a whole-int8 model keeps the ratio on every weight."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.predict.serving_moe import MoELayout
from accelopt.workload.presets import get_model

SPEC = get_device("a100-sxm-80gb")
MODEL = get_model("mixtral-8x7b")
CAL = sv.calibration_for_spec(SPEC)
ONE = replace(CAL, int8_weight_only_bandwidth_ratio=1.0)


def _decode_memory_s(cal: sv.ServingCalibration, expert_dtype: str | None, moe: MoELayout | None = None) -> float:
    p = sv.predict_serving(MODEL, SPEC, tp=2, batch=1, prompt_len=5, output_len=2, weight_dtype="int8",
                           calibration=cal, moe=moe or MoELayout(expert_weight_dtype=expert_dtype))
    return p.decode_step.memory_s


def test_only_the_int8_bytes_take_the_ratio() -> None:
    assert CAL.int8_weight_only_bandwidth_ratio == 0.8
    # the int8 weights a decode step reads on each of 2 devices: every non-expert linear layer (batch 0 reads no
    # expert), the 16-bit LM head with them, as for a dense int8 model
    int8_part = sv.decode_weight_bytes_read(MODEL, 0, "int8", CAL) / 2
    extra_s = int8_part * (1 / 0.8 - 1) / (SPEC.memory_bandwidth_byte_per_s * CAL.decode_bandwidth_efficiency)
    slow, plain = _decode_memory_s(CAL, "bf16"), _decode_memory_s(ONE, "bf16")
    assert slow - plain == pytest.approx(extra_s, rel=1e-9)
    assert slow / plain < 1.05  # the bf16 experts are ~93% of the bytes read


def test_a_whole_int8_model_keeps_the_ratio_on_every_weight() -> None:
    ratio = _decode_memory_s(CAL, None) / _decode_memory_s(ONE, None)
    assert ratio == pytest.approx(1 / 0.8, rel=1e-3)


def test_the_expert_parallel_path_too() -> None:
    moe = MoELayout(expert_weight_dtype="bf16", ep=2, attention_dp=2)
    p = [sv.predict_serving(MODEL, SPEC, tp=1, batch=8, prompt_len=512, output_len=2, weight_dtype="int8",
                            calibration=c, moe=moe) for c in (CAL, ONE)]
    assert p[0].decode_step.memory_s / p[1].decode_step.memory_s < 1.05
    assert p[0].prefill.memory_s / p[1].prefill.memory_s < 1.05
