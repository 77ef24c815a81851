"""Memory layout: channels_last (NHWC) for convolutional nets.

Convolution kernels on tensor cores (cuDNN) and oneDNN on CPU prefer NHWC; with NCHW tensors they
transpose in and out of every conv (PyTorch tutorial "Channels Last Memory Format in PyTorch").
"""

from __future__ import annotations

from typing import Any, ClassVar

from accelopt.optimize.base import Target, Technique, Variant, register
from accelopt.optimize.steps import copy_model, plain_variant
from accelopt.workload.userfile import ModelBundle


def _to_channels_last(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    import torch

    return tuple(x.contiguous(memory_format=torch.channels_last) if isinstance(x, torch.Tensor) and x.dim() == 4
                 else x for x in inputs)


@register
class ChannelsLast(Technique):
    name = "channels-last"
    family = "memory-layout"
    modes = ("train", "inference")
    changes = "weights and 4-D inputs in channels_last (NHWC) memory format"
    risks = "none for the math (same values, other strides); ops without NHWC kernels convert back and forth"
    composable: ClassVar[bool] = True

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        from accelopt.measure.profiler import has_conv2d

        why = super().not_applicable(bundle, target)
        if why:
            return why
        if not has_conv2d(bundle.model):
            return "the model has no 2-D convolutions: channels_last only changes conv layouts"
        inputs, _ = bundle.first_batch()
        if not any(getattr(x, "dim", lambda: 0)() == 4 for x in inputs):
            return "no 4-D (N, C, H, W) input tensor to convert"
        return None

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch

        model = copy_model(bundle, target).to(memory_format=torch.channels_last)
        return plain_variant(self.name, model, bundle, target, prepare_inputs=_to_channels_last)
