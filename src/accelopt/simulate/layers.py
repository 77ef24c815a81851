"""The simulator's layer vocabulary: every layer is `repeats` independent GEMMs C[M,N] = A[M,K] @ B[K,N].

- convolution -> im2col (accelopt.workload.types.Conv.as_gemm): M = batch*Ho*Wo, K = Cin/g*kh*kw,
  N = Cout/g, repeated once per group (depthwise: groups = channels). Padding enters through Ho, Wo.
- GEMM / linear -> M, N, K, repeated `batch` (bmm) x `count` (identical ops) times.
- attention -> QK^T (M = seq, N = seq, K = head_dim) and AV (M = seq, N = head_dim, K = seq) per head; a fused
  attention backward -> its five GEMMs (attention_layers).

Also built-in layer lists for models whose shapes are architecture facts (ResNet-50, AlexNet's
conv layers) so that the simulator runs without torch.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Collection
from dataclasses import dataclass

from accelopt.errors import InputError
from accelopt.workload.transformer import TransformerConfig
from accelopt.workload.types import FLOPS_SHAPE_REL_TOL, MATMUL_LIKE, Conv, Gemm, Op, Workload

MAX_LAYER_MACS = 2**53
"""Most MACs one layer may have (~9e15: a 1M-token prefill GEMM of a 405B model has ~1e15). The
simulator counts cycles and accesses in 64-bit integers; below this bound they cannot overflow."""


@dataclass(frozen=True, kw_only=True)
class Layer:
    name: str
    kind: str
    """'conv', 'dwconv' (groups == c_in), 'gemm' or 'attention'."""
    m: int
    n: int
    k: int
    repeats: int = 1
    """Independent GEMMs of this shape (conv groups x bmm batch x identical ops)."""
    ifmap_elems: int
    """Unique input elements of one repeat in DRAM (conv: N*Cin/g*H*W; im2col expands on chip)."""
    conv: Conv | None = None
    weights: bool = True
    """B is a weight tensor (a convolution's filters, a Linear's or an expert's matrix), held in DRAM for the whole
    run, one per repeat; False where both operands are activations (attention's QK^T and AV, a batched matmul) or
    for a train step's backward GEMMs. Counted by SimResult.capacity_notes against the design's dram_bytes."""

    def __post_init__(self) -> None:
        for f in ("m", "n", "k", "repeats", "ifmap_elems"):
            v = getattr(self, f)
            if not isinstance(v, int) or v < 1:
                raise InputError(f"layer {self.name!r}: {f} = {v!r} must be a positive integer",
                                 "give positive layer dimensions")
        if self.macs > MAX_LAYER_MACS:
            # a model preset's entry stands for all its layers (126 q_proj GEMMs of Llama 3 405B): 64 x 8,192 tokens
            # pass the bound though each GEMM (1.4e14 MACs) is a real one; 'past any real layer' said otherwise
            what = (f"; the row stands for {self.repeats:,} GEMMs (layers, heads or groups) of "
                    f"{self.m * self.n * self.k:.3g} MACs each" if self.repeats > 1 else ", past any real layer")
            raise InputError(f"layer {str(self.name)[:80]!r}: {self.m:,} x {self.n:,} x {self.k:,} x {self.repeats:,} "
                             f"= {self.macs:.3g} MACs is more than {MAX_LAYER_MACS:.3g} (2**53, the most the "
                             f"simulator counts exactly){what}",
                             "check the layer's sizes, or simulate fewer tokens or images (a smaller --batch or "
                             "--seq-len)")

    @property
    def macs(self) -> int:
        return self.m * self.n * self.k * self.repeats


def weight_elems(layers: Collection[Layer]) -> int:
    """Elements of the weights `layers` read (Layer.weights): K x N x repeats of each such layer."""
    return sum(x.k * x.n * x.repeats for x in layers if x.weights)


def from_conv(name: str, conv: Conv, count: int = 1) -> Layer:
    if conv.c_in % conv.groups or conv.c_out % conv.groups:
        raise InputError(f"conv {name!r}: groups {conv.groups} must divide c_in {conv.c_in} and c_out {conv.c_out}",
                         "fix groups")
    if conv.h_out < 1 or conv.w_out < 1:
        raise InputError(f"conv {name!r}: kernel {conv.kh}x{conv.kw} is larger than the padded input "
                         f"{conv.h_in + 2 * conv.padding}x{conv.w_in + 2 * conv.padding}", "check the layer shape")
    g = conv.as_gemm()
    kind = "dwconv" if conv.groups > 1 and conv.groups == conv.c_in else "conv"
    return Layer(name=name, kind=kind, m=g.m, n=g.n, k=g.k, repeats=g.batch * count,
                 ifmap_elems=conv.n * (conv.c_in // conv.groups) * conv.h_in * conv.w_in, conv=conv)


def from_gemm(name: str, gemm: Gemm, count: int = 1, kind: str = "gemm") -> Layer:
    return Layer(name=name, kind=kind, m=gemm.m, n=gemm.n, k=gemm.k, repeats=gemm.batch * count,
                 ifmap_elems=gemm.m * gemm.k, weights=kind != "attention")


def attention_layers(name: str, shapes: tuple[tuple[int, ...], ...], count: int = 1,
                     backward: bool = False) -> list[Layer] | None:
    """The GEMMs of a fused attention op from its tensors' shapes ((B, H, S, D) each), else None.

    Forward (q, k, v): QK^T and AV. Backward (dO, q, k, v; FlashAttention's backward, as torch's
    sdpa_backward_flop_count counts it): the recomputed scores QK^T, dP = dO V^T, dV = P^T dO, dQ = dS K and
    dK = dS^T Q: Sq*Sk*(3D + 2Dv) MACs per head, 2.5x the forward's for Dv = D."""
    first = 1 if backward else 0
    if len(shapes) < first + 3 or any(len(s) != 4 for s in shapes[first:first + 3]):
        return None
    (b, h, sq, d), (_, _, sk, _), (_, _, _, dv) = shapes[first:first + 3]
    heads = b * h  # per query head (grouped-query attention shares each k/v head among several)

    def gemm(tag: str, m: int, n: int, k: int) -> Layer:
        return from_gemm(f"{name}.{tag}", Gemm(m=m, n=n, k=k, batch=heads), count, kind="attention")

    if not backward:
        return [gemm("qk", sq, sk, d), gemm("av", sq, dv, sk)]
    return [gemm("qk", sq, sk, d), gemm("dp", sq, sk, dv), gemm("dv", sk, dv, sq), gemm("dq", sq, d, sk),
            gemm("dk", sk, d, sq)]


def is_attention_backward(op: Op) -> bool:
    """A fused attention backward kernel (its first tensor is the output gradient dO)."""
    return op.name.endswith("_backward")


def from_workload(w: Workload) -> tuple[list[Layer], list[str]]:
    """Layers for the ops that carry a .conv or .gemm, and for fused attention ops (from their q, k, v
    shapes); the names of the ops left out (no MACs to map)."""
    layers: list[Layer] = []
    skipped: list[str] = []
    backward: set[int] = set()  # indices into `layers` of a train step's backward GEMMs
    batched: set[int] = set()  # and of batched matmuls (bmm)
    of_backward: set[int] = set()  # every layer of a backward op (a convolution's dX / dW too): no weight of its own
    for i, op in enumerate(w.ops):
        name = op.module or f"{op.name}#{i}"
        first = len(layers)
        if op.conv is not None:
            layers.append(from_conv(name, op.conv, op.count))
        elif op.gemm is not None:
            # a train step's backward GEMMs (dX, dW) ran under their forward's module name: the table showed 'fc'
            # three times, none saying which was the forward; a conv's backward already reads 'c.dX' / 'c.dW'
            gname = f"{name}.backward" if op.phase == "backward" and op.module else name
            if op.phase == "backward":
                backward.add(len(layers))
            if "bmm" in op.name or op.gemm.batch > 1:  # both operands activations (a Linear's weight is shared)
                batched.add(len(layers))
            layer = from_gemm(gname, op.gemm, op.count, op.kind if op.kind in ("attention", "conv") else "gemm")
            layers.append(_unique_conv_inputs(layer, op) if op.kind == "conv" else layer)
        elif (grads := conv_backward_layers(name, op)) is not None:
            layers.extend(grads)
        elif op.kind == "attention" and (att := attention_layers(name, op.shapes, op.count,
                                                                 is_attention_backward(op))) is not None:
            _check_attention_flops(op, i, att)
            layers.extend(att)
        elif op.phase == "forward" or not op.phase:
            skipped.append(name)
        if op.phase == "backward":
            of_backward.update(range(first, len(layers)))
    if not layers:
        fused, _ = unshaped_matmuls(w)
        if fused and not _all_backward(fused):
            raise InputError(f"workload {w.name!r} has nothing for the array to run: its matrix multiplies are all "
                             f"in ops with no GEMM shape recorded ({_counted(fused)})", UNFUSED_FIX)
        if fused:  # simulating the model file (an inference capture) would not run these backward kernels either
            raise InputError(f"workload {w.name!r} has nothing for the array to run: its matrix multiplies are all "
                             f"in {BACKWARD_UNMAPPED} ({_counted(fused)})", BACKWARD_FIX)
        raise InputError(f"workload {w.name!r} has nothing for the array to run: none of its {len(w.ops)} ops is a "
                         "matrix multiply, convolution or attention with its shape",
                         "give a model with Linear, Conv or attention layers; a workload JSON needs ops with gemm "
                         "or conv shapes (`accelopt profile ... --save-workload` writes them)")
    # a convolution's backward (dX = dY W, dW = dY^T X) read its weight again or no weight: counted as weights, a
    # train step's CNN held 4.1x its parameters (rev3, 2026-12-06: 12,184 for 2,976)
    layers = [dataclasses.replace(x, weights=False) if i in backward or i in batched or i in of_backward else x
              for i, x in enumerate(layers)]
    return unique_names(layers, backward, batched), skipped


def unique_names(layers: list[Layer], backward: Collection[int] = (), batched: Collection[int] = ()) -> list[Layer]:
    """`layers` with no two rows of one name. Several GEMMs of one module share its name: an eager attention's two
    batched matmuls (Hugging Face Llama's `self_attn` computes softmax(QK^T)V with two torch.matmul calls) printed two
    'model.layers.0.self_attn' rows, and a Linear's two backward GEMMs two 'fc.backward' rows. Named by what they
    compute where the shapes say it: a pair of one module's forward batched matmuls (`batched`: aten.bmm, or a batch
    above 1), the second taking the first's output, (S x Sk) then (S x Sk) @ (Sk x Dv) with the same batch, is the
    scores and the weighted sum: '.qk' and '.av' (as
    transformer_layers and attention_layers name them); a Linear's backward GEMMs, against its forward
    Y[T, out] = X[T, in] W^T: dX[T, in] = dY[T, out] W[out, in] is '.dX', the one reducing over the T rows is '.dW'
    (as a convolution's backward reads). Rows still sharing a name get '(i of n)' in the order they ran."""
    names = [x.name for x in layers]
    groups: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        groups.setdefault(n, []).append(i)
    # a module of one forward GEMM (a Linear; not an attention's two matmuls, whose gradients have no weight)
    forward = {n: layers[idx[0]] for n, idx in groups.items() if len([i for i in idx if i not in backward]) == 1}
    for name, idx in groups.items():
        if len(idx) < 2:
            continue
        if name.endswith(".backward") and (f := forward.get(name.removesuffix(".backward"))) is not None:
            tags = [_gradient_tag(layers[i], f) for i in idx]
            for i, tag in zip(idx, tags, strict=True):
                if tag is not None and tags.count(tag) == 1:
                    names[i] = f"{name.removesuffix('.backward')}.{tag}"
            continue
        fwd = [i for i in idx if i not in backward and i in batched]
        for a, b in itertools.pairwise(fwd):
            x, y = layers[a], layers[b]
            if names[a] == names[b] == name and x.m == y.m and x.n == y.k and x.repeats == y.repeats:
                names[a], names[b] = f"{name}.qk", f"{name}.av"
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for x, n in zip(layers, names, strict=True):
        if counts[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            n = f"{n} ({seen[n]} of {counts[n]})"
        out.append(x if n == x.name else dataclasses.replace(x, name=n))
    return out


def _gradient_tag(g: Layer, f: Layer) -> str | None:
    """'dX' or 'dW' for a backward GEMM `g` of the Linear whose forward GEMM is `f` (M = T rows, N = out, K = in):
    dX is T x in over out, dW is out x in (or in x out) over T; None where the shapes fit neither or both."""
    dx = g.m == f.m and g.n == f.k and g.k == f.n
    dw = g.k == f.m and sorted((g.m, g.n)) == sorted((f.n, f.k))
    return "dX" if dx and not dw else "dW" if dw and not dx else None


def _unique_conv_inputs(layer: Layer, op: Op) -> Layer:
    """A convolution captured as its im2col GEMM (1-D/3-D, dilated, unequal strides or padding: no `Conv`) reads
    its input tensor from DRAM, not the im2col expansion M x K that from_gemm assumes (9x too much for a 3x3
    kernel): ifmap_elems = the input's elements per group, from the op's first shape (N, Cin, ...). A transposed
    conv's M x K is already its input."""
    x = op.shapes[0] if op.shapes else ()
    groups = op.gemm.batch if op.gemm is not None else 1
    if len(x) < 3 or groups < 1 or math.prod(x) % groups:
        return layer
    return dataclasses.replace(layer, ifmap_elems=max(1, min(layer.ifmap_elems, math.prod(x) // groups)))


def _check_attention_flops(op: Op, index: int, layers: list[Layer]) -> None:
    """InputError when a fused attention op's flops are not 2 x the MACs of the GEMMs read from its shapes (within
    the workload file's FLOPS_SHAPE_REL_TOL): `plan` times it from its flops, the array runs those GEMMs. Captured
    ops match exactly (torch's sdpa_flop_count / sdpa_backward_flop_count count the same GEMMs)."""
    shape_flops = 2.0 * sum(x.macs for x in layers) / op.count
    if abs(op.flops - shape_flops) <= FLOPS_SHAPE_REL_TOL * shape_flops:
        return
    tensors = "dO, q, k, v" if is_attention_backward(op) else "q, k, v"
    raise InputError(f"op {index} ({op.name[:80]!r}): flops = {op.flops:.4g} disagrees with its attention shapes "
                     f"{', '.join(map(str, op.shapes[:4]))} ({tensors} as (B, H, S, D)), whose "
                     f"{len(layers)} GEMMs hold {shape_flops:.4g} FLOPs; `plan` would time the op from its flops and "
                     "`simulate` from its shapes",
                     f"set flops to {shape_flops:.6g} (no causal-mask discount: the array computes every score), "
                     "or list the shapes as (B, H, S, D)")


UNFUSED_FIX = ("simulate the model file instead (--model FILE.py:factory): simulate captures it with the fused "
               "paths off, so each GEMM has its shape")


def conv_backward_layers(name: str, op: Op) -> list[Layer] | None:
    """The GEMMs of a captured convolution_backward (shapes: grad_out (N, Cout, *out), input (N, Cin, *in), weight
    (Cout, Cin/g, *k)), else None. Per group, P = N x output positions, Kk = Cin/g x kernel positions:
    dW[Cout/g, Kk] = dY^T[Cout/g, P] @ im2col(X)[P, Kk] and dX's im2col [P, Kk] = dY[P, Cout/g] @ W[Cout/g, Kk],
    each the forward's MACs. Which of the two the kernel computed (torch's output_mask) is read from its flops: dX
    and dW each at the forward's FLOPs, as accelopt's captures now carry them (workload/opcount.conv_backward_flops
    divides torch's dW term by g); a count with dW at g x the forward (torch.utils.flop_counter.conv_backward_flop
    as it is, whose conv_flop_count of the transposed shapes takes all Cin channels per group: an older capture, or
    a hand-written file) is read too. One gradient of a g = 1 conv is taken as dW (a first layer, whose input needs
    none). A transposed conv, or flops that fit none of these, stays unmapped and is said as such."""
    if op.kind != "conv" or not op.name.endswith("convolution_backward") or len(op.shapes) < 3:
        return None
    dy, x, w = op.shapes[:3]
    if len(dy) < 3 or len(dy) != len(x) or len(w) != len(x) or w[0] != dy[1] or dy[0] != x[0] or w[1] < 1 \
            or x[1] % w[1]:
        return None
    groups = x[1] // w[1]
    if w[0] % groups:
        return None
    p, kk, cout_g = math.prod(dy) // dy[1], math.prod(w[1:]), w[0] // groups
    forward_flops = 2.0 * groups * p * kk * cout_g
    weight = from_gemm(f"{name}.dW", Gemm(m=cout_g, n=kk, k=p, batch=groups), op.count, "conv")
    data = from_gemm(f"{name}.dX", Gemm(m=p, n=kk, k=cout_g, batch=groups), op.count, "conv")
    # FLOPs per forward FLOPs: torch's count first (dW as g x), then a count that has dW at 1 x (torch's fixed, or a
    # hand-written file); both gradients before one, as only a first layer's backward computes dW alone
    for layers, counted in (([data, weight], 1 + groups), ([data, weight], 2), ([weight], groups), ([weight], 1),
                            ([data], 1)):
        if abs(op.flops - counted * forward_flops) <= FLOPS_SHAPE_REL_TOL * op.flops:
            return layers
    return None


BACKWARD_UNMAPPED = ("backward kernels whose GEMMs are not read from their shapes (a transposed convolution's "
                     "convolution_backward, or one whose flops fit neither its dX nor its dW GEMM)")
BACKWARD_FIX = ("give each convolution_backward the flops of the gradients it computes (2 x the forward's MACs for "
                "dX and for dW, from its shapes grad_out, input, weight), or simulate the forward pass: a workload "
                "saved by `accelopt profile --mode inference --save-workload`, or --model FILE.py:factory")


def _all_backward(calls: dict[str, int]) -> bool:
    """Whether every unmapped op named is a backward kernel (is_attention_backward's naming)."""
    return all(name.endswith("_backward") for name in calls)


def is_mapped(op: Op) -> bool:
    """Whether from_workload runs the op on the array: a GEMM or conv shape, a convolution_backward it can split,
    or a fused attention with its tensors' shapes."""
    return op.conv is not None or op.gemm is not None or conv_backward_layers("", op) is not None or (
        op.kind == "attention" and attention_layers("", op.shapes, backward=is_attention_backward(op)) is not None)


def is_unshaped_matmul(op: Op) -> bool:
    """Matmul FLOPs with no GEMM, conv or attention shape to map (a fused kernel)."""
    return op.kind in MATMUL_LIKE and op.flops > 0 and not is_mapped(op)


def unshaped_matmuls(w: Workload) -> tuple[dict[str, int], float]:
    """Ops that hold matmul FLOPs but no GEMM or conv shape to map, so the array does not run them (fused kernels:
    an LSTM on cuDNN, the transformer encoder fast path; backward kernels computing two gradients in one call:
    convolution_backward): {op name: calls}, and their FLOPs."""
    calls: dict[str, int] = {}
    flops = 0.0
    for op in w.ops:
        if is_unshaped_matmul(op):
            calls[op.name] = calls.get(op.name, 0) + op.count
            flops += op.flops * op.count
    return calls, flops


def _counted(calls: dict[str, int]) -> str:
    return ", ".join(f"{name} x{n}" for name, n in sorted(calls.items()))


def unshaped_note(w: Workload) -> str:
    """'' or a clause saying which matmul work the simulation leaves out, with its share of the workload's."""
    calls, flops = unshaped_matmuls(w)
    if not calls:
        return ""
    share = flops / (w.total_flops(kinds=MATMUL_LIKE) or flops)
    why = f" ({BACKWARD_UNMAPPED}; the forward ops are simulated)" if _all_backward(calls) else f": {UNFUSED_FIX}"
    return (f"; NOT SIMULATED: {100 * share:.4g}% of the workload's matmul FLOPs are in ops with no GEMM shape "
            f"recorded ({_counted(calls)}){why}")


def unmodeled_ops(w: Workload) -> list[Op]:
    """The forward and backward ops the capture has no FLOP formula for (the workload's meta 'unmodeled_ops', e.g.
    nn.Bilinear's aten._trilinear, which its backward runs too): their work, MACs included, is unknown, so the array
    cannot run them. A training step's backward ones were counted among the 'non-GEMM ops not simulated'."""
    names = w.meta.get("unmodeled_ops")
    if not isinstance(names, dict) or not names:
        return []
    unknown = set(names)  # base names: 'aten._trilinear' and 'torchvision.roi_align' are keyed '_trilinear', ...
    return [op for op in w.ops if op.name.split(".")[-1] in unknown and op.phase in ("forward", "backward", "")
            and not is_mapped(op)]


def unmodeled_note(w: Workload) -> str:
    """'' or a clause naming the forward ops with no FLOP formula and their modules: left out of the simulation, said
    apart from the ops without MACs (an nn.Bilinear layer's MACs vanished into '85 ops without MACs to map')."""
    ops = unmodeled_ops(w)
    if not ops:
        return ""
    calls: dict[str, int] = {}
    for op in ops:
        where = f"{op.name} in {op.module}" if op.module else op.name
        where += " (backward)" if op.phase == "backward" else ""
        calls[where] = calls.get(where, 0) + op.count
    n = sum(calls.values())
    listed = ", ".join(f"{k} x{v}" for k, v in sorted(calls.items())[:8]) + (", ..." if len(calls) > 8 else "")
    return (f"; NOT SIMULATED: {n} op{'' if n == 1 else 's'} with no FLOP formula, work (MACs included) unknown "
            f"({listed}): write such a layer with nn.Linear / torch.matmul / einsum, which the array runs")


# --------------------------------------------------------------------------- built-in models
def resnet50_layers(batch: int = 1, image: int = 224, stride_in_3x3: bool = False) -> list[Layer]:
    """ResNet-50 of He et al. 2016 ("Deep Residual Learning", CVPR), Table 1, 50-layer column.

    Bottleneck blocks [1x1, 3x3, 1x1] x {3, 4, 6, 3}; conv3_1, conv4_1 and conv5_1 downsample with
    stride 2 (Sec. 3.3, in the first 1x1 as in the paper: "v1", 3.86 GMAC at 224x224); projection
    shortcuts (1x1) at the first block of each stage; final 2048 -> 1000 fully connected layer.
    Pooling is not a MAC layer. `stride_in_3x3=True` gives "v1.5" (torchvision, NVIDIA
    DeepLearningExamples' ResNet-50 v1.5 README: the stride moves to the 3x3; 4.09 GMAC).
    """
    if batch < 1 or image < 32:
        raise InputError(f"resnet50: batch {batch} / image {image} too small", "use batch >= 1 and image >= 32")
    out: list[Layer] = []
    conv1 = Conv(n=batch, c_in=3, h_in=image, w_in=image, c_out=64, kh=7, kw=7, stride=2, padding=3)
    out.append(from_conv("conv1", conv1))
    h = (conv1.h_out + 2 * 1 - 3) // 2 + 1  # 3x3 max pool, stride 2, padding 1
    c_in = 64
    for stage, (width, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=2):
        for b in range(blocks):
            stride = 2 if (b == 0 and stage > 2) else 1
            pre = f"conv{stage}_{b + 1}"
            s1, s3 = (1, stride) if stride_in_3x3 else (stride, 1)
            a = Conv(n=batch, c_in=c_in, h_in=h, w_in=h, c_out=width, kh=1, kw=1, stride=s1)
            bb = Conv(n=batch, c_in=width, h_in=a.h_out, w_in=a.h_out, c_out=width, kh=3, kw=3, stride=s3, padding=1)
            h2 = bb.h_out
            c = Conv(n=batch, c_in=width, h_in=h2, w_in=h2, c_out=4 * width, kh=1, kw=1)
            out += [from_conv(f"{pre}.a", a), from_conv(f"{pre}.b", bb), from_conv(f"{pre}.c", c)]
            if b == 0:
                sc = Conv(n=batch, c_in=c_in, h_in=h, w_in=h, c_out=4 * width, kh=1, kw=1, stride=stride)
                out.append(from_conv(f"{pre}.shortcut", sc))
            c_in, h = 4 * width, h2
    out.append(from_gemm("fc", Gemm(m=batch, n=1000, k=2048)))
    return out


def alexnet_conv_layers(batch: int = 1) -> list[Layer]:
    """AlexNet's five conv layers as run by Eyeriss (Krizhevsky et al. 2012; 227x227 input, conv2/4/5
    in two groups): 666 M MACs per image, the figure Chen et al. ISSCC 2016 quote."""
    specs = [
        ("conv1", Conv(n=batch, c_in=3, h_in=227, w_in=227, c_out=96, kh=11, kw=11, stride=4)),
        ("conv2", Conv(n=batch, c_in=96, h_in=27, w_in=27, c_out=256, kh=5, kw=5, padding=2, groups=2)),
        ("conv3", Conv(n=batch, c_in=256, h_in=13, w_in=13, c_out=384, kh=3, kw=3, padding=1)),
        ("conv4", Conv(n=batch, c_in=384, h_in=13, w_in=13, c_out=384, kh=3, kw=3, padding=1, groups=2)),
        ("conv5", Conv(n=batch, c_in=384, h_in=13, w_in=13, c_out=256, kh=3, kw=3, padding=1, groups=2)),
    ]
    return [from_conv(n, c) for n, c in specs]


def transformer_layers(cfg: TransformerConfig, batch: int = 1, seq_len: int | None = None) -> list[Layer]:
    """One forward pass (prefill) of a transformer: projections, attention matmuls per head, MLP, head.

    Each entry stands for all the layers of its kind (repeats = layers x heads for attention).
    Attention: QK^T is (s x qk) @ (qk x s) and AV is (s x s) @ (s x v) per (batch, head)
    (Vaswani et al. 2017, eq. 1; qk = v = head_dim unless MLA); K/V projections are narrower under grouped-query
    attention; multi-head latent attention has down- and up-projections (DeepSeek-V2 eqs. 9-14); sliding-window
    layers attend to min(s, window) keys ("attn.qk.local"/"attn.av.local", Beltagy et al. 2020 sec. 3.1);
    the dense layers of an MoE model ("mlp.*.dense") are listed apart from its expert layers, whose routed experts
    are one GEMM each ("mlp.*.experts", _expert_gemms) beside the shared experts ("mlp.*.shared").
    """
    s = seq_len or cfg.seq_len
    if batch < 1 or s < 1:
        raise InputError(f"--batch {batch} / --seq-len {s} must be >= 1", "pass positive --batch / --seq-len")
    t, h, L = batch * s, cfg.hidden, cfg.layers
    out = _attention_projections(cfg, t, L)
    bh = batch * cfg.heads
    n_win = cfg.windowed_layers
    for suffix, n, keys in (("", L - n_win, s), (".local", n_win, min(s, cfg.sliding_window or s))):
        if n:
            out += [from_gemm(f"attn.qk{suffix}", Gemm(m=s, n=keys, k=cfg.qk_head_dim, batch=bh), n, kind="attention"),
                    from_gemm(f"attn.av{suffix}", Gemm(m=s, n=cfg.v_head_dim, k=keys, batch=bh), n, kind="attention")]
    out.append(from_gemm("attn.o_proj", Gemm(m=t, n=h, k=cfg.o_width), L))
    gate = 2 if cfg.mlp == "swiglu" else 1
    n_moe = cfg.moe_layers
    if L - n_moe:
        f, tag = cfg.dense_ffn or cfg.ffn, ".dense" if n_moe else ""
        out += [from_gemm(f"mlp.up{tag}", Gemm(m=t, n=gate * f, k=h), L - n_moe),
                from_gemm(f"mlp.down{tag}", Gemm(m=t, n=h, k=f), L - n_moe)]
    if n_moe:
        out += [from_gemm("mlp.router", Gemm(m=t, n=cfg.experts, k=h), n_moe), *_expert_gemms(cfg, t, gate, n_moe)]
    if not cfg.encoder_only:
        out.append(from_gemm("lm_head", Gemm(m=t, n=cfg.vocab, k=h)))
    return out


def _expert_gemms(cfg: TransformerConfig, t: int, gate: int, n_moe: int) -> list[Layer]:
    """The expert GEMMs of `t` tokens over the n_moe MoE layers: one GEMM per routed expert that gets tokens, and the
    shared experts' (one MLP of shared_experts x ffn on every token, as plan's shared_experts_gemms).

    Balanced routing, as `plan` times training (predict/compute.py moe_forward; Lepikhin et al. 2021): the t x top_k
    token copies spread evenly over the E experts, t top_k mod E of them taking one token more than the rest; with
    t top_k < E, t top_k experts get one token each and the others' weights are not read. Each expert is a GEMM with
    its own weights: one GEMM of t x top_k rows at one expert's width loaded one expert's weights per layer (Llama 4
    Scout at 128 tokens: 2 of its 17 experts' weights, the DRAM traffic of the rest left out)."""
    copies, experts = t * cfg.top_k, cfg.experts
    base, extra = divmod(copies, experts)
    out: list[Layer] = []
    # (name suffix, tokens per expert, experts with that many): the busier experts first
    for tag, rows, n in ((".experts_busier", base + 1, extra), (".experts", base, experts - extra)):
        if rows and n:
            out += [from_gemm(f"mlp.up{tag}", Gemm(m=rows, n=gate * cfg.ffn, k=cfg.hidden), n_moe * n),
                    from_gemm(f"mlp.down{tag}", Gemm(m=rows, n=cfg.hidden, k=cfg.ffn), n_moe * n)]
    if cfg.shared_experts:
        width = cfg.shared_experts * cfg.ffn
        out += [from_gemm("mlp.up.shared", Gemm(m=t, n=gate * width, k=cfg.hidden), n_moe),
                from_gemm("mlp.down.shared", Gemm(m=t, n=cfg.hidden, k=width), n_moe)]
    return out


def _attention_projections(cfg: TransformerConfig, t: int, L: int) -> list[Layer]:
    """Q/K/V projections of `t` tokens over L layers (MLA: its down- and up-projections)."""
    h, m = cfg.hidden, cfg.mla
    if m is None:
        return [from_gemm("attn.q_proj", Gemm(m=t, n=cfg.q_width, k=h), L),
                from_gemm("attn.kv_proj", Gemm(m=t, n=cfg.k_width + cfg.v_width, k=h), L)]
    q = [from_gemm("attn.q_proj", Gemm(m=t, n=cfg.q_width, k=h), L)] if m.q_lora_rank is None else [
        from_gemm("attn.q_down", Gemm(m=t, n=m.q_lora_rank, k=h), L),
        from_gemm("attn.q_up", Gemm(m=t, n=cfg.q_width, k=m.q_lora_rank), L)]
    kv_up = Gemm(m=t, n=cfg.heads * (m.qk_nope_head_dim + m.v_head_dim), k=m.kv_lora_rank)
    return [*q, from_gemm("attn.kv_down", Gemm(m=t, n=m.cache_width, k=h), L), from_gemm("attn.kv_up", kv_up, L)]
