"""The unfused attention core has no sliding window (gptossattn, 2026-12-04, issue 10).

A fused kernel attends a windowed layer's `window` keys; the unfused core computes the whole [s, s] score matrix and
masks it: Transformer Engine's get_attention_backend lists UnfusedDotProductAttention as the backend that 'converts
window_size to an 'arbitrary' mask' (transformer_engine/pytorch/attention/dot_product_attention/utils.py, code index
id 4649700217), and Megatron-LM's and HF's eager cores baddbmm every score before masking. Before this, plan charged
an unfused core on a windowed layer (plan --attention-kernel unfused / --no-flash on Mistral, Gemma 2, GPT-OSS) the
window's keys only, in time and in the softmax outputs kept for the backward: too fast and too small. No bundled
training row runs an unfused core on a windowed model, so no prediction in validate moves; the GPT-OSS what-ifs do.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.compute import layer_forward
from accelopt.predict.memory import activation_bytes_per_layer
from accelopt.predict.training import _device
from accelopt.workload.presets import get_model

MISTRAL = get_model("mistral-7b")  # every layer windowed, 4096 keys (config.json sliding_window 4096)
FULL = dataclasses.replace(MISTRAL, sliding_window=None)
S = 16384.0  # four windows long


def _core_s(model: object, flash: bool) -> float:
    spec = get_device("h100-sxm")
    dev = _device(spec, "bf16", calibration_for(spec))
    a = np.asarray
    lt = layer_forward(model, a(1.0), a(S), a(S), a(1.0), a(False), flash, a(1.0), 2.0, dev,  # type: ignore[arg-type]
                       kernel="fused" if flash else "unfused")
    return float(lt.attn_core_s)


def test_unfused_core_scores_every_key_on_a_windowed_layer() -> None:
    assert MISTRAL.windowed_layers == MISTRAL.layers and MISTRAL.sliding_window == 4096
    assert _core_s(MISTRAL, flash=False) == _core_s(FULL, flash=False)


def test_fused_core_still_attends_the_window() -> None:
    assert _core_s(MISTRAL, flash=True) < 0.5 * _core_s(FULL, flash=True)


def test_unfused_core_keeps_the_full_softmax() -> None:
    a = np.asarray

    def act(model: object, flash: bool) -> float:
        return float(activation_bytes_per_layer(model, a(1.0), a(S), a(1.0), a(False), a(0), flash,  # type: ignore[arg-type]
                                                False))

    assert act(MISTRAL, flash=False) == act(FULL, flash=False)
    # the softmax outputs (2 bytes, 32 heads, S^2) and dropout (3 more) dominate the difference to the fused kernel
    assert act(MISTRAL, flash=False) - act(MISTRAL, flash=True) >= 5.0 * 32 * S * S
