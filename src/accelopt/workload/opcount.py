"""Per-aten-op work model used by `capture`: kind, FLOPs, bytes, GEMM/conv geometry.

FLOPs count 2 per multiply-accumulate (DESIGN.md). Matmul, conv and (CUDA) attention FLOPs come
from `torch.utils.flop_counter.flop_registry`, the table FlopCounterMode uses, so both agree
exactly, except a grouped conv's backward, whose weight-gradient term torch counts g x too high
(`conv_backward_flops`). Ops that table omits get a formula here (CPU flash attention, mv, dot) or the
per-element table `ELEMENT_FLOPS` below; fused recurrent layers (LSTM/GRU/RNN) and the transformer
encoder fast path get theirs in `opcount_fused`.

Per-element FLOP table: the number of arithmetic or special-function operations (exp, erf, sqrt
each count 1) in the op's defining formula, per output element (per input element for
reductions). These are the usual counting conventions of FLOP profilers (e.g. fvcore and the
DeepSpeed flops profiler count one FLOP per element for elementwise ops); ops with longer
formulas are spelled out beside their entry.
Bytes: each distinct input tensor read once and each output/mutated tensor written once, sized
min(numel * itemsize, storage bytes) so broadcast (stride-0) views are not over-counted. Views,
metadata ops and bare allocations move no data and count 0 bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accelopt.workload.opcount_fused import FUSED_OPS, fused_work, named_args
from accelopt.workload.types import Conv, Gemm

# ---- per-element FLOPs (see module docstring)
ELEMENT_FLOPS: dict[str, float] = {
    # 1 op per element
    **dict.fromkeys(
        ["add", "sub", "rsub", "mul", "div", "neg", "relu", "threshold_backward", "abs", "maximum", "minimum",
         "clamp", "clamp_min", "clamp_max", "where", "masked_fill", "eq", "ne", "lt", "le", "gt", "ge", "sign",
         "reciprocal", "sqrt", "rsqrt", "exp", "log", "tanh", "sigmoid", "erf", "pow", "square", "le_scalar",
         "logical_not", "logical_and", "logical_or", "bitwise_and", "bitwise_or", "bitwise_not", "floor", "ceil",
         "round", "trunc", "remainder", "fmod", "sin", "cos", "exp2", "log2", "log1p", "expm1", "hardtanh",
         "leaky_relu", "relu6", "max_pool_backward_mask"], 1.0),
    "addcmul": 3.0,  # x + value * t1 * t2
    "addcdiv": 3.0,  # x + value * t1 / t2
    "lerp": 3.0,  # a + w * (b - a)
    "tanh_backward": 3.0,  # g * (1 - y^2)
    "sigmoid_backward": 3.0,  # g * y * (1 - y)
    "gelu": 5.0,  # 0.5 * x * (1 + erf(x / sqrt 2)): div, erf, add, mul, mul
    "gelu_backward": 9.0,  # g * (cdf + x * pdf): erf, exp, ~7 mul/add
    "silu": 4.0,  # x * sigmoid(x): neg, exp, add, div
    "silu_backward": 7.0,
    "hardtanh_backward": 2.0,
    "leaky_relu_backward": 2.0,
    "native_dropout": 2.0,  # compare with threshold, scale
    "native_dropout_backward": 2.0,  # mask * scale * g
    "elu": 3.0,
    "softplus": 3.0,
    # special functions and one-op forms not above (1 each, as exp and erf)
    **dict.fromkeys(
        ["sgn", "erfinv", "erfc", "lgamma", "digamma", "polygamma", "atan2", "atan", "asin", "acos", "sinh", "cosh",
         "asinh", "acosh", "atanh", "tan", "sinc", "i0", "isnan", "isinf", "isfinite", "signbit", "nan_to_num",
         "heaviside", "copysign", "fmax", "fmin", "hardshrink", "hardshrink_backward", "threshold",
         "softshrink_backward", "rrelu_with_noise_backward", "bitwise_xor", "logical_xor"], 1.0),
    # activations, counting the ops of their defining formula in the PyTorch docs (torch.nn.<Name>)
    "frac": 2.0,  # x - trunc(x)
    "xlogy": 2.0,  # x * log(y)
    "logit": 3.0,  # log(x / (1 - x)): sub, div, log
    "hypot": 4.0,  # sqrt(x^2 + y^2)
    "logaddexp": 4.0,  # max + log1p(exp(-|x - y|)): sub, abs, exp, log1p (+ max, add folded as 1 each -> estimate)
    "softshrink": 2.0,  # compare-and-select, subtract lambda
    "hardsigmoid": 3.0,  # x / 6 + 1/2 clamped to [0, 1]: div, add, clamp
    "hardsigmoid_backward": 2.0,  # range test, g / 6
    "hardswish": 4.0,  # x * hardsigmoid(x)
    "hardswish_backward": 4.0,  # range test, g * (2x + 3) / 6: mul, add, mul
    "log_sigmoid_forward": 5.0,  # min(x, 0) - log1p(exp(-|x|)): abs, neg, exp, log1p, min-sub
    "log_sigmoid_backward": 4.0,  # g * (1 - sigmoid(x)) from the saved buffer
    "celu": 5.0,  # max(0, x) + min(0, a * (exp(x / a) - 1)): div, exp, sub, mul, select
    "elu_backward": 2.0,  # select, g * (y + a) or g * scale
    "mish": 4.0,  # x * tanh(softplus(x)): exp, log1p, tanh, mul
    "mish_backward": 9.0,  # sigmoid, tanh(softplus), and their product rule (~9 mul/add; estimate)
    "softplus_backward": 4.0,  # g * sigmoid(beta * x): mul, exp, div, mul
    "rrelu_with_noise": 2.0,  # draw slope, select-multiply
    "_prelu_kernel": 2.0,  # x > 0 ? x : w * x
    "_prelu_kernel_backward": 3.0,  # select, g * w (input grad), g * x (weight grad)
    "glu": 2.0,  # a * sigmoid(b), per output element
    "glu_backward": 3.0,  # half the grad elements g * sigmoid(b) (2), half g * a * s * (1 - s) (4)
}

SOFTMAX_FLOPS: dict[str, float] = {
    "_softmax": 5.0,  # max, sub, exp, sum, div
    "_log_softmax": 5.0,  # max, sub, exp, sum, sub(log)
    "_softmax_backward_data": 4.0,  # g*y, sum, sub, mul
    "_log_softmax_backward_data": 4.0,  # exp, sum, mul, sub
    "_safe_softmax": 6.0,  # softmax (5) that writes 0 for fully masked rows instead of NaN: + a select
}

NORM_FLOPS: dict[str, float] = {
    # LayerNorm/BatchNorm forward: mean (add), center (sub), variance (mul, add), normalize (mul),
    # affine (mul, add) = 7 per element.
    "native_layer_norm": 7.0,
    "native_batch_norm": 7.0,
    "_native_batch_norm_legit": 7.0,
    "_native_batch_norm_legit_no_training": 4.0,  # eval: precomputed stats -> sub, mul, mul, add
    "native_group_norm": 7.0,
    "_fused_rms_norm": 5.0,  # square, add (mean), mul (rsqrt), mul (weight) + rsqrt per row
    # Backward of the above: d(x_hat), two row reductions and the recombination, ~2x the forward's
    # element work (estimate; the exact count depends on the kernel).
    "native_layer_norm_backward": 14.0,
    "native_batch_norm_backward": 14.0,
    "native_group_norm_backward": 14.0,
    "_fused_rms_norm_backward": 10.0,
}

REDUCTION_OPS = frozenset({
    "sum", "mean", "amax", "amin", "max", "min", "var", "std", "var_mean", "std_mean", "norm",
    "linalg_vector_norm", "cumsum", "prod", "argmax", "argmin",
    "logsumexp", "any", "all", "_adaptive_avg_pool2d", "adaptive_avg_pool2d", "mse_loss",
    "cumprod", "cummax", "cummin", "logcumsumexp", "adaptive_max_pool2d", "adaptive_max_pool3d", "_adaptive_avg_pool3d",
    "scatter_reduce", "count_nonzero", "nansum", "aminmax",
})
REDUCTION_FROM_OUTPUT_GRAD = frozenset({
    # backward of a reduction: one op per element of the (broadcast) gradient written
    "_adaptive_avg_pool2d_backward", "mse_loss_backward", "_adaptive_avg_pool3d_backward",
    "adaptive_max_pool2d_backward", "adaptive_max_pool3d_backward",
})
LOSS_FLOPS: dict[str, float] = {
    # per element of the prediction (the largest tensor argument), the ops of the loss's formula (PyTorch docs)
    "binary_cross_entropy": 8.0,  # -w (y log x + (1 - y) log(1 - x)): log, mul, sub, log, mul, add, neg, sum
    "binary_cross_entropy_backward": 5.0,  # g * (x - y) / (x * (1 - x)): sub, sub, mul, div, mul
    "binary_cross_entropy_with_logits": 7.0,  # (1 - y) x + log1p(exp(-x)), stable form: ~6 ops, sum
    "smooth_l1_loss": 5.0,  # d = x - y; |d| < b ? d^2 / 2b : |d| - b/2; sum
    "smooth_l1_loss_backward": 4.0,
    "huber_loss": 5.0,
    "huber_loss_backward": 4.0,
    "multi_margin_loss": 4.0,  # max(0, margin - x[y] + x[i]): sub, add, max, sum
    "multi_margin_loss_backward": 3.0,
    "soft_margin_loss": 5.0,  # log(1 + exp(-y x)): mul, neg, exp, log1p, sum
    "soft_margin_loss_backward": 5.0,
    "l1_loss": 3.0,  # |x - y|, sum
    "dist": 3.0,  # p-norm of x - y: sub, pow, sum (root once)
    "_cdist_forward": 0.0,  # counted by cdist_flops (per pair of rows)
}
UPSAMPLE_TAPS: dict[str, int] = {
    # input points an output element interpolates from (nearest: 1, linear: 2, bilinear: 4, bicubic: 16, ...)
    "upsample_nearest1d": 1, "upsample_nearest2d": 1, "upsample_nearest3d": 1, "_upsample_nearest_exact1d": 1,
    "_upsample_nearest_exact2d": 1, "_upsample_nearest_exact3d": 1, "upsample_linear1d": 2,
    "upsample_bilinear2d": 4, "_upsample_bilinear2d_aa": 4, "upsample_bicubic2d": 16, "_upsample_bicubic2d_aa": 16,
    "upsample_trilinear3d": 8,
}
"""Forward: a weighted sum of the taps, 2 x taps - 1 FLOPs per output element (nearest: a copy, 0); backward:
each grad_output element scattered to the taps, 2 x taps per grad_output element (nearest: 1 add)."""
NLL_OPS = frozenset({"nll_loss_forward", "nll_loss2d_forward", "nll_loss_backward", "nll_loss2d_backward"})
"""Negative log-likelihood picks one log-probability per target (a gather) and sums/scatters it:
one FLOP per target element, forward and backward (the backward's zero fill is memory traffic)."""
POOL_OPS = frozenset({"max_pool2d_with_indices", "avg_pool2d", "max_pool2d_with_indices_backward",
                      "avg_pool2d_backward", "max_pool3d_with_indices", "avg_pool3d", "avg_pool3d_backward",
                      "max_pool3d_with_indices_backward"})
GATHER_OPS = frozenset({"embedding", "_embedding_bag", "_embedding_bag_forward_only"})
"""Table lookups (weight, indices, ...): the weight is read only at the looked-up rows (gathered_rows_bytes)."""
EMBEDDING_OPS = frozenset({"embedding", "_embedding_bag_forward_only", "embedding_dense_backward", "_embedding_bag",
                           "embedding_backward", "_embedding_bag_backward", "_embedding_bag_dense_backward"})
ALLOC_OPS = frozenset({"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided",
                       "resize_", "set_", "_local_scalar_dense", "lift_fresh", "sym_size", "sym_stride",
                       "sym_numel", "is_same_size", "_has_compatible_shallow_copy_type",
                       # views whose schema carries no alias annotation
                       "_unsafe_view", "_reshape_alias", "alias", "unsafe_split", "unsafe_split_with_sizes",
                       "unsafe_chunk", "_nested_tensor_from_mask_left_aligned",
                       # in-place views: they rewrite self's sizes and strides, not its data
                       "transpose_", "t_", "squeeze_", "unsqueeze_", "as_strided_", "swapdims_", "swapaxes_",
                       "detach_",
                       # profiler markers (optimizer.step is wrapped in record_function)
                       "_record_function_enter", "_record_function_enter_new", "_record_function_exit"})
"""Ops that move no data: allocations, metadata queries, un-annotated views, profiler markers."""
OVERWRITE_OPS = frozenset({"copy_", "fill_", "zero_", "normal_", "uniform_", "random_", "bernoulli_",
                           "exponential_", "index_put_"})
"""In-place ops that only write their `self` argument (so it is not counted as read)."""
MEMORY_OPS = frozenset({"copy", "_to_copy", "clone", "cat", "stack", "index", "index_select", "gather",
                        "scatter", "scatter_add", "index_put", "index_add", "constant_pad_nd", "zeros",
                        "zeros_like", "ones", "ones_like", "full", "full_like", "arange", "fill", "zero",
                        "randint", "rand", "randn", "randperm", "tril", "triu", "flip", "roll", "repeat",
                        "masked_select", "nonzero", "_unsafe_index", "new_zeros", "new_ones", "new_full",
                        "scalar_tensor", "_foreach_copy", "split_with_sizes_copy", "_to_dtype",
                        # backward of slicing/indexing: zero-fill + strided copy, no arithmetic
                        "slice_backward", "select_backward", "unfold_backward", "diagonal_backward",
                        "as_strided_scatter", "slice_scatter", "select_scatter", "masked_scatter", "index_fill",
                        "_unsafe_index_put", "expand_copy", "permute_copy", "view_copy", "transpose_copy",
                        "contiguous", "_copy_from", "_copy_from_and_resize",
                        # padded <-> nested tensors (the transformer encoder fast path with a padding mask)
                        "_nested_tensor_from_mask", "to_padded_tensor",
                        # random fills (as rand/randn above), padding and pixel rearrangements: no arithmetic
                        "bernoulli", "rand_like", "randn_like", "randint_like", "normal", "uniform", "random",
                        "exponential", "multinomial", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d",
                        "replication_pad1d", "replication_pad2d", "replication_pad3d", "reflection_pad1d_backward",
                        "reflection_pad2d_backward", "reflection_pad3d_backward", "replication_pad1d_backward",
                        "replication_pad2d_backward", "replication_pad3d_backward", "pixel_shuffle",
                        "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"})
SDPA_CPU = "_scaled_dot_product_flash_attention_for_cpu"
SDPA_CPU_BWD = "_scaled_dot_product_flash_attention_for_cpu_backward"


@dataclass(frozen=True)
class OpWork:
    kind: str
    flops: float
    gemm: Gemm | None = None
    conv: Conv | None = None
    modeled: bool = True
    """False when no formula applies (kind 'other', FLOPs counted 0)."""


def base_name(func: Any) -> str:
    """'aten._foreach_add_.List' -> '_foreach_add_'."""
    return str(func._overloadpacket.__name__)


def strip_name(name: str) -> str:
    """Table key of an op name: no '_foreach_' prefix, no trailing in-place '_'."""
    n = name.removeprefix("_foreach_")
    if n.endswith("_") and not n.endswith("__") and n not in ("_",):
        n = n[:-1]
    return n


def numel(shape: Sequence[int]) -> int:
    return math.prod(int(s) for s in shape)


def gemm_of(name: str, args: Sequence[Any]) -> Gemm | None:
    """GEMM geometry of a matmul-family aten op from its tensor arguments."""
    try:
        if name == "mm":
            (m, k), (_, n) = args[0].shape, args[1].shape
            return Gemm(m=m, n=n, k=k)
        if name in ("addmm", "_addmm_activation"):
            (m, k), (_, n) = args[1].shape, args[2].shape
            return Gemm(m=m, n=n, k=k)
        if name == "bmm":
            (b, m, k), (_, _, n) = args[0].shape, args[1].shape
            return Gemm(m=m, n=n, k=k, batch=b)
        if name == "baddbmm":
            (b, m, k), (_, _, n) = args[1].shape, args[2].shape
            return Gemm(m=m, n=n, k=k, batch=b)
        if name == "mv":
            (m, k) = args[0].shape
            return Gemm(m=m, n=1, k=k)
        if name == "addmv":
            (m, k) = args[1].shape
            return Gemm(m=m, n=1, k=k)
        if name == "dot":
            return Gemm(m=1, n=1, k=args[0].shape[0])
    except (ValueError, AttributeError, IndexError):
        return None
    return None


def conv_of(args: Sequence[Any]) -> Conv | None:
    """Forward 2-D convolution geometry (aten.convolution / _convolution), or None if not representable.

    Conv carries one stride/padding for both axes, so asymmetric stride/padding, dilation != 1 and
    transposed convolutions are left without geometry (their FLOPs are still counted).
    """
    try:
        x, w = args[0], args[1]
        stride, padding, dilation, transposed = args[3], args[4], args[5], args[6]
        groups = int(args[8])
    except (IndexError, TypeError, ValueError):
        return None
    if x.dim() != 4 or transposed or any(int(d) != 1 for d in dilation):
        return None
    if len(set(stride)) != 1 or len(set(padding)) != 1:
        return None
    n, c_in, h, wd = (int(s) for s in x.shape)
    c_out, _, kh, kw = (int(s) for s in w.shape)
    return Conv(n=n, c_in=c_in, h_in=h, w_in=wd, c_out=c_out, kh=kh, kw=kw, stride=int(stride[0]),
                padding=int(padding[0]), groups=groups)


def conv_gemm(args: Sequence[Any], out: Any) -> Gemm | None:
    """The im2col GEMM of a forward convolution that `Conv` cannot describe (1-D or 3-D, dilated, asymmetric
    stride or padding, transposed), from its tensors: per group, M = N x output positions, N = Cout/g,
    K = Cin/g x kernel positions; transposed (each input position scattered through the kernel): M = N x input
    positions, N = Cout/g x kernel positions, K = Cin/g. Same MACs as FlopCounterMode's conv count / 2."""
    try:
        x, w, transposed, groups = args[0], args[1], bool(args[6]), int(args[8])
        if transposed:  # weight (Cin, Cout/g, k...)
            return Gemm(m=int(x.shape[0]) * numel(x.shape[2:]), n=int(w.shape[1]) * numel(w.shape[2:]),
                        k=int(w.shape[0]) // groups, batch=groups)
        return Gemm(m=int(out.shape[0]) * numel(out.shape[2:]), n=int(w.shape[0]) // groups,
                    k=int(w.shape[1]) * numel(w.shape[2:]), batch=groups)  # weight (Cout, Cin/g, k...)
    except (IndexError, TypeError, ValueError, AttributeError):
        return None


def conv_backward_flops(func: Any, args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> float:
    """FLOPs of aten.convolution_backward: dX and dW (those its output_mask asks for), each the forward's FLOPs.

    torch 2.13's formula (torch.utils.flop_counter.conv_backward_flop) counts dX right but dW as conv_flop_count
    over the transposed shapes (input (Cin, N, ...), grad_out (Cout, N, ...)), which takes all Cin channels per
    output channel, not Cin/g: g x the forward for a grouped conv ((1 + g) x with dX; a depthwise conv of 1024
    channels 512x the right count). Per group, dW[Cout/g, Cin/g x taps] = dY^T @ im2col(X) has the forward's MACs,
    so torch's dW term is divided by groups here (plain and transposed convs alike; exact for g = 1)."""
    from torch.utils.flop_counter import flop_registry

    a = named_args(func, args, kwargs)
    mask, groups = [bool(m) for m in a["output_mask"]], int(a["groups"])
    formula = flop_registry[func._overloadpacket]
    head = [a[s.name] for s in func._schema.arguments[:-1]]  # every argument but output_mask, in schema order

    def term(index: int) -> float:  # torch's count of one gradient alone
        only = [i == index for i in range(3)]
        return float(formula(*head, only, out_val=out)) if mask[index] else 0.0

    return term(0) + term(1) / groups


def sdpa_cpu_flops(name: str, args: Sequence[Any]) -> float:
    """CPU flash attention, which FlopCounterMode counts as 0.

    Forward: QK^T and PV, each B*H*Sq*Sk*D MACs -> 4*B*H*Sq*Sk*D FLOPs (for Dv == Dqk); the
    causal mask is not discounted (same convention as FlopCounterMode's CUDA SDPA entries).
    Backward: torch's `sdpa_backward_flop_count` (the count FlopCounterMode gives the CUDA kernels):
    in torch 2.13 the recomputed scores QK^T plus dV, dP, dQ, dK -> 10*B*H*Sq*Sk*D.
    """
    from torch.utils.flop_counter import sdpa_backward_flop_count, sdpa_flop_count

    if name == SDPA_CPU:
        q, k, v = args[0], args[1], args[2]
        return float(sdpa_flop_count(q.shape, k.shape, v.shape))
    g, q, k, v = args[0], args[1], args[2], args[3]
    return float(sdpa_backward_flop_count(g.shape, q.shape, k.shape, v.shape))


def _tensors(x: Any) -> list[Any]:
    import torch
    from torch.utils._pytree import tree_flatten

    leaves, _ = tree_flatten(x)
    return [t for t in leaves if isinstance(t, torch.Tensor)]


def _elems(x: Any) -> int:
    return sum(int(t.numel()) for t in _tensors(x))


def classify(func: Any, args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> OpWork:
    """Kind and FLOPs of one aten op call (args/kwargs/out are the real tensors)."""
    from torch.utils.flop_counter import flop_registry

    name = base_name(func)
    packet = func._overloadpacket
    if name in (SDPA_CPU, SDPA_CPU_BWD):
        return OpWork("attention", sdpa_cpu_flops(name, args))
    if name in FUSED_OPS:  # a whole LSTM/GRU/RNN or transformer encoder layer, or optimizer step, in one kernel
        kind, flops, gemm = fused_work(name, func, args, kwargs)
        return OpWork(kind, flops, gemm=gemm)
    if name == "convolution_backward":
        return OpWork("conv", conv_backward_flops(func, args, kwargs, out))
    if packet in flop_registry:
        flops = float(flop_registry[packet](*args, **kwargs, out_val=out))
        if "attention" in name:
            return OpWork("attention", flops)
        if "conv" in name:
            forward = name in ("convolution", "_convolution")
            conv = conv_of(args) if forward else None
            gemm = conv_gemm(args, out) if forward and conv is None else None  # 1-D/3-D, dilated, transposed...
            return OpWork("conv", flops, conv=conv, gemm=gemm)
        return OpWork("matmul", flops, gemm=gemm_of(name, args))
    gemm = gemm_of(name, args)
    if gemm is not None:  # mv / addmv / dot: not in flop_registry
        return OpWork("matmul", 2.0 * gemm.macs, gemm=gemm)
    if name in SOFTMAX_FLOPS:
        return OpWork("softmax", SOFTMAX_FLOPS[name] * _elems(args[0]))
    if name in NORM_FLOPS:
        x = args[1] if name.endswith("_backward") else args[0]  # backward: (grad_out, input, ...)
        return OpWork("norm", NORM_FLOPS[name] * _elems(x))
    if name in EMBEDDING_OPS:
        # forward is a gather (0 FLOPs); backward accumulates each gradient row: 1 add per element
        return OpWork("embedding", float(_elems(args[0])) if "backward" in name else 0.0)
    if name in NLL_OPS:
        target = args[2] if "backward" in name else args[1]
        return OpWork("reduction", float(_elems(target)))
    if name in REDUCTION_OPS:
        return OpWork("reduction", float(_elems(args[0])))
    if name in REDUCTION_FROM_OUTPUT_GRAD:
        return OpWork("reduction", float(_elems(out)))
    if name in POOL_OPS:
        # one compare/add per window element per output: kernel_size product x outputs
        ks = args[1] if len(args) > 1 and isinstance(args[1], (list, tuple)) else [1]
        ref = args[0] if "backward" in name else out
        first = _tensors(ref)[0] if _tensors(ref) else None
        return OpWork("reduction", float(numel(ks) * (first.numel() if first is not None else 0)))
    table_work = _table_work(name, func, args, kwargs, out)
    if table_work is not None:
        return table_work
    key = strip_name(name)
    if key in ELEMENT_FLOPS:
        # elementwise: per output element; in-place/foreach ops returning None: per element of self
        n = _elems(out) or _elems(args[0])
        return OpWork("elementwise", ELEMENT_FLOPS[key] * n)
    if key in MEMORY_OPS or name in MEMORY_OPS or name in ALLOC_OPS:
        return OpWork("memory", 0.0)
    if is_view(func):
        return OpWork("memory", 0.0)
    return OpWork("other", 0.0, modeled=False)


def _largest(args: Sequence[Any]) -> int:
    return max((int(t.numel()) for t in _tensors(list(args))), default=0)


def _table_work(name: str, func: Any, args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> OpWork | None:
    """Losses, interpolation, sorting and pairwise distances (tables above); None for any other op."""
    if name in LOSS_FLOPS and name != "_cdist_forward":
        return OpWork("elementwise" if name.endswith("_backward") else "reduction", LOSS_FLOPS[name] * _largest(args))
    if name in ("_cdist_forward", "_cdist_backward"):
        # per output pair: M subtractions, M squares (|.|^p), M adds, one root; backward about twice (estimate)
        features = int(args[0 if name == "_cdist_forward" else 1].shape[-1])  # x1 (.., P, M); backward (grad, x1..)
        pairs = _elems(out) if name == "_cdist_forward" else _elems(args[0])
        return OpWork("reduction", (1.0 if name == "_cdist_forward" else 2.0) * (3 * features + 1) * pairs)
    base = name.removesuffix("_backward")
    if base in UPSAMPLE_TAPS:
        taps = UPSAMPLE_TAPS[base]
        if name == base:
            return OpWork("elementwise" if taps > 1 else "memory", (2.0 * taps - 1) * _elems(out) if taps > 1 else 0.0)
        return OpWork("elementwise", (2.0 * taps if taps > 1 else 1.0) * _elems(args[0]))
    if name in ("sort", "topk"):
        return OpWork("reduction", sort_compares(name, func, args, kwargs))
    return None


def sort_compares(name: str, func: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> float:
    """Comparisons of a comparison sort along `dim`: n x log2(n) per row of n (topk: n x log2(k)), each counted
    1 as the compare ops of ELEMENT_FLOPS are."""
    from accelopt.workload.opcount_fused import named_args

    a = named_args(func, args, kwargs)
    x = a["self"]
    if x.dim() == 0 or x.numel() == 0:
        return 0.0
    n = int(x.shape[int(a.get("dim", -1) if a.get("dim") is not None else -1)])
    depth = int(a["k"]) if name == "topk" else n
    return float(x.numel()) * max(1.0, math.log2(max(depth, 1)))


def is_view(func: Any) -> bool:
    """All returns alias an input without writing it (view, reshape-as-view, detach, split)."""
    rets = func._schema.returns
    return bool(rets) and all(r.alias_info is not None and not r.alias_info.is_write for r in rets)


def _tensor_bytes(t: Any) -> int:
    logical = int(t.numel()) * int(t.element_size())
    try:
        return min(logical, int(t.untyped_storage().nbytes()))
    except (RuntimeError, NotImplementedError):
        return logical


def _key(t: Any) -> tuple[int, ...]:
    """Which tensor of one op call `t` is: two arguments with the same key are counted once (x + x reads x once).
    On a device with memory that is the address it starts at (data_ptr) and its bytes. On PyTorch's meta device
    every tensor's data_ptr() is 0, so two different same-size inputs (a residual add's two branches) would share a
    key and be counted once (resnet50 b1: 405.3 MB on meta vs 427.6 MB on the CPU); there the storage it lives in
    (views share one: `_cdata`, the address of its c10::StorageImpl, as torch.multiprocessing's StorageWeakRef
    keys storages) and its byte offset in it stand for the address, which keeps the CPU's semantics."""
    try:
        if t.is_meta:
            return (int(t.untyped_storage()._cdata), int(t.storage_offset()) * int(t.element_size()),
                    _tensor_bytes(t))
        return (int(t.data_ptr()), _tensor_bytes(t))
    except (RuntimeError, NotImplementedError, AttributeError):
        return (id(t), _tensor_bytes(t))


def io_bytes(func: Any, args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> tuple[float, float]:
    """(bytes_read, bytes_written) of one op call; 0 for views, metadata and allocations."""
    name = base_name(func)
    if name in ALLOC_OPS or is_view(func):
        return 0.0, 0.0
    schema_args = func._schema.arguments
    written: dict[tuple[int, ...], int] = {}
    read: dict[tuple[int, ...], int] = {}
    pairs = [(sa, args[i] if i < len(args) else kwargs.get(sa.name)) for i, sa in enumerate(schema_args)]
    for sa, a in pairs:
        mutated = sa.alias_info is not None and sa.alias_info.is_write
        for t in _tensors(a):
            k = _key(t)
            if mutated:
                written[k] = _tensor_bytes(t)
            if not (mutated and name in OVERWRITE_OPS):
                read[k] = _tensor_bytes(t)
    for t in _tensors(_written_outputs(name, args, out)):
        written[_key(t)] = _tensor_bytes(t)
    if name in GATHER_OPS and len(args) > 1:
        weight, indices = args[0], args[1]
        read[_key(weight)] = gathered_rows_bytes(weight, indices)
    return float(sum(read.values())), float(sum(written.values()))


def _written_outputs(name: str, args: Sequence[Any], out: Any) -> Any:
    """The outputs an op call writes. native_batch_norm(input, weight, bias, running_mean, running_var, training, ...)
    returns (out, save_mean, save_invstd); the two saved statistics are kept for a backward, and in eval
    (training=False) nothing computes them: the CPU returns them empty (0 bytes) while the meta kernel, like CUDA's,
    gives them C elements (torch/_decomp/decompositions.py native_batch_norm_helper: "Very annoying inconsistency
    where CPU and CUDA give different shapes"; on CUDA they are running_mean itself and 1/sqrt(running_var + eps)).
    Counting only `out` there keeps a capture on meta equal to one on the CPU (2 x C x 4 bytes per layer otherwise:
    +0.05% of resnet50's bytes)."""
    if name == "native_batch_norm" and len(args) > 5 and args[5] is False and isinstance(out, (tuple, list)):
        return out[0]
    return out


def gathered_rows_bytes(weight: Any, indices: Any) -> int:
    """Bytes of `weight` (num_embeddings, *row) that a lookup of `indices` reads: one row per index.

    F.embedding / nn.Embedding / aten.embedding is a gather, "a simple lookup table that ... retrieve[s] them
    using indices" (torch.nn.Embedding docs); ATen computes it as `weight.index_select(0, indices)`
    (aten/src/ATen/native/Embedding.cpp, `embedding`), and `_embedding_bag` reads one row per index before it
    reduces each bag. So the op reads indices.numel() rows, not the whole table (a 50k x 64 fp32 table looked up
    by 16 tokens reads 16 x 64 x 4 = 4 KiB, not 12.8 MB). Capped at the table's bytes: like every tensor here, a
    table is read at most once (more lookups than rows repeat rows). The backward (embedding_dense_backward) is
    counted by the generic rule: it reads the gradient and the indices and writes the dense (num_embeddings, row)
    gradient, which ATen zero-fills before adding each gradient row into its row (`at::zeros` in
    embedding_dense_backward_cpu), so the whole table is written there, once."""
    row_bytes = numel(weight.shape[1:]) * int(weight.element_size())
    return min(int(indices.numel()) * row_bytes, _tensor_bytes(weight))
