"""Mixed precision: bf16 and fp16 autocast (fp16 training with a gradient scaler), TF32 matmuls on NVIDIA GPUs.

Autocast runs matmuls and convolutions in the low-precision dtype and keeps weights, reductions and
the loss in fp32 (PyTorch AMP docs, "Automatic Mixed Precision package - torch.amp"). fp16 has a
5-bit exponent, so small gradients underflow; the GradScaler multiplies the loss before backward and
unscales before the step (Micikevicius et al. 2018, "Mixed Precision Training", sec. 3.2).
"""

from __future__ import annotations

from typing import Any, ClassVar

from accelopt.optimize.base import Target, Technique, Variant, register
from accelopt.optimize.steps import AutocastModule, copy_model, make_train_step, state_dict_saver
from accelopt.workload.amp import autocast_refusal, has_fast_path
from accelopt.workload.userfile import ModelBundle


def _weights_fp32(bundle: ModelBundle) -> bool:
    import torch

    first = next(bundle.model.parameters(), None)
    return first is None or first.dtype == torch.float32


def _baseline_fp32(bundle: ModelBundle, target: Target,
                   why_fp32: str = "autocast needs fp32 master weights") -> str | None:
    if target.dtype != "fp32":
        return f"the baseline already runs {target.dtype} (--dtype {target.dtype}); compare against --dtype fp32"
    if not _weights_fp32(bundle):
        return f"the model's weights are not fp32: {why_fp32}"
    return None


@register
class Bf16Autocast(Technique):
    name = "bf16"
    family = "mixed-precision"
    modes = ("train", "inference")
    changes = "matmuls and convolutions under torch.autocast(dtype=bfloat16); weights stay fp32"
    risks = "bf16 keeps 8 mantissa bits: outputs differ by ~1e-2 relative; rarely a training instability"
    composable: ClassVar[bool] = True
    wraps_model: ClassVar[bool] = True  # AutocastModule around a copy of the user's module

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target) or _baseline_fp32(bundle, target)
        if why is None and target.on_cuda:
            cap = target.cuda_capability() or (0, 0)
            if cap < (8, 0):
                return (f"this GPU (compute capability {cap[0]}.{cap[1]}) has no bf16 tensor cores (needs 8.0+, "
                        "Ampere or newer); try fp16")
        if why is None and not target.on_cuda:
            import torch

            why = autocast_refusal(bundle.model, target.device_type, torch.bfloat16)
        return why

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch

        model = AutocastModule(copy_model(bundle, target), target.device_type, torch.bfloat16)
        notes = [] if target.on_cuda else ["on CPU, bf16 pays off only with AVX512-BF16/AMX units; "
                                           "without them the casts can make it slower (measured below)"]
        if not target.on_cuda and target.mode == "inference" and has_fast_path(bundle.model):  # train: no fast path
            notes.append("nn.MultiheadAttention / TransformerEncoder inference fast path off under CPU autocast (its "
                         "fused fp32 kernel fails on bf16 activations, pytorch/pytorch#132613): the baseline runs it, "
                         "this variant the layers' ordinary modules, as autocast on a GPU does")
        return Variant(technique=self.name, model=model, forward=model,
                       train_step=make_train_step(model, bundle, target) if target.mode == "train" else None,
                       params={}, notes=notes, save=state_dict_saver(model, self.name))


@register
class Fp16Autocast(Technique):
    name = "fp16"
    family = "mixed-precision"
    modes = ("train", "inference")
    changes = "matmuls and convolutions under torch.autocast(dtype=float16); training scales the loss (GradScaler)"
    risks = "fp16's 5-bit exponent overflows above 65504 and underflows small gradients (the scaler guards training)"
    wraps_model: ClassVar[bool] = True  # AutocastModule around a copy of the user's module

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target) or _baseline_fp32(bundle, target)
        if why is None and not target.on_cuda:
            return ("fp16 autocast targets GPU tensor cores; on CPU, PyTorch's fp16 kernels are emulated and slower "
                    "(use bf16 here, or run on a GPU: --device cuda)")
        return why

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch

        model = copy_model(bundle, target)
        fwd = AutocastModule(model, target.device_type, torch.float16)
        step = None
        if target.mode == "train":
            scaler = torch.amp.GradScaler(target.device_type)
            step = make_train_step(model, bundle, target, autocast_dtype=torch.float16, scaler=scaler)
        return Variant(technique=self.name, model=fwd, forward=fwd, train_step=step, params={},
                       notes=["training: torch.amp.GradScaler (dynamic loss scale)"] if step else [],
                       save=state_dict_saver(model, self.name))


def _with_tf32(fn: Any) -> Any:
    """Run `fn` with TF32 matmuls/convolutions allowed, restoring the global flags after (so the interleaved
    baseline keeps running true fp32)."""
    import torch

    def call(*args: Any) -> Any:
        old = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        try:
            return fn(*args)
        finally:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old

    return call


@register
class Tf32(Technique):
    name = "tf32"
    family = "mixed-precision"
    modes = ("train", "inference")
    changes = "fp32 matmuls/convolutions on TF32 tensor cores (torch.backends.cuda.matmul.allow_tf32)"
    risks = "TF32 keeps 10 mantissa bits in the multiply: ~1e-3 relative error per matmul"

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        # not autocast's reason: a float16 model read 'autocast needs fp32 master weights' for tf32, which has none
        why = super().not_applicable(bundle, target) or _baseline_fp32(
            bundle, target, "TF32 changes how fp32 matmuls and convolutions run, and this model has none")
        if why:
            return why
        if not target.on_cuda:
            return "TF32 is a mode of NVIDIA tensor cores (Ampere or newer); this run is on CPU"
        cap = target.cuda_capability() or (0, 0)
        if cap < (8, 0):
            return f"this GPU (compute capability {cap[0]}.{cap[1]}) has no TF32 tensor cores (needs 8.0+)"
        return None

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        model = copy_model(bundle, target)
        step = make_train_step(model, bundle, target) if target.mode == "train" else None
        return Variant(technique=self.name, model=model, forward=_with_tf32(model),
                       train_step=_with_tf32(step) if step else None, params={},
                       save=state_dict_saver(model, self.name))
