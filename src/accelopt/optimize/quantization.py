"""Post-training quantization of Linear layers with torchao's `quantize_` API (inference).

- int8-weight-only: Int8WeightOnlyConfig; weights stored in int8 with a per-channel scale, dequantized inside
  the matmul. Saves memory and bandwidth; on a CPU the dequantize often costs more than it saves (measured:
  the runner's table says which).
- int8-dynamic: Int8DynamicActivationInt8WeightConfig; activations quantized per token at run time, int8 x
  int8 matmul. The compute-bound path on CPUs with VNNI and on GPUs.
- int4-weight-only: Int4WeightOnlyConfig (group-wise, bf16 activations); needs a CUDA GPU of compute
  capability 8.0+ (torchao's tile-packed layout on torch's tinygemm kernel; no other kernel library).
- float8-dynamic: Float8DynamicActivationFloat8WeightConfig; needs a CUDA GPU with fp8 tensor cores (compute
  capability 8.9+: Ada, Hopper, Blackwell).

torchao is imported lazily (`pip install torchao`). Sizes are of the quantized state dict as torch.save
writes it (torchao's tensor subclasses serialize their int8/int4 data and scales).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

from accelopt.errors import UnsupportedError
from accelopt.optimize.base import OptionSpec, Target, Technique, Variant, applicable_of, register
from accelopt.optimize.compress import (
    already_quantized,
    copy_model,
    linear_count,
    state_dict_bytes,
    state_dict_saver,
    tied_groups,
    untied_notes,
)
from accelopt.workload.userfile import ModelBundle

__all__ = ["Float8Dynamic", "Int4WeightOnly", "Int8Dynamic", "Int8WeightOnly", "import_torchao"]

INSTALL_FIX = "pip install torchao (a release built for your torch; accelopt is tested with torchao 0.18)"
INT4_PACKING = "tile_packed_to_4d"
"""torchao's Int4PackingFormat for int4-weight-only: tinygemm's layout (inputs padded to multiples of 1024)."""


@contextlib.contextmanager
def _quiet_import() -> Iterator[None]:
    """torchao logs a warning per optional CUDA extension it cannot load (all of them on a CPU build): noise."""
    loggers = [logging.getLogger(n) for n in ("torchao", "torch.utils._pytree")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def import_torchao() -> Any:
    """The torchao.quantization module, or UnsupportedError saying how to install it."""
    try:
        with _quiet_import():
            import torchao.quantization as q
    except Exception as e:  # ImportError, or a torchao built against another torch failing at import
        raise UnsupportedError(f"torchao cannot be imported ({type(e).__name__}: {e})", INSTALL_FIX) from e
    return q


def torchao_version() -> str:
    import torchao

    return str(getattr(torchao, "__version__", "?"))


class _TorchAOQuant(Technique):
    """Shared logic: copy, quantize_ with a config, measure size; subclasses give the config and limits."""

    family: ClassVar[str] = "quantization"
    lossy: ClassVar[bool] = True
    modes: ClassVar[tuple[str, ...]] = ("inference",)
    composable: ClassVar[bool] = True
    made_for_compile: ClassVar[bool] = True  # torchao's README: quantize_(model, config), then torch.compile(model)
    min_capability: ClassVar[tuple[int, int] | None] = None
    """CUDA compute capability the kernels need; None: any device (CPU included)."""
    weight_dtype: ClassVar[str | None] = None
    """Dtype the model is cast to before quantizing (int4/fp8 kernels take bf16 activations); None: keep."""

    def config(self, options: dict[str, Any]) -> Any:
        raise NotImplementedError

    def filter_fn(self, options: dict[str, Any]) -> Any:
        """Which Linear layers to quantize (torchao's default: every nn.Linear)."""
        return None

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target) or already_quantized(bundle, self.name)
        if why:
            return why
        if self.min_capability is not None:
            need = ".".join(map(str, self.min_capability))
            if not target.on_cuda:  # on a CPU target, only those that apply here are offered
                cpu = target if target.device_type == "cpu" else dataclasses.replace(target, device="cpu")
                here = applicable_of(["int8-dynamic", "onnx-int8"], bundle, cpu)  # mps too: those apply on a CPU
                return (f"{self.name} runs on NVIDIA GPUs of compute capability {need}+ (torchao kernels); "
                        f"the target is {target.device}" + (f" — use {' or '.join(here)} on a CPU" if here else ""))
            cap = target.cuda_capability()
            if cap is None or cap < self.min_capability:  # as on a CPU: only those that apply to the model
                here = applicable_of(["int8-weight-only", "int8-dynamic"], bundle, target)
                return (f"{self.name} needs compute capability {need}+; {target.device} has "
                        f"{'.'.join(map(str, cap or ()))}" + (f" — use {' or '.join(here)}" if here else ""))
        if linear_count(bundle.model) == 0:  # the ONNX technique that applies to this model, not one that refuses it
            other = {"onnx-int8": "onnx-int8 (ONNX Runtime quantizes MatMul, Gather and LSTM weights too)",
                     "onnx-int8-static": "onnx-int8-static"}
            here = applicable_of(list(other), bundle, target)
            return (f"{bundle.name} has no nn.Linear layer, which is what torchao quantizes"
                    + (f" — use {other[here[0]]}" if here else ""))
        if _has_float64_linear(bundle.model):  # torchao asserted 'Unsupported input dtype: torch.float64'
            onnx = applicable_of(["onnx-int8"], bundle, target)  # not on a CUDA target: ONNX Runtime's CPU path
            return (f"{bundle.name}'s nn.Linear weights are float64, which torchao's int8/int4/float8 kernels do not "
                    "take — return model.float() (and float32 inputs) from the factory"
                    + (", or use onnx-int8 (exported from an fp32 copy)" if onnx else ""))
        try:
            import_torchao()
        except UnsupportedError as e:
            return f"{e.problem} — {e.fix}"
        return None

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch

        q = import_torchao()
        cfg = self.config(options)
        t0 = time.perf_counter()
        model = copy_model(bundle, target)
        fp32_bytes, ties = state_dict_bytes(model), tied_groups(model)
        coverage = _coverage_text(model, self.filter_fn(options))
        if self.weight_dtype == "bf16":
            model = model.to(torch.bfloat16)
        with _quiet_import():
            q.quantize_(model, cfg, filter_fn=self.filter_fn(options))
        setup_s = time.perf_counter() - t0
        size = state_dict_bytes(model)
        which = " with in_features divisible by the group size, out_features by 8" if self.filter_fn(options) else ""
        notes = [f"torchao {torchao_version()} {type(cfg).__name__} on every nn.Linear{which}; other layers stay "
                 f"as they were{coverage}",
                 f"size {size:,} bytes vs {fp32_bytes:,} before (torch.save of the state dict)"]
        if self.weight_dtype == "bf16":
            notes.append("model cast to bf16 first (the kernels take bf16 activations)")
        notes += untied_notes(ties, model, "torchao quantized the nn.Linear's copy, the other holder (e.g. an "
                              "embedding) keeps the original")
        notes += self.extra_notes(target) + self.model_notes(model, options)
        # the bf16 cast of the inputs is prepare_inputs, not a wrapper of forward: a technique chained after this one
        # (compile) takes the model and its prepared inputs, as Technique.composable says
        prepare = None if self.weight_dtype is None else _cast_inputs(torch.bfloat16)
        return Variant(technique=self.name, model=model, forward=model, setup_s=setup_s, size_bytes=size,
                       params=dict(options), notes=notes, save=state_dict_saver(model, self.name),
                       prepare_inputs=prepare)

    def extra_notes(self, target: Target) -> list[str]:
        return []

    def model_notes(self, model: Any, options: dict[str, Any]) -> list[str]:
        """Notes on the quantized model's layers (after quantize_)."""
        return []


