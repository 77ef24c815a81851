"""torch.autocast as every runner enters it (capture, the step profiler, optimize's variants and baseline)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def autocast(device_type: str, dtype: Any, model: Any, *, fast_path: bool | None = None) -> Iterator[None]:
    """torch.autocast(device_type, dtype=dtype) around a forward of `model`; on a CPU, for a model holding an
    nn.MultiheadAttention or nn.TransformerEncoder(Layer), with their inference fast path off inside it
    (torch.backends.mha.set_fastpath_enabled, put back after).

    torch's guard against autocast on that path asks torch.is_autocast_enabled(), which reads CUDA's autocast only
    (False under CPU autocast, torch 2.13), so an eval-mode encoder given a padding mask ran its fused fp32 kernel on
    bf16 activations: 'expected scalar type Float but found BFloat16' (pytorch/pytorch#132613), and optimize's bf16
    variant of such a model read as the model's own error. With it off, the layers run their ordinary modules, as
    under autocast on a GPU, where the guard turns the fast path off.

    `fast_path`: has_fast_path(model), found once by a caller entering this every step (StepRunner, optimize's
    steps); None: found here, a walk of every module of the model, host time inside each timed step."""
    import torch

    with torch.autocast(device_type, dtype=dtype):
        if device_type != "cpu":
            yield
            return
        if not (has_fast_path(model) if fast_path is None else fast_path):  # autocast alone, nothing else touched
            yield
            return
        before = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)
        try:
            yield
        finally:
            torch.backends.mha.set_fastpath_enabled(before)


def has_fast_path(model: Any) -> bool:
    """Whether `model` holds a layer with torch's fused inference fast path (nn.MultiheadAttention,
    nn.TransformerEncoderLayer, nn.TransformerEncoder)."""
    from torch import nn

    kinds = (nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerEncoder)
    return any(isinstance(m, kinds) for m in model.modules())


def autocast_refusal(model: Any, device_type: str, dtype: Any) -> str | None:
    """Why torch.autocast(device_type, dtype) cannot run `model` on this machine, or None.

    On a CPU, CPU autocast casts an nn.LSTM's input to bfloat16 and torch runs it through oneDNN's LSTM primitive,
    which a CPU without bf16 units (AVX512-BF16 / AMX) has none of with fp32 weights: every forward raises 'could
    not create a primitive descriptor for the LSTM forward propagation primitive' (torch 2.13 on an AVX2 CPU;
    pytorch/pytorch#88136, intel/torch-xpu-ops#4066), which read as the model's own error. Probed once on a tiny
    nn.LSTM, so a CPU (or torch) that has the kernel is not refused."""
    import torch
    from torch import nn

    if device_type != "cpu" or dtype != torch.bfloat16 or not any(isinstance(m, nn.LSTM) for m in model.modules()):
        return None
    error = _cpu_bf16_lstm_error()
    if error is None:
        return None
    return (f"its nn.LSTM cannot run under bf16 autocast on this CPU: torch's oneDNN LSTM kernel refuses bf16 input "
            f"with fp32 weights here (pytorch/pytorch#88136) and raises {error!r}")


@functools.cache
def _cpu_bf16_lstm_error() -> str | None:
    """The error a tiny nn.LSTM raises under CPU bf16 autocast here (its first line), or None when it runs."""
    import torch
    from torch import nn

    lstm = nn.LSTM(2, 2, batch_first=True)
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            lstm(torch.zeros(1, 1, 2))  # (B, T, features)
    except RuntimeError as e:
        return str(e).split(". ")[0].strip()
    return None
