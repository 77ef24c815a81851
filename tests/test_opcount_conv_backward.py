"""A convolution's backward counts dX + dW = 2 x its forward's FLOPs, grouped and depthwise ones included.

torch 2.13's FlopCounterMode formula (torch.utils.flop_counter.conv_backward_flop) counts grad_weight as
conv_flop_count over the transposed shapes, which multiplies by all Cin channels instead of Cin/g: a depthwise conv's
backward read (1 + g) x the forward (a 3x3 on 16 channels: 17x, 1,400,256 FLOPs for 2 x 82,368). Each gradient is
one GEMM of the forward's MACs per group (dX = dY @ W, dW = dY^T @ im2col(X)), so the counts here are by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

from accelopt.workload import opcount  # noqa: E402


class _ConvFlops(TorchDispatchMode):
    """FLOPs opcount gives each convolution / convolution_backward call, by op name."""

    def __init__(self) -> None:
        super().__init__()
        self.flops: dict[str, list[float]] = {"convolution": [], "convolution_backward": []}

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        name = opcount.base_name(func)
        if name in self.flops:
            self.flops[name].append(opcount.classify(func, args, kwargs or {}, out).flops)
        return out


def _run(make: Callable[[], Any], shape: tuple[int, ...], input_grad: bool) -> _ConvFlops:
    layer, x = make(), torch.randn(*shape, requires_grad=input_grad)
    with _ConvFlops() as seen:
        layer(x).sum().backward()
    return seen


CASES = [  # (layer, input shape, forward MACs by hand: N x output positions x Cout x Cin/g x kernel taps)
    (lambda: nn.Conv2d(16, 16, 3, padding=1, groups=16), (2, 16, 13, 11), 2 * 13 * 11 * 16 * 1 * 9),  # depthwise
    (lambda: nn.Conv2d(16, 32, 3, padding=2, dilation=2, groups=4), (2, 16, 9, 7), 2 * 9 * 7 * 32 * 4 * 9),
    (lambda: nn.Conv2d(8, 8, 3), (1, 8, 6, 6), 1 * 4 * 4 * 8 * 8 * 9),  # groups 1: torch's count was right
    (lambda: nn.Conv1d(12, 12, 5, groups=12), (3, 12, 20), 3 * 16 * 12 * 1 * 5),
    # transposed, weight (Cin, Cout/g, k): MACs = N x input positions x Cin x Cout/g x kernel taps
    (lambda: nn.ConvTranspose2d(8, 6, 2, stride=2, groups=2), (2, 8, 5, 4), 2 * 5 * 4 * 8 * 3 * 4),
]


@pytest.mark.parametrize(("make", "shape", "macs"), CASES)
def test_conv_backward_is_twice_the_forward(make: Callable[[], Any], shape: tuple[int, ...], macs: int) -> None:
    seen = _run(make, shape, input_grad=True)
    (forward,), (backward,) = seen.flops["convolution"], seen.flops["convolution_backward"]
    assert forward == 2 * macs
    assert backward == 2 * forward  # dX + dW, each the forward's MACs


@pytest.mark.parametrize(("make", "shape", "macs"), CASES)
def test_first_layer_backward_computes_dw_alone(make: Callable[[], Any], shape: tuple[int, ...], macs: int) -> None:
    """An input that needs no gradient (a model's first layer): only dW runs, the forward's FLOPs."""
    seen = _run(make, shape, input_grad=False)
    assert seen.flops["convolution_backward"] == [2 * macs]


def test_depthwise_figure_of_the_report() -> None:
    """The routed finding's layer: 82,368 forward FLOPs; its backward read 1,400,256 (17x), now 164,736."""
    seen = _run(CASES[0][0], CASES[0][1], input_grad=True)
    assert seen.flops["convolution"] == [82_368] and seen.flops["convolution_backward"] == [164_736]
    assert math.isclose(1_400_256 / 82_368, 1 + 16)
