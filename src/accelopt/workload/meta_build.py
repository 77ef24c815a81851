"""Building a model on PyTorch's meta device when only its shapes are read (a capture that counts FLOPs and bytes):
no weight memory and no initialisation, so a model of any size is built in seconds. Code that needs values
(`.item()`, a tensor made from data with a CPU generator, `.to("cpu")`) raises there; the caller then builds it as
usual, and says why (`meta_build_error`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from accelopt.errors import first_line

T = TypeVar("T")

META_BUILT = "built on PyTorch's meta device: shapes only"
"""How a description says a model was built on meta (simulate's source line, plan infer's notes)."""


def build_on_meta(build: Callable[[], T]) -> tuple[T | None, str]:
    """(build() run under torch.device("meta"), '') , or (None, why) when it raised there: 'Type: first line' of
    the code's own exception (the cause of an accelopt error wrapping it, e.g. load_user_factory's)."""
    import torch

    try:
        with torch.device("meta"):
            return build(), ""
    except Exception as e:  # any: the caller builds it again as usual, which raises a real error as it always did
        cause = e.__cause__ or e
        return None, f"{type(cause).__name__}: {first_line(cause)}"


def cpu_attention_on_meta() -> Any:
    """A TorchFunctionMode (a context manager) that runs F.scaled_dot_product_attention on meta tensors with the
    kernel the CPU would choose. Meta has no fused attention, so torch's dispatcher picks the math path there (bmm,
    softmax, bmm: 16.19 MFLOP for zoo gpt:tiny) where the CPU runs one fused
    _scaled_dot_product_flash_attention_for_cpu (16.06 MFLOP): a capture on meta then differs from one on the CPU.
    The CPU's choice is asked of torch._fused_sdp_choice on uninitialised CPU tensors of the same shapes, strides
    and dtypes (torch.empty_strided: pages never touched), outside any capture; a boolean mask or grouped-query
    attention (converted or expanded before the kernel on the CPU) is left to torch."""
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import _disable_current_modes

    def on_cpu(t: Any) -> Any:
        return torch.empty_strided(t.shape, t.stride(), dtype=t.dtype, device="cpu")

    class Mode(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            if func is F.scaled_dot_product_attention:
                routed = _flash_for_cpu(args, kwargs)
                if routed is not None:
                    return routed
            return func(*args, **kwargs)

    def _flash_for_cpu(args: Any, kwargs: Any) -> Any:
        names = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
        a = {**dict(zip(names, args, strict=False)), **kwargs}
        q, k, v, mask = a["query"], a["key"], a["value"], a.get("attn_mask")
        if not all(isinstance(t, torch.Tensor) and t.is_meta for t in (q, k, v)) or a.get("enable_gqa"):
            return None
        if mask is not None and (not isinstance(mask, torch.Tensor) or mask.dtype == torch.bool):
            return None
        dropout_p, is_causal, scale = a.get("dropout_p", 0.0), a.get("is_causal", False), a.get("scale")
        with _disable_current_modes():  # the question is not part of the model: no capture records it
            choice = torch._fused_sdp_choice(on_cpu(q), on_cpu(k), on_cpu(v), None if mask is None else on_cpu(mask),
                                             dropout_p, is_causal, scale=scale)
        if choice != SDPBackend.FLASH_ATTENTION.value:
            return None
        return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
            q, k, v, dropout_p, is_causal, attn_mask=mask, scale=scale)[0]

    return Mode()
