"""torch's inference fast path for nn.TransformerEncoderLayer and nn.MultiheadAttention, as a workload sees it.

In eval mode under no_grad, eager PyTorch runs a whole encoder layer as one op (aten._transformer_encoder_layer_fwd)
and a self-attention as one (aten._native_multi_head_attention); `profile --save-workload` records those fused ops
(opcount_fused counts their FLOPs). The meta device, on which `plan infer` captures a model, is not one the fast
path takes (torch/nn/modules/transformer.py, `why_not_sparsity_fast_path`: "some Tensor argument's device is
neither one of cpu, cuda or ..."), so the same layer is captured as its unfused ops: projections, attention,
feed-forward, norms and adds, each with its own per-op overhead in the prediction. The notes here say which the
user's number describes; they change no figure.
"""

from __future__ import annotations

from typing import Any

from accelopt.workload.opcount_fused import ENCODER_LAYER, NATIVE_MHA
from accelopt.workload.types import Workload

FAST_PATH_OPS = {ENCODER_LAYER: "nn.TransformerEncoderLayer", NATIVE_MHA: "nn.MultiheadAttention"}
"""The fused fast-path op (its aten name without the 'aten.' prefix) -> the module that runs it."""


def fast_path_modules(model: Any) -> dict[str, list[str]]:
    """Module class label -> the dotted paths of `model`'s modules that can take the fast path: every
    nn.TransformerEncoderLayer, and each nn.MultiheadAttention outside one (the layer's fused op covers its own)."""
    from torch import nn

    out: dict[str, list[str]] = {}
    layers: list[str] = []
    for path, m in model.named_modules():
        if isinstance(m, nn.TransformerEncoderLayer):
            layers.append(path)
            out.setdefault(FAST_PATH_OPS[ENCODER_LAYER], []).append(path)
        elif isinstance(m, nn.MultiheadAttention) and not any(_inside(path, p) for p in layers):
            out.setdefault(FAST_PATH_OPS[NATIVE_MHA], []).append(path)
    return out


def _inside(path: str, root: str) -> bool:
    return root == "" or path == root or path.startswith(root + ".")


def record_unfused(wl: Workload, modules: dict[str, list[str]]) -> None:
    """wl.meta['fast_path_off'] for a capture on the meta device of a model with fast-path modules: how many of
    each, and how many ops they were captured as (op.count summed over the ops those modules issued that read,
    write or compute anything: a view is free, as predict.inference counts it)."""
    if not modules:
        return
    roots = [p for paths in modules.values() for p in paths]
    ops = sum(op.count for op in wl.ops
              if (op.flops > 0 or op.bytes_total > 0) and any(_inside(op.module, r) for r in roots))
    wl.meta["fast_path_off"] = {"modules": {k: len(v) for k, v in modules.items()}, "ops": ops}


def fused_ops(wl: Workload) -> dict[str, int]:
    """Fast-path op name -> how many the workload holds (a profile of an eval-mode model on CPU or CUDA)."""
    out: dict[str, int] = {}
    for op in wl.ops:
        base = op.name.removeprefix("aten.")
        if base in FAST_PATH_OPS:
            out[op.name] = out.get(op.name, 0) + op.count
    return out


def fast_path_note(wl: Workload) -> str | None:
    """What the user's prediction counts for the fast-path modules, and how the other capture counts them; None
    for a workload without any."""
    fused = fused_ops(wl)
    if fused:
        listed = ", ".join(f"{name} x{n}" for name, n in fused.items())
        return (f"{listed}: torch's fused inference fast path as the profile recorded it, each counted as one op with "
                "one per-op overhead, though it runs the layer's projections, attention, feed-forward and norms as "
                "several kernels; `plan infer FILE.py:factory` captures on the meta device, where the fast path is "
                "off, counts those ops one by one and so predicts more per-op overhead (the time of a run without "
                "the fast path: training mode, an ONNX export, a model that disables it)")
    off = wl.meta.get("fast_path_off")
    if not isinstance(off, dict):
        return None
    counts = off.get("modules", {})
    mods = ", ".join(f"{n} {label}" for label, n in counts.items())
    names = ", ".join(f"aten.{op}" for op, label in FAST_PATH_OPS.items() if label in counts)
    return (f"{mods}: torch's inference fast path (one fused op per module in eager PyTorch under eval and "
            f"no_grad, {names}) does not run on the meta device this capture uses, so they are "
            f"captured as {off.get('ops')} unfused ops, each priced with its own per-op overhead (but an activation "
            "folded into its producer); a workload saved by "
            "`profile --mode inference --save-workload` on the fast path counts one op per module and predicts less "
            "overhead (a fast-path run still launches several kernels per module)")
