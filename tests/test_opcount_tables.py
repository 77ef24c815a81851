"""Ops a new user's model meets that read "unmodeled" (0 FLOPs, bound unknown) in profile: activations (Hardswish,
Mish, PReLU, GLU, ...), losses (BCE, smooth L1, Huber, margin), interpolation, padding, sorting, pairwise
distances. Each now has a formula (opcount tables); a few are checked by hand here."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from test_opcount_fused import _Count  # noqa: E402

nn = torch.nn
F = torch.nn.functional

ACTIVATIONS = ["ELU", "CELU", "SELU", "Hardshrink", "Hardsigmoid", "Hardswish", "LogSigmoid", "PReLU", "RReLU",
               "Mish", "Softplus", "Softshrink", "Softsign", "Tanhshrink", "GLU"]
LOSSES: dict[str, Callable[[Any], Any]] = {
    "bce": lambda a: F.binary_cross_entropy(torch.sigmoid(a), torch.full_like(a, 0.3)),
    "bce_logits": lambda a: F.binary_cross_entropy_with_logits(a, torch.full_like(a, 0.3)),
    "smooth_l1": lambda a: F.smooth_l1_loss(a, torch.zeros_like(a)),
    "huber": lambda a: F.huber_loss(a, torch.zeros_like(a)),
    "margin": lambda a: F.multi_margin_loss(a, torch.zeros(6, dtype=torch.long)),
    "kl": lambda a: F.kl_div(F.log_softmax(a, -1), torch.full_like(a, 0.25), reduction="batchmean"),
    "reflect_pad": lambda a: F.pad(a.unsqueeze(0), (1, 1), mode="reflect").sum(),
    "replicate_pad": lambda a: F.pad(a.unsqueeze(0), (1, 1), mode="replicate").sum(),
    "linear_interp": lambda a: F.interpolate(a.unsqueeze(0), scale_factor=2, mode="linear").sum(),
    "sort": lambda a: a.sort(-1).values.sum(),
    "topk": lambda a: a.topk(2).values.sum(),
    "cdist": lambda a: torch.cdist(a, a + 1).sum(),
    "cumprod": lambda a: a.cumprod(0).sum(),
    "atan2": lambda a: torch.atan2(a, a + 1).sum(),
}
MODULES: dict[str, Callable[[], Any]] = {
    "AdaptiveMaxPool2d": lambda: nn.AdaptiveMaxPool2d(3),
    "UpsampleNearest": lambda: nn.Upsample(scale_factor=2),
    "UpsampleBilinear": lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
    "PixelShuffle": lambda: nn.PixelShuffle(2),
    "Dropout2d": lambda: nn.Dropout2d(0.2),
    "LocalResponseNorm": lambda: nn.LocalResponseNorm(2),
}


def _train_step(fn: Callable[[Any], Any], x: Any) -> _Count:
    count = _Count()
    with count:
        fn(x).float().sum().backward()
    return count


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_forward_and_backward_are_modeled(name: str) -> None:
    count = _train_step(getattr(nn, name)().train(), torch.randn(2, 4, 8, 8, requires_grad=True))
    assert not count.unmodeled, count.unmodeled


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_padding_sorting_distances_are_modeled(name: str) -> None:
    count = _train_step(LOSSES[name], torch.randn(6, 4, requires_grad=True))
    assert not count.unmodeled, count.unmodeled


@pytest.mark.parametrize("name", sorted(MODULES))
def test_pooling_upsampling_shuffles_are_modeled(name: str) -> None:
    count = _train_step(MODULES[name]().train(), torch.randn(2, 4, 8, 8, requires_grad=True))
    assert not count.unmodeled, count.unmodeled


def test_by_hand() -> None:
    x = torch.randn(2, 4, 8, 8)
    with _Count() as hs:
        nn.Hardswish()(x)
    assert hs.flops == 4 * x.numel()  # x * (x / 6 + 1/2 clamped to [0, 1]): div, add, clamp, mul
    with _Count() as up:
        nn.Upsample(scale_factor=2, mode="bilinear")(x)
    assert up.flops == 7 * 4 * x.numel()  # 4 taps: 4 mul + 3 add per output element, 4x the elements
    with _Count() as srt:
        x.sort(-1)
    assert srt.flops == x.numel() * math.log2(8)  # n log2 n comparisons per row of 8
    a, b = torch.randn(5, 3), torch.randn(7, 3)
    with _Count() as cd:
        torch.cdist(a, b)
    assert cd.flops == 5 * 7 * (3 * 3 + 1)  # per pair: 3 sub, 3 square, 3 add, 1 root


@pytest.mark.parametrize(("make", "shape", "want"), [
    (lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1), (2, 4, 11), (12, 6, 12, 1)),  # 2 x 6 outputs; 4 x 3 taps
    (lambda: nn.Conv3d(2, 4, 3, groups=2), (1, 2, 5, 6, 7), (60, 2, 27, 2)),  # 3 x 4 x 5 outputs per group
    (lambda: nn.Conv2d(64, 64, 3, padding=2, dilation=2, groups=2), (1, 64, 9, 9), (81, 32, 288, 2)),
    (lambda: nn.Conv2d(3, 8, (3, 5), stride=(1, 2), padding=(1, 2)), (2, 3, 8, 9), (80, 8, 45, 1)),
    (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2), (2, 4, 5, 5), (50, 27, 2, 2)),  # 2 x 25 inputs
])
def test_convolutions_conv_cannot_describe_get_their_im2col_gemm(make: Callable[[], Any], shape: tuple[int, ...],
                                                                  want: tuple[int, int, int, int]) -> None:
    """A dilated, 1-D, 3-D, asymmetric or transposed convolution had no geometry, so `simulate run` left its MACs
    out ('ops without MACs to map'); its im2col GEMM now carries them, as many as FlopCounterMode counts."""
    gemms = []

    class _Gemms(_Count):
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            from accelopt.workload import opcount

            out = func(*args, **(kwargs or {}))
            if opcount.base_name(func) == "convolution":
                work = opcount.classify(func, args, kwargs or {}, out)
                gemms.append((work.gemm, work.flops))
            return out

    with _Gemms():
        make()(torch.randn(*shape))
    (gemm, flops), = gemms
    assert (gemm.m, gemm.n, gemm.k, gemm.batch) == want and 2 * gemm.macs == flops