def _cast_inputs(dtype: Any) -> Any:
    """prepare_inputs: the inputs tuple with its floating tensors cast to `dtype` (integer token ids unchanged)."""

    def prepare(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(x.to(dtype) if getattr(x, "is_floating_point", lambda: False)() else x for x in inputs)

    return prepare


@register
class Int8WeightOnly(_TorchAOQuant):
    name = "int8-weight-only"
    changes = "Linear weights stored as int8 with per-channel scales (torchao), dequantized in the matmul"
    risks = "small accuracy loss; on CPUs often slower than fp32 (dequantize cost), smaller in memory"

    def config(self, options: dict[str, Any]) -> Any:
        return import_torchao().Int8WeightOnlyConfig()

    def extra_notes(self, target: Target) -> list[str]:
        if target.on_cuda:
            return []
        return ["on a CPU, weight-only int8 saves memory, not time: the weights are dequantized to fp32 "
                "before each matmul (see the measured latency)"]


@register
class Int8Dynamic(_TorchAOQuant):
    name = "int8-dynamic"
    changes = "Linear weights int8, activations quantized to int8 per token at run time, int8 matmuls (torchao)"
    risks = "accuracy loss on layers with activation outliers; quantize cost per call on small batches"

    def config(self, options: dict[str, Any]) -> Any:
        return import_torchao().Int8DynamicActivationInt8WeightConfig()

    def extra_notes(self, target: Target) -> list[str]:
        if target.on_cuda:
            return []
        return ["on a CPU, quantizing the activations at every call can cost more than the int8 matmuls save "
                "when the Linear layers are small (see the measured latency); onnx-int8 is the CPU path"]


@register
class Int4WeightOnly(_TorchAOQuant):
    name = "int4-weight-only"
    option_specs: ClassVar[dict[str, OptionSpec]] = {"group_size": OptionSpec(128, int, lo=32, hi=256)}
    changes = "Linear weights int4 in groups along the input dimension with bf16 scales (torchao), bf16 compute"
    risks = "larger accuracy loss than int8 (4 bits); memory-bound decoding gains most, big batches little"
    min_capability = (8, 0)
    weight_dtype = "bf16"

    def config(self, options: dict[str, Any]) -> Any:
        group = self.opt(options, "group_size")
        # tinygemm's tile-packed layout runs on torch's own CUDA kernels (aten._weight_int4pack_mm, compute
        # capability 8.0+); torchao 0.18's default 'plain' layout needs the separate mslk library, which raised
        # "ImportError: Requires mslk >= 1.0.0" on the H200 run of 2026-12-04 (benchmarks/results/gpu_nvidia-h200)
        return import_torchao().Int4WeightOnlyConfig(group_size=group, int4_packing_format=INT4_PACKING)

    def filter_fn(self, options: dict[str, Any]) -> Any:
        from torch import nn

        group = self.opt(options, "group_size")

        def keep(module: Any, fqn: str) -> bool:
            # int4 kernels pack the input dimension in groups and tile outputs by 8 (torchao's tinygemm layout)
            return isinstance(module, nn.Linear) and module.in_features % group == 0 and module.out_features % 8 == 0

        return keep

    def model_notes(self, model: Any, options: dict[str, Any]) -> list[str]:
        padded = _padded_int4_layers(model)
        if not padded:
            return []
        return [f"{len(padded)} quantized layer(s) with in_features not a multiple of {INT4_K_MULTIPLE} "
                f"({', '.join(padded[:3])}{', ...' if len(padded) > 3 else ''}) are zero-padded to one by "
                "tinygemm's layout: their int4 weights are larger than in_features alone needs"]


INT4_K_MULTIPLE = 1024
"""torchao's Int4TilePackedTo4dTensor.from_hp pads in_features to a multiple of 1024 (find_multiple(k, 1024))."""


def _padded_int4_layers(model: Any) -> list[str]:
    """Names of the Linear layers holding torchao's tile-packed int4 weight whose in_features is padded."""
    from torch import nn

    return [name for name, m in model.named_modules()
            if isinstance(m, nn.Linear) and "Int4" in type(m.weight).__name__
            and m.in_features % INT4_K_MULTIPLE != 0]


@register
class Float8Dynamic(_TorchAOQuant):
    name = "float8-dynamic"
    changes = "Linear weights and activations in float8 e4m3 with dynamic scales (torchao), fp8 tensor-core matmuls"
    risks = "accuracy loss from 3 mantissa bits; needs fp8 tensor cores (compute capability 8.9+)"
    min_capability = (8, 9)
    weight_dtype = "bf16"

    def config(self, options: dict[str, Any]) -> Any:
        q = import_torchao()
        return q.Float8DynamicActivationFloat8WeightConfig(granularity=q.PerRow())



def _coverage_text(model: Any, keep: Any) -> str:
    """What share of the model's parameters the quantized nn.Linear weights are (each tensor once: a tied head
    counts once), and which layer types hold the other weights (left in float): on a Hugging Face GPT-2, whose
    blocks are Conv1D layers, only the tied lm_head (22.8% of the parameters) was quantized, and the note said
    'every nn.Linear' beside a file 6% larger. '' when they are (nearly) all of it."""
    from torch import nn

    linears = [m for name, m in model.named_modules()
               if isinstance(m, nn.Linear) and (keep is None or keep(m, name))]
    quantized = {id(m.weight): m.weight.numel() for m in linears}
    total = sum(p.numel() for p in model.parameters())
    if not total or sum(quantized.values()) >= 0.9 * total:
        return ""
    # by holder, not by tensor: an embedding tied to a quantized head keeps its float original (torchao quantizes the
    # Linear's copy and unties them), and the list left it out ('left in float: MultiheadAttention, TinyLM' on a
    # tied-embedding LM whose Embedding stayed fp32)
    quantized_holders = {id(m) for m in linears}
    kinds = sorted({type(m).__name__ for m in model.modules()
                    if id(m) not in quantized_holders and any(p.dim() > 1 for p in m.parameters(recurse=False))})
    share = sum(quantized.values())
    return (f"; the quantized weights are {share:,} of the model's {total:,} parameters ({share / total:.1%}); "
            f"left in float: {', '.join(kinds) or 'biases and norms'}")


def _has_float64_linear(model: Any) -> bool:
    import torch
    from torch import nn

    return any(m.weight.dtype == torch.float64 for m in model.modules() if isinstance(m, nn.Linear))
