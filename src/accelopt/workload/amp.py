"""torch.autocast as every runner enters it (capture, the step profiler, optimize's variants and baseline)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def autocast(device_type: str, dtype: Any, model: Any) -> Iterator[None]:
    """torch.autocast(device_type, dtype=dtype) around a forward of `model`; on a CPU, for a model holding an
    nn.MultiheadAttention or nn.TransformerEncoder(Layer), with their inference fast path off inside it
    (torch.backends.mha.set_fastpath_enabled, put back after).

    torch's guard against autocast on that path asks torch.is_autocast_enabled(), which reads CUDA's autocast only
    (False under CPU autocast, torch 2.13), so an eval-mode encoder given a padding mask ran its fused fp32 kernel on
    bf16 activations: 'expected scalar type Float but found BFloat16' (pytorch/pytorch#132613), and optimize's bf16
    variant of such a model read as the model's own error. With it off, the layers run their ordinary modules, as
    under autocast on a GPU, where the guard turns the fast path off."""
    import torch

    with torch.autocast(device_type, dtype=dtype):
        if device_type != "cpu" or not has_fast_path(model):  # other models: autocast alone, nothing else touched
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
